"""The firmware's console off the chip: SR-11 fuzz of the line reader and the
Console (scripted target), and the console of the real App on the simulated
board. Its boards (appboard.py, ptyboard.py) and the UsbSerial probe (boards/) also serve the wandctl
console tests in tests/cli, which test_console_app_e2e.py borrows `wandctl`
from; the fakes are in tests/unit (on sys.path from tests/conftest.py)."""

import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
for p in (HERE.parent / "cli", HERE):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))
