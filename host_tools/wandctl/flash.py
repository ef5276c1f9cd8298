"""ESP firmware images: what a file is, which chip it is for, where it goes.

An ESP image starts with a 24-byte header: magic 0xE9, segment count, SPI mode,
size/frequency, entry point, then the extended header whose `chip_id` field
(bytes 12..13) names the chip. The application image's first segment starts
with the app descriptor (`esp_app_desc_t`, magic 0xABCD5432) that holds the
version and project name; MicroPython's project name is "micropython".

A MicroPython download for an ESP32 (`ESP32_GENERIC-*.bin`) is a *merged*
image: second-stage bootloader first (written at the chip's bootloader offset,
docs/platform.md: ESP32 and S2 0x1000, S3/C3/C6/C2/H2 0x0, C5/P4 0x2000), partition
table at 0x8000, application at 0x10000. An application image alone goes at
0x10000.

`build_app_image` / `build_merged_image` make small synthetic images with real
headers, checksums and a MicroPython app descriptor, for the tests and for the
virtual board's factory flash.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import struct
from dataclasses import dataclass

IMAGE_MAGIC = 0xE9
APP_DESC_MAGIC = 0xABCD5432
CHECKSUM_SEED = 0xEF
APP_OFFSET = 0x10000
PARTITION_TABLE_OFFSET = 0x8000

# The chips esptool knows (esptool.targets.CHIP_DEFS), read from esptool's own chip classes when
# first asked for (importing esptool costs ~80 ms, which `wandctl --help` need not pay):
# CHIP_IDS: the chip_id in an image's extended header (esp_chip_id_t) -> esptool's chip name;
# CHIP_ID_OF: the reverse; BOOTLOADER_OFFSET: where a merged image goes (docs/platform.md: ESP32
# and S2 0x1000, S3/C3/C6/C2/H2 0x0, C5/P4 0x2000); PRETTY: the name esptool prints ("ESP32-S3").
_CHIP_TABLES = ("CHIP_IDS", "CHIP_ID_OF", "BOOTLOADER_OFFSET", "PRETTY")


@functools.cache
def _chip_tables() -> dict[str, dict]:
    from esptool.targets import CHIP_DEFS

    defs = {k: c for k, c in CHIP_DEFS.items() if getattr(c, "IMAGE_CHIP_ID", None) is not None}
    return {
        "CHIP_IDS": {c.IMAGE_CHIP_ID: k for k, c in defs.items()},
        "CHIP_ID_OF": {k: c.IMAGE_CHIP_ID for k, c in defs.items()},
        "BOOTLOADER_OFFSET": {k: c.BOOTLOADER_FLASH_OFFSET for k, c in defs.items()},
        "PRETTY": {k: c.CHIP_NAME for k, c in defs.items()},
    }


def __getattr__(name: str) -> dict:
    if name in _CHIP_TABLES:
        return _chip_tables()[name]
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


DOWNLOAD_HINT = "download the build for your chip from https://micropython.org/download/?port=esp32"


class ImageError(ValueError):
    """The file is not a usable ESP image; the message says why."""


def chip_key(name: str) -> str:
    """'ESP32-S3' / 'esp32s3' / 'ESP32' -> 'esp32s3' / 'esp32'."""
    return name.lower().replace("-", "").replace("_", "")


@dataclass
class Segment:
    load_addr: int
    data: bytes


@dataclass
class AppImage:
    chip: str
    chip_id: int
    segments: list[Segment]
    project: str | None
    version: str | None
    idf_version: str | None
    length: int  # bytes the image occupies including checksum and hash


@dataclass
class FirmwareFile:
    """What `classify_firmware` found in a file."""

    kind: str  # "merged" or "app"
    chip: str
    offset: int
    project: str | None
    version: str | None

    @property
    def is_micropython(self) -> bool:
        return (self.project or "").lower() == "micropython"


def parse_image(data: bytes, where: str = "image") -> AppImage:
    """Parse one ESP image with esptool's image classes (`esptool.bin_image`) and check it.

    esptool reads the header (and refuses a wrong magic, a segment count over 16, a
    segment cut short), the extended header (chip id), the checksum byte and the
    appended SHA-256; it does not compare those two with the data, so that is done
    here. The app descriptor (`esp_app_desc_t`, ESP-IDF's app image format) is read
    from the first segment.
    """
    import esptool
    from esptool.bin_image import ESP32FirmwareImage

    if len(data) < 24:
        raise ImageError("%s is too short to be an ESP image (%d bytes)" % (where, len(data)))
    try:
        # The ESP32 class reads every chip's header layout; the chip comes from its chip_id.
        img = ESP32FirmwareImage(io.BytesIO(data))
    except (esptool.FatalError, struct.error, TypeError, RuntimeError) as e:
        text = str(e)
        if "magic" in text:
            raise ImageError(
                "%s does not start with the ESP image magic 0xE9 (found 0x%02X)" % (where, data[0])
            ) from None
        if "End of file" in text or isinstance(e, (struct.error, TypeError)):
            raise ImageError("%s is truncated (%s)" % (where, text or "header or checksum missing")) from None
        raise ImageError("%s is not a valid ESP image: %s" % (where, text)) from None
    if not img.segments:
        raise ImageError("%s has no segments" % where)
    chip = _chip_tables()["CHIP_IDS"].get(img.chip_id)
    if chip is None:
        raise ImageError("%s names an unknown chip id %d" % (where, img.chip_id))
    want = img.calculate_checksum()
    if img.checksum != want:
        raise ImageError(
            "%s has a bad checksum (0x%02X, expected 0x%02X): the file is damaged" % (where, img.checksum, want)
        )
    if img.append_digest:
        if len(img.stored_digest) < 32:
            raise ImageError("%s is truncated in its SHA-256" % where)
        if img.stored_digest != img.calc_digest:
            raise ImageError("%s has a bad SHA-256: the file is damaged" % where)
        length = img.data_length + 32
    else:
        length = -(-(sum(8 + len(s.data) for s in img.segments) + 24 + 1) // 16) * 16
    project, version, idf = read_app_descriptor(img.segments[0].data)
    segments = [Segment(s.addr, bytes(s.data)) for s in img.segments]
    return AppImage(chip, img.chip_id, segments, project, version, idf, length)


# esp_app_desc_t (ESP-IDF, "App image format"): magic, secure_version, reserv1[2], version[32],
# project_name[32], time[16], date[16], idf_ver[32], app_elf_sha256[32], ...
APP_DESC = struct.Struct("<II8s32s32s16s16s32s32s")


def read_app_descriptor(first_segment: bytes) -> tuple[str | None, str | None, str | None]:
    """(project name, version, ESP-IDF version) from an application's first segment, or Nones
    (a bootloader has no descriptor)."""
    if len(first_segment) < APP_DESC.size:
        return None, None, None
    fields = APP_DESC.unpack_from(first_segment)
    if fields[0] != APP_DESC_MAGIC:
        return None, None, None

    def text(b: bytes) -> str:
        return b.split(b"\0", 1)[0].decode("utf-8", "replace")

    return text(fields[4]), text(fields[3]), text(fields[7])


def version_tuple(version: str | None) -> tuple[int, int, int]:
    """'v1.29.0' / '1.26.1-12-gabc' / 'v1.27.0-preview' -> (1, 29, 0); (0, 0, 0) if unreadable."""
    m = re.match(r"v?(\d+)\.(\d+)(?:\.(\d+))?", (version or "").strip())
    if not m:
        return (0, 0, 0)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))


def classify_firmware(data: bytes, name: str = "the file") -> FirmwareFile:
    """Tell a merged image from an application image and find where it goes."""
    first = parse_image(data, name)
    if first.project is not None:  # an application image
        return FirmwareFile("app", first.chip, APP_OFFSET, first.project, first.version)
    base = _chip_tables()["BOOTLOADER_OFFSET"][first.chip]
    pretty = _chip_tables()["PRETTY"]
    app_at = APP_OFFSET - base
    if len(data) <= app_at:
        raise ImageError(
            "%s holds a bootloader for %s but no application at 0x%X: it is not a full "
            "firmware image (%s)" % (name, pretty[first.chip], APP_OFFSET, DOWNLOAD_HINT)
        )
    app = parse_image(data[app_at:], "%s (application at 0x%X)" % (name, APP_OFFSET))
    if app.chip != first.chip:
        raise ImageError(
            "%s mixes a %s bootloader with a %s application" % (name, pretty[first.chip], pretty[app.chip])
        )
    return FirmwareFile("merged", first.chip, base, app.project, app.version)


# --- synthetic images ---------------------------------------------------------
def _image(chip: str, segments: list[tuple[int, bytes]], entry: int = 0x40080000, sha: bool = True) -> bytes:
    cid = _chip_tables()["CHIP_ID_OF"][chip]
    hdr = struct.pack("<BBBBI", IMAGE_MAGIC, len(segments), 2, 0x20, entry)
    ext = struct.pack("<B3sHBHH4sB", 0xEE, b"\0\0\0", cid, 0, 0, 0xFFFF, b"\0" * 4, 1 if sha else 0)
    out = bytearray(hdr + ext)
    csum = CHECKSUM_SEED
    for addr, blob in segments:
        blob = blob + b"\0" * (-len(blob) % 4)
        out += struct.pack("<II", addr, len(blob)) + blob
        for b in blob:
            csum ^= b
    out += b"\0" * (15 - len(out) % 16)
    out.append(csum)
    if sha:
        out += hashlib.sha256(out).digest()
    return bytes(out)


def app_descriptor(project: str = "micropython", version: str = "v1.29.0", idf: str = "v5.4.2") -> bytes:
    desc = struct.pack("<III4x", APP_DESC_MAGIC, 0, 0)  # magic, secure_version, reserv1[2]
    desc = desc[:16]
    desc += version.encode()[:31].ljust(32, b"\0")
    desc += project.encode()[:31].ljust(32, b"\0")
    desc += b"00:00:00".ljust(16, b"\0") + b"Jan  1 2026".ljust(16, b"\0")
    desc += idf.encode()[:31].ljust(32, b"\0")
    desc += hashlib.sha256(project.encode() + version.encode()).digest()
    return desc.ljust(256, b"\0")


def partition_md5_row(entries: bytes) -> bytes:
    """ESP-IDF's MD5 row (gen_esp32part.py): magic 0xEBEB, 14 bytes 0xFF, the MD5 of the entries before it.
    The app's partition loader (CONFIG_PARTITION_TABLE_MD5, on by default) refuses a table without it."""
    return b"\xeb\xeb" + b"\xff" * 14 + hashlib.md5(entries).digest()


def build_app_image(
    chip: str = "esp32",
    project: str = "micropython",
    version: str = "v1.29.0",
    code_size: int = 4096,
    seed: int = 0,
) -> bytes:
    body = hashlib.sha256(b"%d" % seed).digest() * (code_size // 32 + 1)
    return _image(chip, [(0x3F400020, app_descriptor(project, version)), (0x400D0020, body[:code_size])])


def build_merged_image(
    chip: str = "esp32",
    project: str = "micropython",
    version: str = "v1.29.0",
    code_size: int = 4096,
    seed: int = 0,
) -> bytes:
    base = _chip_tables()["BOOTLOADER_OFFSET"][chip]
    boot = _image(chip, [(0x3FFF0030, b"bootloader" * 40), (0x40078000, bytes(range(256)) * 8)], sha=False)
    ptable = bytearray(b"\xff" * 0xC00)
    entries = [
        (1, 0x02, 0x9000, 0x6000, b"nvs"),
        (1, 0x01, 0xF000, 0x1000, b"phy_init"),
        (0, 0x00, APP_OFFSET, 0x1F0000, b"factory"),
    ]
    if version_tuple(version) < (1, 26):
        # Before 1.26 the table has a fixed 2 MiB "vfs" partition; since then the firmware
        # makes the filesystem from the end of the last partition (0x200000) to the end of flash.
        entries.append((1, 0x81, 0x200000, 0x200000, b"vfs"))
    for i, (ptype, sub, off, size, label) in enumerate(entries):
        struct.pack_into(
            "<HBBII16sI", ptable, i * 32, 0x50AA, ptype, sub, off, size, label.ljust(16, b"\0"), 0
        )
    ptable[len(entries) * 32 : len(entries) * 32 + 32] = partition_md5_row(bytes(ptable[: len(entries) * 32]))
    app = build_app_image(chip, project, version, code_size, seed)
    out = bytearray(b"\xff" * (APP_OFFSET - base))
    out[0 : len(boot)] = boot
    pt_at = PARTITION_TABLE_OFFSET - base
    out[pt_at : pt_at + len(ptable)] = ptable
    return bytes(out) + app
