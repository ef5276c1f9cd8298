"""Where the checkout's folders are: the one place that knows wandctl runs from a checkout of microwand.

wandctl is installed editable from the checkout (`make venv`), so its package
sits at host_tools/wandctl/ and the checkout's firmware/, build/, bench/ and
hardware/ are found from there. host_tools/ itself is where this package and
simboard are, wherever that is. Installed on its own (not from a checkout),
those folders are not there: `checkout()` says so with a WandctlError, and the
commands that use them call it before they do.
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
    p = FIRMWARE if path is None else Path(path)
    if p == FIRMWARE:
        checkout()
    return p
