#!/usr/bin/env bash
# make test: every test on CPython (pytest) and the core tests on the real
# MicroPython unix port with an ESP32-sized heap. Ends with one summary line.
set -u
cd "$(dirname "$0")/.."
BIN=.venv/bin
status=0

echo "== board description up to date"
$BIN/python -m wandctl.boardgen --check || status=1

if [ -f hardware/ensure_ngspice.sh ]; then
    echo "== ngspice for the hardware checks"
    bash hardware/ensure_ngspice.sh || status=1
fi

mkdir -p build
echo "== CPython: pytest"
$BIN/python -m pytest -p no:cacheprovider "$@" | tee build/pytest.log
py_rc=${PIPESTATUS[0]}
[ "$py_rc" -eq 0 ] || status=1

echo "== MicroPython unix port (-X heapsize=100K): core tests, one process per file"
: > build/mpy.log
mp_rc=0
for f in tests/core/test_*.py tests/*/mpy/test_*.py; do
    [ -f "$f" ] || continue
    MICROPYPATH=firmware:host_tools:tests/core $BIN/micropython -X heapsize=100K \
        tests/core/mpy_runner.py "$f" > build/mpy-one.log 2>&1 || mp_rc=1
    grep -v '^micropython: ' build/mpy-one.log | tee -a build/mpy.log
    line=$(grep '^micropython: ' build/mpy-one.log || echo "micropython: 0 passed, 1 failed")
    echo "  $f: ${line#micropython: }"
    echo "$line" >> build/mpy.log
done
[ "$mp_rc" -eq 0 ] || status=1

py_pass=$(grep -oE '[0-9]+ passed' build/pytest.log | tail -1 | grep -oE '[0-9]+' || echo 0)
py_fail=$(grep -oE '[0-9]+ failed' build/pytest.log | tail -1 | grep -oE '[0-9]+' || echo 0)
mp_pass=$(grep '^micropython: ' build/mpy.log | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' | awk '{s+=$1} END {print s+0}')
mp_fail=$(grep '^micropython: ' build/mpy.log | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' | awk '{s+=$1} END {print s+0}')
echo "cpython: $py_pass passed, $py_fail failed; micropython: $mp_pass passed, $mp_fail failed"
if [ "$status" -ne 0 ] && [ "$py_fail" -eq 0 ] && [ "$mp_fail" -eq 0 ]; then
    py_fail=1  # a step failed outside the test runners
fi
echo "total: $((py_pass + mp_pass)) passed, $((py_fail + mp_fail)) failed" | tee build/test-summary.txt
exit $status
