"""Load hardware/board.json: the one description of the board.

Where it is: SIMBOARD_BOARD_JSON when set, else (on CPython) the checkout's,
from wandctl.paths, the one place that knows the checkout. MicroPython cannot
import wandctl.paths (no pathlib), so a MicroPython process that runs the
simulator is started with SIMBOARD_BOARD_JSON set (wandctl.paths.micropython_env).
This module uses no os.path, so it runs on MicroPython. `load_board(x)` also
accepts a dict (used as is) or a path.
"""

import json
import os
import sys

NO_BOARD = ("which board.json? set SIMBOARD_BOARD_JSON (on MicroPython the simulator "
            "cannot find the checkout's hardware/board.json by itself)")


def _absolute(p):
    # Resolved at import time: the runner changes the working directory later.
    if p.startswith("/"):
        return p
    return os.getcwd() + "/" + p


def _find_board():
    env = os.getenv("SIMBOARD_BOARD_JSON")
    if env:
        return _absolute(env)
    if sys.implementation.name == "micropython":
        return None  # whoever started it says where (SIMBOARD_BOARD_JSON)
    from wandctl.paths import BOARD_JSON

    return str(BOARD_JSON)


BOARD_JSON = _find_board()


def load_board(src=None):
    if isinstance(src, dict):
        return src
    path = BOARD_JSON if src is None else src
    if path is None:
        raise OSError(NO_BOARD)
    with open(path) as f:
        return json.load(f)
