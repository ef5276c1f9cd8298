#!/usr/bin/env bash
# make test: every test in one pytest run, on CPython and on the real
# MicroPython unix port with an ESP32-sized heap (tests/test_micropython_port.py
# runs each unit-test file there as one test). Ends with pytest's own summary line
# (`N passed in Xs`), also kept in build/pytest.log for .ci/run.
# Arguments go to pytest: `bash tools/test.sh -m "not slow"` is `make test-fast`.
set -u
cd "$(dirname "$0")/.."
BIN=.venv/bin
pre=0

echo "== board description up to date"
$BIN/python -m wandctl.boardgen --check || pre=1

if [ -f hardware/ensure_ngspice.sh ]; then
    echo "== ngspice for the hardware checks"
    bash hardware/ensure_ngspice.sh || pre=1
fi

mkdir -p build
# the same Hypothesis examples on every run of `make test` (tests/conftest.py:
# the "ci" profile); a developer's plain `pytest` explores new ones
export HYPOTHESIS_PROFILE="${HYPOTHESIS_PROFILE:-ci}"
echo "== pytest (CPython, and the MicroPython unix port -X heapsize=100K)"
# two workers (CI has 2 cores); the wall-clock tests share one of them
# (tests/conftest.py groups them)
$BIN/python -m pytest -p no:cacheprovider -n 2 --dist loadgroup "$@" | tee build/pytest.log
rc=${PIPESTATUS[0]}
if [ "$pre" -ne 0 ]; then
    echo "test.sh: a step before pytest failed (see above)" >&2
    [ "$rc" -ne 0 ] || rc=1
fi
exit "$rc"
