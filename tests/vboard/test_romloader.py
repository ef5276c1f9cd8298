"""The ROM loader state machine on its own (the end-to-end esptool tests are in test_flash_cmd.py)."""

import hashlib
import struct

from simboard.vboard.romloader import (
    ERR_BAD_CRC,
    ERR_INVALID_MSG,
    ESP32_MAGIC,
    FLASH_BEGIN,
    FLASH_DATA,
    READ_FLASH_SLOW,
    READ_REG,
    SPI_FLASH_MD5,
    SYNC,
    RomLoader,
    checksum,
    slip_encode,
)


def request(op, data=b"", chk=0):
    return slip_encode(struct.pack("<BBHI", 0, op, len(data), chk) + data)


def replies(raw):
    frames, cur, esc, inside = [], bytearray(), False, False
    for b in raw:
        if b == 0xC0:
            if inside and cur:
                frames.append(bytes(cur))
                cur = bytearray()
            inside = True
            continue
        if esc:
            cur.append({0xDC: 0xC0, 0xDD: 0xDB}[b])
            esc = False
        elif b == 0xDB:
            esc = True
        else:
            cur.append(b)
    out = []
    for f in frames:
        direction, op, size, value = struct.unpack("<BBHI", f[:8])
        assert direction == 1 and size == len(f) - 8
        out.append((op, value, f[8:]))
    return out


def test_sync_is_answered_eight_times_and_magic_reads_esp32():
    rom = RomLoader(bytearray(b"\xff" * (4 << 20)))
    got = replies(rom.feed(request(SYNC, b"\x07\x07\x12\x20" + b"\x55" * 32)))
    assert len(got) == 8 and all(op == SYNC and data[:2] == b"\0\0" for op, _, data in got)
    ((op, value, data),) = replies(rom.feed(request(READ_REG, struct.pack("<I", 0x40001000))))
    assert value == ESP32_MAGIC and data == b"\0\0\0\0"


def test_flash_write_erases_sectors_checks_checksum_and_programs_like_nor():
    flash = bytearray(b"\x00" * (4 << 20))  # not erased: FLASH_BEGIN must erase first
    rom = RomLoader(flash)
    replies(rom.feed(request(FLASH_BEGIN, struct.pack("<IIII", 10, 1, 0x400, 0x1000))))
    assert flash[0x1000:0x2000] == b"\xff" * 0x1000  # the whole 4 KiB sector
    assert flash[0x0FFF] == 0 and flash[0x2000] == 0
    block = b"\xab" * 10
    bad = replies(
        rom.feed(request(FLASH_DATA, struct.pack("<IIII", 10, 0, 0, 0) + block, checksum(block) ^ 1))
    )
    assert bad[0][2][:2] == bytes([1, ERR_BAD_CRC])
    ok = replies(rom.feed(request(FLASH_DATA, struct.pack("<IIII", 10, 0, 0, 0) + block, checksum(block))))
    assert ok[0][2][:2] == b"\0\0"
    assert flash[0x1000:0x100A] == block
    # NOR: programming without an erase can only clear bits
    rom._program(0x1000, b"\x0f")
    assert flash[0x1000] == 0xAB & 0x0F


def test_md5_and_slow_read_of_escaped_bytes():
    flash = bytearray(b"\xff" * (4 << 20))
    flash[0:4] = b"\xc0\xdb\xc0\x01"  # bytes that SLIP must escape
    rom = RomLoader(flash)
    ((op, _, data),) = replies(rom.feed(request(SPI_FLASH_MD5, struct.pack("<IIII", 0, 4096, 0, 0))))
    assert data[:32].decode() == hashlib.md5(flash[:4096]).hexdigest()
    ((op, _, data),) = replies(rom.feed(request(READ_FLASH_SLOW, struct.pack("<II", 0, 4))))
    assert data[:4] == b"\xc0\xdb\xc0\x01" and len(data) == 64 + 4


def test_unknown_and_stub_only_commands_get_invalid_message():
    rom = RomLoader(bytearray(b"\xff" * (4 << 20)))
    for op in (0x14, 0xD0, 0xD2):  # GET_SECURITY_INFO (not on an ESP32 ROM), ERASE_FLASH, READ_FLASH (stub)
        ((got_op, _, data),) = replies(rom.feed(request(op, b"\0" * 16)))
        assert got_op == op and data[:2] == bytes([1, ERR_INVALID_MSG])
