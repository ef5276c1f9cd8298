"""Atomic file update over an injected filesystem (SR-10).

littlefs commits a file only at close and `rename` is atomic and replaces the
target, so: write a temp file, close it, rename it over the target. Power lost
at any instant leaves the old or the new file. The filesystem is an object
with open/rename/remove/exists so tests can cut the power at every step.
"""

import os

from micropython import const

# No file of ours comes near this; a larger one is not ours and is read only
# this far (a whole-file read of a huge file would exhaust the heap, SR-10).
MAX_READ = const(16384)
_PIECE = const(256)


class OsFs:
    """The board's real filesystem (littlefs on the ESP32)."""

    def __init__(self, root=""):
        self.root = root

    def path(self, name):
        return self.root + name if self.root else name

    def open(self, name, mode):
        return open(self.path(name), mode)

    def rename(self, src, dst):
        os.rename(self.path(src), self.path(dst))

    def remove(self, name):
        os.remove(self.path(name))

    def exists(self, name):
        try:
            os.stat(self.path(name))
            return True
        except OSError:
            return False


def write(fs, name, text):
    tmp = name + ".tmp"
    f = fs.open(tmp, "w")
    try:
        f.write(text)
    finally:
        f.close()
    fs.rename(tmp, name)


def read(fs, name, limit=MAX_READ):
    """The file's text (at most `limit` + 1 characters, so a caller can tell
    a file that is too long), None if it is missing, or "" if it is there but
    unreadable (not text, an I/O error): the caller reports that as corrupt,
    never as "no file" (SR-10). Read in small pieces: `read(n)` reserves n
    bytes up front, which a fragmented heap may not have for a small file."""
    try:
        f = fs.open(name, "r")
    except OSError:
        return None
    try:
        parts = []
        n = 0
        while n <= limit:
            piece = f.read(_PIECE)
            if not piece:
                break
            parts.append(piece)
            n += len(piece)
        return "".join(parts)
    except (OSError, UnicodeError):
        return ""
    finally:
        f.close()


def discard_temp(fs, name):
    """Remove a temp file a power cut left behind (the target is intact)."""
    tmp = name + ".tmp"
    try:
        if fs.exists(tmp):
            fs.remove(tmp)
    except OSError:
        pass
