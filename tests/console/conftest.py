"""The firmware's console off the chip: SR-11 fuzz of the line reader and the
Console (scripted target), and the console of the real App on the simulated
board (appboard.py: the World, virtual clock), end to end on its pty form
(vbfixtures' `main_board`, real firmware). The UsbSerial probe (boards/) also
serves the wandctl console tests in tests/cli, which test_console_app_e2e.py
borrows `wandctl` from; the fakes are in tests/unit (on sys.path from
tests/conftest.py)."""

import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
for p in (HERE.parent / "cli", HERE.parent / "vboard", HERE):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from vbfixtures import deployed_flash, main_board  # noqa: E402, F401
