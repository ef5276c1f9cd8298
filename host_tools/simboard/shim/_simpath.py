"""Shared by the shims (machine, time, esp32): put host_tools on sys.path and
build the world from the SIMBOARD_* environment variables, once (see
simboard/shimenv.py). Importing this module does it."""

import sys


def _host_tools():
    f = __file__
    for _ in range(3):  # .../host_tools/simboard/shim/_simpath.py -> .../host_tools
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
