"""The pty board's filesystem seen from the host: littlefs-python on the SPI flash image.

The board's files live in real littlefs (MicroPython's VfsLfs2 in the chip) in
the image's filesystem region (simboard/flashlayout.py). `FlashPath` gives
tests and tools a small pathlib-like view of it:

    board.files / "settings.json"          .read_text() .read_bytes() .exists()
    board.files / "lib"                    .iterdir() .is_dir()
    (board.files / "main.py").write_text("...")   # power off, edit, power on again

Reading takes a snapshot of the image (read it while the chip is quiet, e.g.
after an mpremote command ended). Writing needs the chip stopped, as a flash
programmer would: the board is powered off for the edit and powered on again
(and waited for) if it was on, so a running firmware sees a power cycle.
"""

from __future__ import annotations

import posixpath

from littlefs import LittleFS, LittleFSError, UserContext

from simboard import flashlayout


def open_image_fs(region: bytes | bytearray, mount: bool = True) -> LittleFS:
    """littlefs-python on a filesystem region (bytes of VFS_OFFSET..end of flash)."""
    g = flashlayout.geometry(flashlayout.VFS_OFFSET + len(region))
    ctx = UserContext(buffer=bytearray(region))
    return LittleFS(
        context=ctx,
        block_size=g["block_size"],
        block_count=g["block_count"],
        read_size=g["read_size"],
        prog_size=g["prog_size"],
        lookahead_size=g["lookahead_size"],
        block_cycles=g["block_cycles"],
        name_max=g["name_max"],
        mount=mount,
    )


class FlashPath:
    def __init__(self, board, path: str):
        self._board = board
        self._path = path.strip("/")

    def __truediv__(self, other) -> FlashPath:
        return FlashPath(self._board, posixpath.join(self._path, str(other)))

    def __repr__(self):
        return "FlashPath(%r)" % ("/" + self._path)

    def __fspath__(self):  # for messages only
        return "/" + self._path

    @property
    def name(self) -> str:
        return posixpath.basename(self._path)

    def _fs(self) -> LittleFS | None:
        try:
            return open_image_fs(self._board._call(self._board._fs_region))
        except LittleFSError:
            return None  # not formatted (erased, or never booted)

    def _stat(self):
        fs = self._fs()
        if fs is None:
            return None
        try:
            return fs.stat("/" + self._path)
        except LittleFSError:
            return None

    def exists(self) -> bool:
        return self._path == "" or self._stat() is not None

    def is_dir(self) -> bool:
        st = self._stat() if self._path else True
        return bool(st) and (self._path == "" or st.type == 2)

    def read_bytes(self) -> bytes:
        fs = self._fs()
        if fs is None:
            raise FileNotFoundError("/" + self._path)
        try:
            with fs.open("/" + self._path, "rb") as f:
                return f.read()
        except LittleFSError:
            raise FileNotFoundError("/" + self._path) from None

    def read_text(self) -> str:
        return self.read_bytes().decode("utf-8")

    def iterdir(self):
        fs = self._fs()
        if fs is None:
            return iter(())
        try:
            names = fs.listdir("/" + self._path)
        except LittleFSError:
            raise FileNotFoundError("/" + self._path) from None
        return iter([self / n for n in names])

    def write_bytes(self, data: bytes) -> None:
        board = self._board
        was_on = board._powered and board._rom is None
        if was_on:
            board.power_cut()
        region = bytearray(board._call(board._fs_region))
        try:
            fs = open_image_fs(region)
        except LittleFSError:
            fs = open_image_fs(region, mount=False)
            fs.format()
            fs.mount()
        parent = posixpath.dirname(self._path)
        if parent:
            fs.makedirs("/" + parent, exist_ok=True)
        with fs.open("/" + self._path, "wb") as f:
            f.write(bytes(data))
        board._call(lambda: board._fs_region_write(bytes(fs.context.buffer)))
        if was_on:
            board.power_on()
            board.wait_ready()

    def write_text(self, text: str) -> None:
        self.write_bytes(text.encode("utf-8"))
