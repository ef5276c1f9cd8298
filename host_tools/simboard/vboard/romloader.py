"""The ESP32 ROM serial loader, as a pure byte-in/byte-out state machine.

`RomLoader(flash, chip="esp32", mac=...)` holds a reference to the SPI flash
contents (a `bytearray`, changed in place) and answers the commands that real
`esptool --no-stub` sends to the ROM bootloader of an ESP32:

- SLIP framing (0xC0 ends a frame, 0xDB 0xDC / 0xDB 0xDD escape 0xC0 / 0xDB);
- SYNC (answered eight times, as the ROM does), READ_REG / WRITE_REG over a small
  register file (chip-detect magic at 0x40001000, eFuse words with the MAC,
  UART clock divider for the crystal estimate, RTC calibration for
  CHANGE_BAUDRATE, the SPI0 user-command registers so `flash_id` reads a JEDEC
  id), SPI_ATTACH, SPI_SET_PARAMS, CHANGE_BAUDRATE;
- FLASH_BEGIN / FLASH_DATA / FLASH_END with NOR-flash semantics: FLASH_BEGIN
  erases the 4 KiB sectors it covers to 0xFF, writes can only clear bits, the
  data checksum (0xEF xor every byte) is checked;
- FLASH_DEFL_BEGIN / DATA / END (the ROM's compressed download, which esptool
  uses by default);
- SPI_FLASH_MD5 (the ROM returns 32 lower-case hex characters), READ_FLASH_SLOW
  (64-byte blocks: what `esptool --no-stub read-flash` uses);
- anything else (GET_SECURITY_INFO, stub-only commands) gets the ROM's
  "invalid message" error, which is how esptool tells an ESP32 from newer chips.

Response frame: direction 0x01, command, data length (u16), value (u32), data,
where data ends with the ESP32 ROM's four status bytes (status, error, 0, 0).

`feed(data) -> bytes` consumes bytes from the host and returns what the chip
sends back. `run_user_code` / `reboot_requested` tell the owner (the virtual
board) that FLASH_END asked to leave the loader. `erased` lists the (offset,
length) ranges erased or written since the last `take_changes()`.
"""

from __future__ import annotations

import hashlib
import struct
import zlib

SLIP_END = 0xC0
SLIP_ESC = 0xDB
SLIP_ESC_END = 0xDC
SLIP_ESC_ESC = 0xDD

# Commands (esptool loader.py ESP_CMDS).
FLASH_BEGIN = 0x02
FLASH_DATA = 0x03
FLASH_END = 0x04
MEM_BEGIN = 0x05
MEM_END = 0x06
MEM_DATA = 0x07
SYNC = 0x08
WRITE_REG = 0x09
READ_REG = 0x0A
SPI_SET_PARAMS = 0x0B
SPI_ATTACH = 0x0D
READ_FLASH_SLOW = 0x0E
CHANGE_BAUDRATE = 0x0F
FLASH_DEFL_BEGIN = 0x10
FLASH_DEFL_DATA = 0x11
FLASH_DEFL_END = 0x12
SPI_FLASH_MD5 = 0x13

# ROM error codes.
ERR_INVALID_MSG = 0x05
ERR_FAILED = 0x06
ERR_BAD_CRC = 0x07
ERR_FLASH_WRITE = 0x08
ERR_FLASH_READ = 0x09
ERR_READ_LEN = 0x0A
ERR_DEFLATE = 0x0B

SECTOR = 0x1000
CHECKSUM_SEED = 0xEF

# Registers esptool reads from an ESP32.
CHIP_DETECT_MAGIC_REG = 0x40001000
ESP32_MAGIC = 0x00F01D83
EFUSE_BASE = 0x3FF5A000
UART_CLKDIV_REG = 0x3FF40014
RTCCALICFG1 = 0x3FF5F06C
SPI_BASE = 0x3FF42000
SPI_CMD_REG = SPI_BASE + 0x00
SPI_USR2_REG = SPI_BASE + 0x24
SPI_W0_REG = SPI_BASE + 0x80
SPI_CMD_USR = 1 << 18
APB_XTAL_HZ = 40_000_000
# ROM-calibrated 8 MHz clock: cali_val * 15625 * ck8m / 40 must land near 40 MHz.
_CK8M_EFUSE = 64
_RTC_CALI_VALUE = 1600

JEDEC_ID = {  # flash size -> (manufacturer, memory type, capacity code)
    2 * 1024 * 1024: 0x1540EF,
    4 * 1024 * 1024: 0x1640EF,
    8 * 1024 * 1024: 0x1740EF,
    16 * 1024 * 1024: 0x1840EF,
}


def slip_encode(payload: bytes) -> bytes:
    out = bytearray([SLIP_END])
    for b in payload:
        if b == SLIP_END:
            out += bytes([SLIP_ESC, SLIP_ESC_END])
        elif b == SLIP_ESC:
            out += bytes([SLIP_ESC, SLIP_ESC_ESC])
        else:
            out.append(b)
    out.append(SLIP_END)
    return bytes(out)


def checksum(data: bytes, seed: int = CHECKSUM_SEED) -> int:
    for b in data:
        seed ^= b
    return seed


class RomLoader:
    """The ESP32 ROM download mode over a byte stream (see the module docstring)."""

    def __init__(
        self,
        flash: bytearray,
        chip: str = "esp32",
        mac: bytes = b"\x24\x0a\xc4\x00\x00\x01",
        baud: int = 115200,
    ):
        if chip != "esp32":
            raise ValueError("only the ESP32 ROM loader is modelled (got %r)" % chip)
        if len(flash) not in JEDEC_ID:
            raise ValueError("flash size must be 2, 4, 8 or 16 MiB")
        if len(mac) != 6:
            raise ValueError("mac must be 6 bytes")
        self.flash = flash
        self.chip = chip
        self.mac = bytes(mac)
        self.baud = baud
        self._frame = bytearray()
        self._in_frame = False
        self._escape = False
        self._regs: dict[int, int] = {}
        self._write: dict | None = None  # current FLASH_BEGIN / FLASH_DEFL_BEGIN session
        self.run_user_code = False  # FLASH_END(1): leave the loader and run the app
        self.reboot_requested = False  # FLASH_END(0): reset the chip
        self.attached = False
        self.changed: list[tuple[int, int]] = []
        self.commands_seen: list[int] = []

    # --- registers ---------------------------------------------------------
    def read_reg(self, addr: int) -> int:
        if addr == CHIP_DETECT_MAGIC_REG:
            return ESP32_MAGIC
        if EFUSE_BASE <= addr < EFUSE_BASE + 0x100:
            word = (addr - EFUSE_BASE) // 4
            m = self.mac
            if word == 1:  # MAC bytes 2..5
                return (m[2] << 24) | (m[3] << 16) | (m[4] << 8) | m[5]
            if word == 2:  # CRC (not checked by esptool) and MAC bytes 0..1
                crc = checksum(m, 0)
                return (crc << 16) | (m[0] << 8) | m[1]
            if word == 4:
                return _CK8M_EFUSE
            return self._regs.get(addr, 0)
        if addr == UART_CLKDIV_REG:
            return (APB_XTAL_HZ // self.baud) & 0xFFFFF
        if addr == RTCCALICFG1:
            return _RTC_CALI_VALUE << 7
        return self._regs.get(addr, 0)

    def write_reg(self, addr: int, value: int, mask: int) -> None:
        old = self.read_reg(addr)
        self._regs[addr] = (old & ~mask) | (value & mask)
        if addr == SPI_CMD_REG and self._regs[addr] & SPI_CMD_USR:
            self._spi_user_command()
            self._regs[addr] &= ~SPI_CMD_USR  # the command completes at once

    def _spi_user_command(self) -> None:
        cmd = self._regs.get(SPI_USR2_REG, 0) & 0xFFFF
        if cmd == 0x9F:  # RDID
            self._regs[SPI_W0_REG] = JEDEC_ID[len(self.flash)]
        elif cmd in (0x05, 0x35, 0x15):  # read status registers: idle, not protected
            self._regs[SPI_W0_REG] = 0
        elif cmd == 0x5A:  # SFDP: not provided
            self._regs[SPI_W0_REG] = 0xFFFFFFFF
        else:
            self._regs[SPI_W0_REG] = 0

    # --- byte stream ---------------------------------------------------------
    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        for b in data:
            if not self._in_frame:
                if b == SLIP_END:
                    self._in_frame = True
                    self._frame.clear()
                continue  # the ROM ignores noise between frames
            if self._escape:
                self._escape = False
                if b == SLIP_ESC_END:
                    self._frame.append(SLIP_END)
                elif b == SLIP_ESC_ESC:
                    self._frame.append(SLIP_ESC)
                else:  # invalid escape: drop the frame
                    self._in_frame = False
                continue
            if b == SLIP_ESC:
                self._escape = True
            elif b == SLIP_END:
                if self._frame:
                    out += self._handle(bytes(self._frame))
                    self._frame.clear()
                # an empty frame (C0 C0) is the start of the next one
            else:
                self._frame.append(b)
        return bytes(out)

    def _reply(self, op: int, value: int = 0, data: bytes = b"", status: int = 0, error: int = 0) -> bytes:
        body = data + bytes([status, error, 0, 0])
        return slip_encode(struct.pack("<BBHI", 0x01, op, len(body), value) + body)

    def _error(self, op: int, error: int) -> bytes:
        return self._reply(op, 0, b"", 1, error)

    def _handle(self, frame: bytes) -> bytes:
        if len(frame) < 8 or frame[0] != 0x00:
            return b""  # not a request
        _, op, size, chk = struct.unpack("<BBHI", frame[:8])
        data = frame[8:]
        if len(data) != size:
            return self._error(op, ERR_INVALID_MSG)
        self.commands_seen.append(op)
        try:
            if op == SYNC:
                if data != b"\x07\x07\x12\x20" + b"\x55" * 32:
                    return self._error(op, ERR_INVALID_MSG)
                return self._reply(op, 0x20120707) * 8
            if op == READ_REG:
                (addr,) = struct.unpack("<I", data[:4])
                return self._reply(op, self.read_reg(addr))
            if op == WRITE_REG:
                if len(data) % 16:
                    return self._error(op, ERR_INVALID_MSG)
                for i in range(0, len(data), 16):
                    addr, value, mask, _delay = struct.unpack("<IIII", data[i : i + 16])
                    self.write_reg(addr, value, mask)
                return self._reply(op)
            if op == SPI_ATTACH:
                self.attached = True
                return self._reply(op)
            if op == SPI_SET_PARAMS:
                _fl_id, total, _block, _sector, _page, _status_mask = struct.unpack("<IIIIII", data[:24])
                if total != len(self.flash):
                    # esptool tells the ROM the size it was told; the chip believes it.
                    self.declared_size = total
                return self._reply(op)
            if op == CHANGE_BAUDRATE:
                new_baud, _old = struct.unpack("<II", data[:8])
                reply = self._reply(op)
                # esptool sends a baud "corrected" for the ROM's 8 MHz clock; our clock is exact.
                self.baud = max(new_baud, 9600)
                return reply
            if op in (FLASH_BEGIN, FLASH_DEFL_BEGIN):
                return self._flash_begin(op, data)
            if op == FLASH_DATA:
                return self._flash_data(op, data, chk)
            if op == FLASH_DEFL_DATA:
                return self._flash_defl_data(op, data, chk)
            if op in (FLASH_END, FLASH_DEFL_END):
                return self._flash_end(op, data)
            if op == SPI_FLASH_MD5:
                addr, length, _, _ = struct.unpack("<IIII", data[:16])
                if addr + length > len(self.flash):
                    return self._error(op, ERR_FLASH_READ)
                digest = hashlib.md5(self.flash[addr : addr + length]).hexdigest().encode()
                return self._reply(op, 0, digest)
            if op == READ_FLASH_SLOW:
                addr, length = struct.unpack("<II", data[:8])
                if length > 64:
                    return self._error(op, ERR_READ_LEN)
                if addr + length > len(self.flash):
                    return self._error(op, ERR_FLASH_READ)
                block = bytes(self.flash[addr : addr + length]).ljust(64, b"\xff")
                return self._reply(op, 0, block)
        except struct.error:
            return self._error(op, ERR_INVALID_MSG)
        # MEM_* (RAM download: esptool's stub), GET_SECURITY_INFO (not on an
        # ESP32 ROM) and stub-only commands.
        return self._error(op, ERR_INVALID_MSG)

    # --- flash writes --------------------------------------------------------
    def _erase(self, offset: int, size: int) -> None:
        start = offset - offset % SECTOR
        end = min(len(self.flash), -(-(offset + size) // SECTOR) * SECTOR)
        if end > start:
            self.flash[start:end] = b"\xff" * (end - start)
            self.changed.append((start, end - start))

    def _program(self, offset: int, data: bytes) -> bool:
        """NOR flash: programming can only clear bits."""
        end = offset + len(data)
        if end > len(self.flash):
            return False
        old = self.flash[offset:end]
        self.flash[offset:end] = bytes(a & b for a, b in zip(old, data, strict=True))
        self.changed.append((offset, len(data)))
        return True

    def _flash_begin(self, op: int, data: bytes) -> bytes:
        size, num_blocks, block_size, offset = struct.unpack("<IIII", data[:16])
        if offset + size > len(self.flash) or block_size == 0 or block_size > 0x4000:
            return self._error(op, ERR_FAILED)
        if size:
            self._erase(offset, size)
        self._write = {
            "compressed": op == FLASH_DEFL_BEGIN,
            "offset": offset,
            "size": size,
            "blocks": num_blocks,
            "block_size": block_size,
            "next_seq": 0,
            "pos": offset,
            "inflate": zlib.decompressobj() if op == FLASH_DEFL_BEGIN else None,
        }
        return self._reply(op)

    def _check_block(self, op: int, data: bytes, chk: int, compressed: bool):
        w = self._write
        if w is None or w["compressed"] != compressed:
            return None, self._error(op, ERR_FAILED)
        length, seq, _, _ = struct.unpack("<IIII", data[:16])
        payload = data[16 : 16 + length]
        if len(payload) != length:
            return None, self._error(op, ERR_INVALID_MSG)
        if checksum(payload) != (chk & 0xFF):
            return None, self._error(op, ERR_BAD_CRC)
        if seq != w["next_seq"]:
            if seq == w["next_seq"] - 1:  # a retried block that already landed
                return None, self._reply(op)
            return None, self._error(op, ERR_FAILED)
        return payload, None

    def _flash_data(self, op: int, data: bytes, chk: int) -> bytes:
        payload, err = self._check_block(op, data, chk, False)
        if err is not None:
            return err
        w = self._write
        if not self._program(w["offset"] + w["next_seq"] * w["block_size"], payload):
            return self._error(op, ERR_FLASH_WRITE)
        w["next_seq"] += 1
        return self._reply(op)

    def _flash_defl_data(self, op: int, data: bytes, chk: int) -> bytes:
        payload, err = self._check_block(op, data, chk, True)
        if err is not None:
            return err
        w = self._write
        try:
            raw = w["inflate"].decompress(payload)
        except zlib.error:
            return self._error(op, ERR_DEFLATE)
        if raw:
            if not self._program(w["pos"], raw):
                return self._error(op, ERR_FLASH_WRITE)
            w["pos"] += len(raw)
        w["next_seq"] += 1
        return self._reply(op)

    def _flash_end(self, op: int, data: bytes) -> bytes:
        (stay,) = struct.unpack("<I", data[:4]) if len(data) >= 4 else (1,)
        self._write = None
        if stay:
            self.run_user_code = True
        else:
            self.reboot_requested = True
        return self._reply(op)

    def take_changes(self) -> list[tuple[int, int]]:
        changes, self.changed = self.changed, []
        return changes
