"""Check a one-file image from the .bin alone, before `wandctl flash --image` writes anything.

An image from `wandctl image` carries its own manifest, `/.microwand-image.json`
in its littlefs (image.assemble). This reads it and refuses the image unless:

- the MicroPython part is MicroPython for the ESP32 with a sound partition table
  (ptable.py: MD5 row, no overlaps, nothing past the end of the flash the header
  names) and the same sha256 as when it was built (bootloader, table and app,
  byte for byte);
- the flash size in the bootloader header is one `wandctl image` builds for, and
  the manifest names the same size and filesystem layout;
- the image has exactly the length the manifest states (a cut-off download is
  refused, so is trailing data) and fits the flash;
- the filesystem mounts with that size's block count, and holds exactly the
  manifest's files, each with its sha256.

littlefs checksums its metadata but not file data, so without the sha256 check a
damaged main.py would be written and fail only at boot.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from wandctl import flash as fl
from wandctl import image as im
from wandctl import ptable
from wandctl.errors import WandctlError

REBUILD = "build it again with `wandctl image` (or download it again)"


@dataclass
class ReleaseInfo:
    """What `wandctl flash --image` learns from a release image before touching a board."""

    offset: int
    flash_size: str  # from the bootloader header
    fs_offset: int
    fs_blocks: int
    version: str
    files: dict[str, bytes]  # the firmware files (the manifest itself left out)
    manifest: dict


def inspect_release(data: bytes, name: str = "the image") -> ReleaseInfo:
    """Check a one-file image against the manifest inside it; WandctlError says what is wrong."""
    mp = im.inspect_micropython(_micropython_part(data), name)
    flash_size = mp.header_flash_size
    if flash_size not in im.FLASH_SIZES:
        raise WandctlError(
            "%s says its flash size is %s, not one of %s: %s" % (name, flash_size, ", ".join(im.FLASH_SIZES), REBUILD)
        )
    flash_bytes = im.FLASH_SIZES[flash_size]
    try:
        ptable.check_layout(mp.partitions, flash_bytes)
    except fl.ImageError as e:
        raise WandctlError("%s: %s" % (name, e)) from None
    if mp.offset + len(data) > flash_bytes:
        raise WandctlError(
            "%s is %d bytes long: written at 0x%X it runs past the end of its %s flash" % (
                name, len(data), mp.offset, flash_size)
        )
    fs_offset, blocks = mp.fs_layout(flash_bytes)
    start = fs_offset - mp.offset
    if len(data) <= start:
        raise WandctlError(
            "%s holds MicroPython but no filesystem at 0x%X: flash it with `--firmware`, or build a "
            "one-file image with `wandctl image`" % (name, fs_offset)
        )
    try:
        found = im.read_littlefs(data[start:], blocks)
    except WandctlError as e:
        raise WandctlError("%s: %s (%s)" % (name, e, REBUILD)) from None
    man = _manifest(found.pop(im.MANIFEST_IN_FS, None), name)
    _check(data, man, mp, flash_size, fs_offset, blocks, found, name)
    return ReleaseInfo(mp.offset, flash_size, fs_offset, blocks, mp.version, found, man)


def _manifest(raw: bytes | None, name: str) -> dict:
    if raw is None:
        raise WandctlError(
            "%s has no manifest (%s) in its filesystem, so its files cannot be checked: it was not made by "
            "this wandctl, or it is damaged; %s" % (name, im.MANIFEST_IN_FS, REBUILD)
        )
    try:
        man = json.loads(raw)
        if not isinstance(man, dict) or not isinstance(man.get("files"), dict):
            raise ValueError("not a manifest")
        return man
    except ValueError:
        raise WandctlError("%s: its manifest %s is damaged; %s" % (name, im.MANIFEST_IN_FS, REBUILD)) from None


def _check(data, man, mp, flash_size, fs_offset, blocks, found, name) -> None:
    def refuse(what: str):
        raise WandctlError("%s %s: nothing was written; %s" % (name, what, REBUILD))

    try:
        fs = man["filesystem"]
        size = man["image_size"]
        mp_size, mp_sha = man["micropython"]["size"], man["micropython"]["sha256"]
        want = {p: f["sha256"] for p, f in man["files"].items()}
        ints = (size, mp_size, fs["offset"], fs["block_count"])
        if not all(type(x) is int for x in ints) or not all(isinstance(x, str) for x in (mp_sha, *want.values())):
            raise TypeError("a field of the wrong type")
    except (KeyError, TypeError, AttributeError):
        raise WandctlError("%s: its manifest %s is damaged; %s" % (name, im.MANIFEST_IN_FS, REBUILD)) from None
    if man.get("flash_size") != flash_size or (fs.get("offset"), fs.get("block_count")) != (fs_offset, blocks):
        refuse(
            "says %s (filesystem at 0x%X, %d blocks) in its header and table, but its manifest says %s "
            "(filesystem at 0x%X, %s blocks)"
            % (flash_size, fs_offset, blocks, man.get("flash_size"), fs["offset"], fs["block_count"])
        )
    if len(data) < size:
        refuse("is truncated: %d bytes, its manifest says %d (%d missing)" % (len(data), size, size - len(data)))
    if len(data) > size:
        refuse("has %d bytes after its end (%d bytes, its manifest says %d)" % (len(data) - size, len(data), size))
    if hashlib.sha256(data[:mp_size]).hexdigest() != mp_sha:
        refuse("is damaged in its MicroPython part (bootloader, partition table or application at 0x%X..0x%X: "
               "sha256 differs from its manifest)" % (mp.offset, mp.offset + mp_size))
    missing = sorted(set(want) - set(found))
    extra = sorted(set(found) - set(want))
    bad = sorted(p for p in set(want) & set(found) if hashlib.sha256(found[p]).hexdigest() != want[p])
    if missing or extra or bad:
        parts = []
        if bad:
            parts.append("%d file(s) differ from their sha256: %s" % (len(bad), ", ".join(bad[:5])))
        if missing:
            parts.append("%d file(s) missing: %s" % (len(missing), ", ".join(missing[:5])))
        if extra:
            parts.append("%d file(s) not in its manifest: %s" % (len(extra), ", ".join(extra[:5])))
        refuse("is damaged: " + "; ".join(parts))


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
