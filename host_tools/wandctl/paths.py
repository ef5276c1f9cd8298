"""Where the checkout's folders are: the one place that knows wandctl runs from a checkout of microwand.

wandctl is installed editable from the checkout (`make venv`), so its package
sits at host_tools/wandctl/ and the checkout's firmware/, build/, bench/ and
hardware/ (with board.json) are found from there. host_tools/ itself is where
this package and simboard are, wherever that is; the files the packages load
at run time (the pty board's chip/ and mpy/, simboard's shim/) sit inside them
and ship as package data (pyproject.toml). Installed on its own (not from a
checkout), the checkout's folders are not there: `checkout()` says so with a
WandctlError, and the code that uses them calls it before it does.

The external programs (micropython, mpy-cross, ngspice, node) are found by
wandctl.tools.find_tool. simboard code that also runs on MicroPython cannot
import this module (no pathlib there): the process that starts such a
MicroPython gets its environment from `micropython_env()`.
"""

from __future__ import annotations

from pathlib import Path

from wandctl.errors import WandctlError

WANDCTL = Path(__file__).resolve().parent  # host_tools/wandctl
HOST_TOOLS = WANDCTL.parent  # the folder of the wandctl and simboard packages
ROOT = HOST_TOOLS.parent  # the checkout (when wandctl runs from one)
FIRMWARE = ROOT / "firmware"
BUILD = ROOT / "build"
BENCH = ROOT / "bench"
HARDWARE = ROOT / "hardware"
BOARD_JSON = HARDWARE / "board.json"

NOT_IN_CHECKOUT = ("the firmware sources are not beside this wandctl (it finds them in a checkout of microwand: "
                   "run it from the checkout's venv)")


def checkout() -> Path:
    """The checkout's root, after checking that this wandctl runs from one (its firmware/ is there).

    Raises WandctlError (NOT_IN_CHECKOUT) when it does not, e.g. in a non-editable install."""
    if not FIRMWARE.is_dir():
        raise WandctlError(NOT_IN_CHECKOUT)
    return ROOT


def firmware(path: Path | str | None = None) -> Path:
    """The firmware folder to use: `path` when given, else the checkout's firmware/. The checkout's
    one is checked first (checkout()); a folder given elsewhere is left to its user to check."""
    if path is not None and not str(path).strip():
        # (Path("") is the current folder: `--firmware ''` deployed whatever was there, a helper's audit)
        raise WandctlError("--firmware needs a folder (with boot.py, main.py and wand/), e.g. --firmware firmware")
    p = FIRMWARE if path is None else Path(path)
    if p == FIRMWARE:
        checkout()
    return p


def board_json() -> Path:
    """The one board description, hardware/board.json of the checkout (checked with checkout())."""
    checkout()
    return BOARD_JSON


def firmware_importable() -> Path:
    """Make the checkout's firmware (`wand`) importable here, on CPython, with simboard's stand-in
    for the `micropython` module; return the firmware folder."""
    import sys

    fw = firmware()
    for p in (str(fw), str(HOST_TOOLS)):
        if p not in sys.path:
            sys.path.insert(0, p)
    if "micropython" not in sys.modules:
        from simboard import upy

        sys.modules["micropython"] = upy
    return fw


def micropython_env(first: Path | str | None = None) -> dict:
    """The environment of a MicroPython process that runs simboard: MICROPYPATH (`first`, if given,
    then host_tools, then the frozen modules) and SIMBOARD_BOARD_JSON (simboard.config cannot find
    the board description by itself on MicroPython)."""
    import os

    path = ([str(first)] if first is not None else []) + [str(HOST_TOOLS), ".frozen"]
    return dict(os.environ, MICROPYPATH=":".join(path), SIMBOARD_BOARD_JSON=str(board_json()))
