"""Compile firmware modules to .mpy with mpy-cross (used by the runner on MicroPython)."""

import os
import sys


def _exists(p):
    try:
        os.stat(p)
        return True
    except OSError:
        return False


def makedirs(path):
    cur = ""
    for p in path.split("/"):
        if not p:
            continue
        cur = cur + "/" + p
        if not _exists(cur):
            os.mkdir(cur)


def mpy_cross():
    """Path of mpy-cross next to the running interpreter, or None."""
    exe = getattr(sys, "executable", "") or ""
    i = exe.rfind("/")
    if i < 0:
        return None
    p = exe[:i] + "/mpy-cross"
    return p if _exists(p) else None


def compile_firmware_mpy(firmware, cache):
    """Compile the firmware's modules (all .py except boot.py/main.py) to .mpy
    under cache, as `wandctl deploy` does for the board; return cache or None.

    Only used on MicroPython: compiling the firmware inside the 100 KB heap next
    to the simulator would not fit, and the board runs .mpy files anyway."""
    cross = mpy_cross()
    if cross is None:
        return None
    makedirs(cache)
    stack = [""]
    while stack:
        rel = stack.pop()
        src_dir = firmware + rel
        for name in sorted(os.listdir(src_dir)):
            path = src_dir + "/" + name
            if (os.stat(path)[0] & 0o170000) == 0o040000:
                if name != "__pycache__":
                    makedirs(cache + rel + "/" + name)
                    stack.append(rel + "/" + name)
                continue
            if not name.endswith(".py") or (rel == "" and name in ("boot.py", "main.py")):
                continue
            dst = cache + rel + "/" + name[:-3] + ".mpy"
            try:
                if os.stat(dst)[8] >= os.stat(path)[8]:
                    continue
            except OSError:
                pass
            if os.system("'%s' -o '%s' '%s'" % (cross, dst, path)) != 0:
                return None
    return cache
