"""littlefs semantics over a host folder, for power-cut tests.

`FlashFS(root_dir)` offers what the firmware's storage code needs:
`open(path, mode)`, `rename(src, dst)`, `remove(path)`, `exists(path)`,
`listdir(path='')`.

- A file's new content is committed only at `close()`; before that the old
  content (if any) is what survives a power cut.
- A file created by `open(..., 'w')` exists at once, empty, and may survive a
  power cut that way.
- `rename` is atomic and replaces an existing target.
- `cut_after(n)`: the n-th next operation (open, read, write, close, rename,
  remove, exists, listdir) raises `PowerCut`, everything uncommitted is lost
  and this object is dead (every later call raises PowerCut). A new
  `FlashFS(root_dir)` then sees the post-cut state.
- `power_cut()` does the same at once (the world calls it on `power_cut`).
"""

import os


class PowerCut(BaseException):
    """Power was lost during a flash operation."""


def _join(root, path):
    p = path
    while p.startswith("/"):
        p = p[1:]
    if p in ("", "."):
        return root
    return root + "/" + p


def _isdir(path):
    try:
        return (os.stat(path)[0] & 0o170000) == 0o040000
    except OSError:
        return False


class FlashFS:
    def __init__(self, root_dir):
        self.root = root_dir.rstrip("/") if root_dir != "/" else root_dir
        try:
            os.stat(self.root)
        except OSError:
            os.mkdir(self.root)
        self.dead = False
        self._cut_in = 0
        self.ops = 0

    # -- power ----------------------------------------------------------
    def cut_after(self, n):
        """Make the n-th next operation raise PowerCut (n >= 1)."""
        if n < 1:
            raise ValueError("n must be >= 1")
        self._cut_in = n

    def power_cut(self):
        self.dead = True

    def power_restored(self):
        """After power-on the same flash is usable again (uncommitted data is gone)."""
        self.dead = False
        self._cut_in = 0

    def _op(self):
        if self.dead:
            raise PowerCut("flash is powered off")
        self.ops += 1
        if self._cut_in:
            self._cut_in -= 1
            if self._cut_in == 0:
                self.dead = True
                raise PowerCut("power cut during flash operation")

    # -- API ------------------------------------------------------------
    def open(self, path, mode="r"):
        self._op()
        full = _join(self.root, path)
        if "r" in mode and "+" not in mode:
            with open(full, "rb") as f:
                data = f.read()
            return _File(self, full, mode, data, False)
        if "w" in mode:
            if not self._exists(full):
                # the directory entry exists at once, empty
                with open(full, "wb"):
                    pass
            return _File(self, full, mode, b"", True)
        if "a" in mode or "+" in mode:
            data = b""
            if self._exists(full):
                with open(full, "rb") as f:
                    data = f.read()
            else:
                with open(full, "wb"):
                    pass
            return _File(self, full, mode, data, True)
        raise ValueError("invalid mode: " + mode)

    def _exists(self, full):
        try:
            os.stat(full)
            return True
        except OSError:
            return False

    def exists(self, path):
        self._op()
        return self._exists(_join(self.root, path))

    def rename(self, src, dst):
        self._op()
        os.rename(_join(self.root, src), _join(self.root, dst))

    def remove(self, path):
        self._op()
        os.remove(_join(self.root, path))

    def listdir(self, path=""):
        self._op()
        names = [n for n in os.listdir(_join(self.root, path)) if not n.startswith(".flashfs-")]
        names.sort()
        return names

    def mkdir(self, path):
        self._op()
        os.mkdir(_join(self.root, path))

    def read_committed(self, path):
        """Test helper: the committed bytes of a file, or None (no power check)."""
        full = _join(self.root, path)
        if not self._exists(full):
            return None
        with open(full, "rb") as f:
            return f.read()


class _File:
    def __init__(self, fs, full, mode, data, writable):
        self._fs = fs
        self._full = full
        self._text = "b" not in mode
        self._buf = data
        self._pos = len(data) if "a" in mode else 0  # append writes at the end
        self._w = writable
        self._closed = False

    def _check(self):
        if self._closed:
            raise ValueError("I/O operation on closed file")
        self._fs._op()

    def read(self, n=-1):
        self._check()
        b = self._buf
        if n is None or n < 0:
            out = b[self._pos:]
        else:
            out = b[self._pos:self._pos + n]
        self._pos += len(out)
        return out.decode() if self._text else out

    def readline(self, n=-1):
        self._check()
        b = self._buf
        i = b.find(b"\n", self._pos)
        end = len(b) if i < 0 else i + 1
        if n is not None and n >= 0 and end > self._pos + n:
            end = self._pos + n
        out = b[self._pos:end]
        self._pos = end
        return out.decode() if self._text else out

    def write(self, data):
        self._check()
        if not self._w:
            raise OSError(9, "EBADF")
        b = data.encode() if isinstance(data, str) else bytes(data)
        self._buf = self._buf[:self._pos] + b + self._buf[self._pos + len(b):]
        self._pos += len(b)
        return len(b)

    def flush(self):
        self._check()

    def close(self):
        if self._closed:
            return
        self._fs._op()
        self._closed = True
        if self._w:
            # commit atomically on the host: temp + rename
            d = self._full.rsplit("/", 1)
            tmp = (d[0] + "/" if len(d) > 1 else "") + ".flashfs-commit"
            with open(tmp, "wb") as f:
                f.write(self._buf)
            os.rename(tmp, self._full)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if not self._fs.dead:
            self.close()
        return False
