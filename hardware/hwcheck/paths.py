"""Where the checkout's folders are: the one place in hwcheck that knows it
runs from hardware/hwcheck/ of a checkout of microwand (hardware/check.py puts
hardware/ on the path; the package is not installed), as wandctl.paths is for
wandctl."""

from __future__ import annotations

import sys
from pathlib import Path


def checkout() -> Path:
    """The checkout's root: the folder above hardware/, which holds this package."""
    return Path(__file__).resolve().parent.parent.parent


ROOT = checkout()
HW = ROOT / "hardware"
NET = HW / "netlist"
README = HW / "README.md"
BOARD_JSON = HW / "board.json"
PARAMS_INC = NET / "board_params.inc"


def host_tools_importable() -> None:
    """Make the checkout's host_tools (wandctl.boardgen, wandctl.tools)
    importable when hardware/check.py runs outside the venv."""
    p = str(ROOT / "host_tools")
    if p not in sys.path:
        sys.path.insert(0, p)
