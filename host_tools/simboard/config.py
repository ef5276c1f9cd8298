"""Load hardware/board.json: the one description of the board.

Finds the file relative to this module with string operations only (no
os.path, so it runs on MicroPython). `load_board(x)` also accepts a dict (used
as is) or a path.
"""

import json
import os


def _here():
    f = __file__
    i = f.rfind("/")
    d = f[:i] if i >= 0 else "."
    if not d.startswith("/"):
        cwd = os.getcwd()
        d = cwd if d == "." else cwd + "/" + d
    return d


def _find_board():
    env = os.getenv("SIMBOARD_BOARD_JSON")
    if env:
        return env
    d = HERE
    for _ in range(6):  # host_tools/simboard/ (or its _mpy cache) -> repository root
        p = d + "/hardware/board.json"
        try:
            os.stat(p)
            return p
        except OSError:
            pass
        i = d.rfind("/")
        if i <= 0:
            break
        d = d[:i]
    return HERE + "/../../hardware/board.json"


# Resolved at import time: the runner changes the working directory later.
HERE = _here()
BOARD_JSON = _find_board()


def load_board(src=None):
    if isinstance(src, dict):
        return src
    path = BOARD_JSON if src is None else src
    with open(path) as f:
        return json.load(f)
