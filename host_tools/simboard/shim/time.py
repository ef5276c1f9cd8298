"""Shim: `import time` for firmware run as a process with this folder first on
sys.path. Re-exports simboard.time bound to the world made from SIMBOARD_*
environment variables (see _simpath.py and simboard/shimenv.py)."""

import _simpath  # noqa: F401  (sets up sys.path and the world)

from simboard.time import *  # noqa: E402,F401,F403
