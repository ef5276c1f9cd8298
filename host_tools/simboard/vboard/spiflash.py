"""The board's SPI flash: the image file (4 MiB unless told; MicroPython's image, then littlefs).

The file is the flash the ROM loader writes and the running chip's filesystem
lives in; a factory board gets a synthetic MicroPython image and erased flash.
Where the filesystem lives is read from the partition table in the flash, as
MicroPython's ESP32 port does at boot: its `vfs` partition (up to 1.25), else
from the end of the last partition to the end of the flash (1.26 and later), so
a board of 8 or 16 MiB flashed with that size's one-file image mounts its
littlefs where the image put it.
"""

from __future__ import annotations

import os

from simboard import flashlayout

FLASH_SIZE = flashlayout.FLASH_SIZE
APP_IMAGE_OFFSET = flashlayout.APP_IMAGE_OFFSET  # where the ROM looks for the second-stage bootloader
VFS_PARTITION = (flashlayout.VFS_OFFSET, FLASH_SIZE - flashlayout.VFS_OFFSET)  # littlefs, to the end of flash


def blank_spi_flash(size: int = FLASH_SIZE) -> bytearray:
    """A factory board: MicroPython (synthetic image) at 0x1000, the rest erased."""
    from wandctl.flash import build_merged_image

    flash = bytearray(b"\xff" * size)
    image = build_merged_image("esp32")
    flash[APP_IMAGE_OFFSET : APP_IMAGE_OFFSET + len(image)] = image
    return flash


def vfs_region(table: bytes, flash_len: int) -> tuple[int, int]:
    """(offset, size) of the filesystem, from the partition table (the flash's bytes at 0x8000) as
    MicroPython's port finds it: the `vfs` partition, else the end of the last partition to the end."""
    from wandctl import flash as fl
    from wandctl import ptable

    try:
        parts = ptable.parse(table[: ptable.TABLE_SIZE])
    except fl.ImageError:
        return flashlayout.VFS_OFFSET, flash_len - flashlayout.VFS_OFFSET  # no table: nothing would boot
    vfs = next((p for p in parts if p.ptype == 1 and p.label == "vfs"), None)
    if vfs is not None:
        return vfs.offset, max(0, min(vfs.size, flash_len - vfs.offset))
    start = -(-max(p.end for p in parts) // flashlayout.BLOCK_SIZE) * flashlayout.BLOCK_SIZE
    return start, max(0, flash_len - start)


class SpiFlashMixin:
    """The image file: loaded for the ROM loader, saved after it wrote, its littlefs region."""

    flash_size: int = FLASH_SIZE

    def spi_flash(self) -> bytes:
        """The whole SPI flash image as it is now (the running chip writes its filesystem there)."""
        return self._call(lambda: bytes(self._spi) if self._rom is not None else self.spi_flash_path.read_bytes())

    @property
    def files(self):
        """The board's littlefs as the host sees it (littlefs-python on the SPI flash image):
        a Path-like root, `board.files / "lib" / "x.py"`. Writing stops the chip (power off),
        edits the image, and powers it on again as it was."""
        from simboard.vboard.lfsview import FlashPath

        return FlashPath(self, "")

    def vfs_region(self) -> tuple[int, int]:
        """(offset, size) of the filesystem, read from the partition table now in the flash."""
        from wandctl import ptable

        spi = self._spi
        if self._rom is not None and spi is not None:
            return vfs_region(bytes(spi[ptable.OFFSET : ptable.OFFSET + ptable.TABLE_SIZE]), len(spi))
        if not self.spi_flash_path.exists():
            return flashlayout.VFS_OFFSET, self.flash_size - flashlayout.VFS_OFFSET
        with open(self.spi_flash_path, "rb") as f:
            f.seek(ptable.OFFSET)
            table = f.read(ptable.TABLE_SIZE)
            return vfs_region(table, f.seek(0, os.SEEK_END))

    def _fs_region(self) -> bytes:
        lo, size = self.vfs_region()
        if self._rom is not None and self._spi is not None:
            return bytes(self._spi[lo : lo + size])
        with open(self.spi_flash_path, "rb") as f:
            f.seek(lo)
            return f.read(size)

    def _fs_region_write(self, data: bytes) -> None:
        lo, size = self.vfs_region()
        assert len(data) == size
        if self._spi is not None:
            self._spi[lo : lo + size] = data
        fd = os.open(self.spi_flash_path, os.O_WRONLY)
        try:
            os.pwrite(fd, data, lo)
        finally:
            os.close(fd)

    def _load_spi_flash(self):
        if self.spi_flash_path.exists() and self.spi_flash_path.stat().st_size == self.flash_size:
            self._spi = bytearray(self.spi_flash_path.read_bytes())
        else:
            self._spi = blank_spi_flash(self.flash_size)
            self._save_spi_flash()

    def _save_spi_flash(self):
        tmp = self.spi_flash_path.with_name(self.spi_flash_path.name + ".tmp")
        tmp.write_bytes(self._spi)
        os.replace(tmp, self.spi_flash_path)
