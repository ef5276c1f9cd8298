"""The SPI flash's filesystem region as a MicroPython block device (as the ESP32
port's `flashbdev.bdev`), over the board's SPI flash image file.

Extended block protocol: readblocks(n, buf, off), writeblocks(n, buf, off)
(off None: erase, then write whole blocks), ioctl 4 (count), 5 (size), 6
(erase: the bytes become 0xff, as NOR flash). Writes go straight to the file
(MicroPython's files are unbuffered), so a power cut (the interpreter killed)
leaves exactly what littlefs had programmed.
"""


class FlashBdev:
    def __init__(self, path, offset, block_size, block_count):
        self._f = open(path, "r+b")
        self._off = offset
        self._bs = block_size
        self._n = block_count
        self._ff = b"\xff" * block_size

    def readblocks(self, n, buf, off=0):
        f = self._f
        f.seek(self._off + n * self._bs + off)
        f.readinto(buf)

    def writeblocks(self, n, buf, off=None):
        if off is None:
            for k in range(len(buf) // self._bs):
                self.ioctl(6, n + k)
            off = 0
        f = self._f
        f.seek(self._off + n * self._bs + off)
        f.write(buf)

    def ioctl(self, op, arg):
        if op == 4:
            return self._n
        if op == 5:
            return self._bs
        if op == 6:
            f = self._f
            f.seek(self._off + arg * self._bs)
            f.write(self._ff)
            return 0
        if op in (1, 2, 3):
            return 0
        return None
