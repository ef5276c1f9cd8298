"""`os` on the virtual board: the unix port's built-in `os`, made to behave like the ESP32's.

The flash folder is mounted as the root of MicroPython's VFS (a `VfsPosix`
with a root), so `/main.py` is the board's main.py and never a host file. Two
differences from littlefs on the chip are patched here:

- `rename(a, b)` with two absolute paths fails in VfsPosix-with-root (both
  paths are built in one shared buffer); the paths are made relative first.
- `ilistdir()` gives 4-tuples `(name, type, inode, size)` as littlefs does
  (mpremote's `ls` shows the size from it).
"""

import sys

_saved = sys.path[:]
sys.path.clear()
try:
    import os as _os
    from os import *  # noqa: F403 - the built-in module, found with an empty path
finally:
    sys.path.extend(_saved)
del _saved


def _rel(path):
    if not path.startswith("/"):
        return path
    cwd = _os.getcwd()
    depth = 0 if cwd in ("", "/") else len([p for p in cwd.split("/") if p])
    rest = path.lstrip("/")
    return "../" * depth + (rest or ".")


def rename(old, new):
    if isinstance(old, str) and isinstance(new, str) and old.startswith("/") and new.startswith("/"):
        old = _rel(old)
    _os.rename(old, new)


def ilistdir(path="."):
    for entry in _os.ilistdir(path):
        name, kind, inode = entry[0], entry[1], entry[2]
        size = 0
        if kind == 0x8000:
            full = name if path in ("", ".") else path.rstrip("/") + "/" + name
            try:
                size = _os.stat(full)[6]
            except OSError:
                size = 0
        yield (name, kind, inode, size)


def listdir(path="."):
    return [e[0] for e in _os.ilistdir(path)]
