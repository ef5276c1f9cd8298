"""Console tests: the MicroPython-compatible helpers (tests/console/mpy) and
the pty/App boards (tests/console) importable from every console test.
tests/conftest.py already puts firmware/ and host_tools/ on sys.path."""

import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
for p in (HERE / "mpy", HERE):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))
