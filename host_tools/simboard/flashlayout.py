"""The ESP32's SPI flash as MicroPython (v1.26 and later) lays it out: the one
place for the offsets and the littlefs geometry (the pty board, the ROM loader,
image tools and tests all read them here).

Since v1.26 the partition tables have no `vfs` entry: the port makes the
filesystem from the end of the last partition (0x200000 in the default table
for 4 MiB and up) to the end of the physical flash, so 512 blocks on 4 MiB. A
littlefs image whose block count differs does not mount. littlefs v2 (2.11 in
MicroPython): block 4096, read and prog size 32, lookahead 32, block_cycles 100
(vfs_lfsx.c), name_max 255. Plain module: runs on CPython and MicroPython.
"""

FLASH_SIZE = 0x400000  # 4 MiB
APP_IMAGE_OFFSET = 0x1000  # ESP32 and ESP32-S2: the second-stage bootloader, where the ROM looks
VFS_OFFSET = 0x200000  # end of the last partition (factory app) in the default table
BLOCK_SIZE = 4096
READ_SIZE = 32
PROG_SIZE = 32
LOOKAHEAD = 32
BLOCK_CYCLES = 100
NAME_MAX = 255


def vfs_blocks(flash_size=FLASH_SIZE):
    """littlefs blocks from VFS_OFFSET to the end of a flash of that size (512 on 4 MiB)."""
    return (flash_size - VFS_OFFSET) // BLOCK_SIZE


def geometry(flash_size=FLASH_SIZE):
    """As a dict (JSON-able, and the keyword names of littlefs-python's LittleFS)."""
    return {
        "offset": VFS_OFFSET,
        "block_size": BLOCK_SIZE,
        "block_count": vfs_blocks(flash_size),
        "read_size": READ_SIZE,
        "prog_size": PROG_SIZE,
        "lookahead_size": LOOKAHEAD,
        "block_cycles": BLOCK_CYCLES,
        "name_max": NAME_MAX,
    }
