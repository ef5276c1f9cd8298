"""ESP-IDF partition tables (at 0x8000): read one, and refuse what the chip would refuse.

The format (ESP-IDF `gen_esp32part.py`, `esp_partition/partition.c`): 32-byte rows,
each `<HBBII16sI` (magic 0x50AA, type, subtype, offset, size, label, flags). The
rows end at the first row whose magic is not 0x50AA; with
CONFIG_PARTITION_TABLE_MD5 (on by default, and in MicroPython's builds) that row
must be the MD5 row: magic 0xEBEB, 14 bytes 0xFF, then the MD5 of every entry
before it. The app's partition loader refuses a table without that row ("No MD5
found in partition table") or with a wrong digest ("Partition table MD5
mismatch"), and then finds no partition to run from. The bootloader also
refuses partitions that overlap the table itself or each other.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from wandctl import flash as fl

ENTRY = struct.Struct("<HBBII16sI")
MAGIC = 0x50AA
MD5_MAGIC = 0xEBEB
TABLE_SIZE = 0xC00  # 96 rows: the table sector less the 0x400 the IDF leaves for signing
OFFSET = fl.PARTITION_TABLE_OFFSET
TYPE_APP = 0


@dataclass
class Partition:
    ptype: int
    subtype: int
    offset: int
    size: int
    label: str

    @property
    def end(self) -> int:
        return self.offset + self.size


def parse(blob: bytes) -> list[Partition]:
    """The entries of a partition table, checked as ESP-IDF checks them (MD5 row, overlaps)."""
    parts: list[Partition] = []
    md5_ok = False
    for i in range(0, min(len(blob), TABLE_SIZE) - ENTRY.size + 1, ENTRY.size):
        magic = struct.unpack_from("<H", blob, i)[0]
        if magic == MD5_MAGIC:
            want = hashlib.md5(blob[:i]).digest()
            if blob[i + 16 : i + 32] != want:
                raise fl.ImageError(
                    "the partition table at 0x%X fails its MD5 check (row %d holds %s, the entries give %s): "
                    "ESP-IDF refuses it ('Partition table MD5 mismatch') and the board would not boot"
                    % (OFFSET, i // ENTRY.size, blob[i + 16 : i + 32].hex(), want.hex())
                )
            md5_ok = True
            break
        if magic != MAGIC:
            if magic == 0xFFFF and parts:
                raise fl.ImageError(
                    "the partition table at 0x%X has no MD5 row after its %d entries: ESP-IDF refuses it "
                    "('No MD5 found in partition table') and the board would not boot" % (OFFSET, len(parts))
                )
            if not parts:
                raise fl.ImageError("the image has no partition table at 0x%X" % OFFSET)
            raise fl.ImageError(
                "the partition table at 0x%X has a bad entry %d (magic 0x%04X)" % (OFFSET, i // ENTRY.size, magic)
            )
        _, ptype, sub, off, size, label, _flags = ENTRY.unpack_from(blob, i)
        parts.append(Partition(ptype, sub, off, size, label.split(b"\0", 1)[0].decode("ascii", "replace")))
    if not parts:
        raise fl.ImageError("the image has no partition table at 0x%X" % OFFSET)
    if not md5_ok:
        raise fl.ImageError("the partition table at 0x%X runs to its end without an MD5 row" % OFFSET)
    check_layout(parts)
    return parts


def check_layout(parts: list[Partition], flash_bytes: int | None = None) -> None:
    """No partition over the table, none over another, none past the end of the flash."""
    table_end = OFFSET + 0x1000
    ordered = sorted(parts, key=lambda p: p.offset)
    for p in ordered:
        if p.size == 0 or p.offset < table_end and p.end > OFFSET:
            raise fl.ImageError(
                "partition '%s' (0x%X, %d bytes) overlaps the partition table at 0x%X or is empty"
                % (p.label, p.offset, p.size, OFFSET)
            )
    for a, b in zip(ordered, ordered[1:], strict=False):
        if b.offset < a.end:
            raise fl.ImageError(
                "partitions '%s' (0x%X..0x%X) and '%s' (0x%X..0x%X) overlap: no ESP-IDF build makes such a "
                "table (gen_esp32part.py refuses it), so the image is damaged"
                % (a.label, a.offset, a.end, b.label, b.offset, b.end)
            )
    if flash_bytes is not None:
        for p in ordered:
            if p.end > flash_bytes:
                raise fl.ImageError(
                    "partition '%s' ends at 0x%X, past the end of a %d MiB flash (the bootloader refuses "
                    "a partition that exceeds the flash chip size)"
                    % (p.label, p.end, flash_bytes >> 20)
                )
