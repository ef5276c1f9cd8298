"""wandctl as a user runs it. Those that need a board use the pty board's
fixtures and helpers (tests/vboard: the real firmware deployed, `main_board`),
and tests/console for the UsbSerial probe under MicroPython (boards/)."""

import pathlib
import sys

TESTS = pathlib.Path(__file__).resolve().parents[1]
for p in (TESTS / "vboard", TESTS / "console"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from vbfixtures import _no_port_env, board, deployed_flash, fw_v1, main_board  # noqa: E402, F401
