"""Shim: `import esp32` for firmware run as a process with this folder first on
sys.path. Re-exports simboard.esp32 bound to the world made from SIMBOARD_*
environment variables (see simboard/shimenv.py)."""

import sys


def _host_tools():
    f = __file__
    for _ in range(3):  # .../host_tools/simboard/shim/esp32.py -> .../host_tools
        i = f.rfind("/")
        f = f[:i] if i > 0 else "."
    if not f.startswith("/"):
        import os

        f = os.getcwd() + ("" if f == "." else "/" + f)
    return f


if _host_tools() not in sys.path:
    sys.path.append(_host_tools())

from simboard import shimenv as _shimenv  # noqa: E402

_shimenv.world()

from simboard.esp32 import *  # noqa: E402,F401,F403
