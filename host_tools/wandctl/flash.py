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

# chip_id in the extended header (esp_chip_id_t), and esptool's chip names.
CHIP_IDS = {
    0: "esp32",
    2: "esp32s2",
    5: "esp32c3",
    9: "esp32s3",
    12: "esp32c2",
    13: "esp32c6",
    16: "esp32h2",
    18: "esp32p4",
    23: "esp32c5",
}
CHIP_ID_OF = {name: cid for cid, name in CHIP_IDS.items()}

# Where a MicroPython (merged) image goes: the bootloader offset (docs/platform.md).
BOOTLOADER_OFFSET = {
    "esp32": 0x1000,
    "esp32s2": 0x1000,
    "esp32s3": 0x0,
    "esp32c3": 0x0,
    "esp32c6": 0x0,
    "esp32c2": 0x0,
    "esp32h2": 0x0,
    "esp32c5": 0x2000,
    "esp32p4": 0x2000,
}

PRETTY = {
    "esp32": "ESP32",
    "esp32s2": "ESP32-S2",
    "esp32s3": "ESP32-S3",
    "esp32c3": "ESP32-C3",
    "esp32c2": "ESP32-C2",
    "esp32c6": "ESP32-C6",
    "esp32h2": "ESP32-H2",
    "esp32c5": "ESP32-C5",
    "esp32p4": "ESP32-P4",
}

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
    """Parse one ESP image with esptool's own parser (`esptool.bin_image`) and check it.

    esptool reads the header, the extended header (chip id), the segments, the
    checksum byte and the appended SHA-256; this only turns its findings into a
    reason a person can act on, and reads the app descriptor with esptool's
    `image-info` parser.
    """
    import esptool
    from esptool.bin_image import ESP32FirmwareImage
    from esptool.cmds import _parse_app_info

    if len(data) < 24:
        raise ImageError("%s is too short to be an ESP image (%d bytes)" % (where, len(data)))
    if data[0] != IMAGE_MAGIC:
        raise ImageError("%s does not start with the ESP image magic 0xE9 (found 0x%02X)" % (where, data[0]))
    nseg = data[1]
    if nseg == 0 or nseg > 16:
        raise ImageError("%s has an implausible segment count (%d)" % (where, nseg))
    try:
        # The ESP32 class reads every chip's header layout; the chip comes from its chip_id.
        img = ESP32FirmwareImage(io.BytesIO(data))
    except (esptool.FatalError, struct.error, TypeError, RuntimeError) as e:
        text = str(e)
        if "End of file" in text or isinstance(e, (struct.error, TypeError)):
            raise ImageError("%s is truncated (%s)" % (where, text or "header or checksum missing")) from None
        raise ImageError("%s is not a valid ESP image: %s" % (where, text)) from None
    chip = CHIP_IDS.get(img.chip_id)
    if chip is None:
        raise ImageError("%s names an unknown chip id %d" % (where, img.chip_id))
    want = img.calculate_checksum()
    if img.checksum != want:
        raise ImageError(
            "%s has a bad checksum (0x%02X, expected 0x%02X): the file is damaged" % (where, img.checksum, want)
        )
    length = img.data_length
    if img.append_digest:
        if len(img.stored_digest) < 32:
            raise ImageError("%s is truncated in its SHA-256" % where)
        if img.stored_digest != img.calc_digest:
            raise ImageError("%s has a bad SHA-256: the file is damaged" % where)
        length = img.data_length + 32
    else:
        length = -(-(sum(8 + len(s.data) for s in img.segments) + 24 + 1) // 16) * 16
    project = version = idf = None
    first = img.segments[0].data
    if len(first) >= 256:
        app = _parse_app_info(first)
        if app is not None:
            version, project, idf = app["version"], app["project_name"], app["idf_ver"]
    segments = [Segment(s.addr, bytes(s.data)) for s in img.segments]
    return AppImage(chip, img.chip_id, segments, project, version, idf, length)


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
    base = BOOTLOADER_OFFSET[first.chip]
    app_at = APP_OFFSET - base
    if len(data) <= app_at:
        raise ImageError(
            "%s holds a bootloader for %s but no application at 0x%X: it is not a full "
            "firmware image (%s)" % (name, PRETTY[first.chip], APP_OFFSET, DOWNLOAD_HINT)
        )
    app = parse_image(data[app_at:], "%s (application at 0x%X)" % (name, APP_OFFSET))
    if app.chip != first.chip:
        raise ImageError(
            "%s mixes a %s bootloader with a %s application" % (name, PRETTY[first.chip], PRETTY[app.chip])
        )
    return FirmwareFile("merged", first.chip, base, app.project, app.version)


# --- synthetic images ---------------------------------------------------------
def _image(chip: str, segments: list[tuple[int, bytes]], entry: int = 0x40080000, sha: bool = True) -> bytes:
    cid = CHIP_ID_OF[chip]
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
    base = BOOTLOADER_OFFSET[chip]
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
    app = build_app_image(chip, project, version, code_size, seed)
    out = bytearray(b"\xff" * (APP_OFFSET - base))
    out[0 : len(boot)] = boot
    pt_at = PARTITION_TABLE_OFFSET - base
    out[pt_at : pt_at + len(ptable)] = ptable
    return bytes(out) + app
