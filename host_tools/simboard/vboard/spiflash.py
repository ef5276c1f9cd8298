"""The board's SPI flash: the 4 MiB image file (MicroPython's image, littlefs from 0x200000).

The file is the flash the ROM loader writes and the running chip's filesystem
lives in; a factory board gets a synthetic MicroPython image and erased flash.
"""

from __future__ import annotations

import os

from simboard import flashlayout

FLASH_SIZE = flashlayout.FLASH_SIZE
APP_IMAGE_OFFSET = flashlayout.APP_IMAGE_OFFSET  # where the ROM looks for the second-stage bootloader
VFS_PARTITION = (flashlayout.VFS_OFFSET, FLASH_SIZE - flashlayout.VFS_OFFSET)  # littlefs, to the end of flash


def blank_spi_flash() -> bytearray:
    """A factory board: MicroPython (synthetic image) at 0x1000, the rest erased."""
    from wandctl.flash import build_merged_image

    flash = bytearray(b"\xff" * FLASH_SIZE)
    image = build_merged_image("esp32")
    flash[APP_IMAGE_OFFSET : APP_IMAGE_OFFSET + len(image)] = image
    return flash


class SpiFlashMixin:
    """The image file: loaded for the ROM loader, saved after it wrote, its littlefs region."""

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

    def _fs_region(self) -> bytes:
        lo, size = VFS_PARTITION
        if self._rom is not None and self._spi is not None:
            return bytes(self._spi[lo : lo + size])
        with open(self.spi_flash_path, "rb") as f:
            f.seek(lo)
            return f.read(size)

    def _fs_region_write(self, data: bytes) -> None:
        lo, size = VFS_PARTITION
        assert len(data) == size
        if self._spi is not None:
            self._spi[lo : lo + size] = data
        fd = os.open(self.spi_flash_path, os.O_WRONLY)
        try:
            os.pwrite(fd, data, lo)
        finally:
            os.close(fd)

    def _load_spi_flash(self):
        if self.spi_flash_path.exists() and self.spi_flash_path.stat().st_size == FLASH_SIZE:
            self._spi = bytearray(self.spi_flash_path.read_bytes())
        else:
            self._spi = blank_spi_flash()
            self._save_spi_flash()

    def _save_spi_flash(self):
        tmp = self.spi_flash_path.with_name(self.spi_flash_path.name + ".tmp")
        tmp.write_bytes(self._spi)
        os.replace(tmp, self.spi_flash_path)
