"""esptool's side of `wandctl flash`: read and check the file, open the ROM loader
through esptool's API, identify the chip and its flash, write and verify, wait for
MicroPython's banner. `commands/flash.py` is the argparse adapter over these."""

from __future__ import annotations

import contextlib
import io
import time
from pathlib import Path

from wandctl import flash as fl
from wandctl.argcheck import read_input as read_checked
from wandctl.errors import WandctlError
from wandctl.image import IMAGE_MAX
from wandctl.serialport import open_serial

BANNER_TIMEOUT_S = 15.0

def read_firmware(path: str, force: bool = False) -> tuple[bytes, fl.FirmwareFile]:
    f = Path(path)
    if not f.exists():
        raise WandctlError(
            "firmware file %s does not exist: download the MicroPython image for your chip from "
            "https://micropython.org/download/?port=esp32" % path
        )
    if f.is_dir():
        raise WandctlError(
            "%s is a folder: pass the MicroPython .bin file (to deploy the wand firmware folder "
            "use `wandctl deploy`)" % path
        )
    data = read_checked(f, "--firmware", IMAGE_MAX)
    try:
        info = fl.classify_firmware(data, f.name)
    except fl.ImageError as e:
        hint = ""
        if f.suffix in (".py", ".mpy", ".uf2", ".hex", ".elf", ".zip"):
            hint = " (%s files are not flashed with esptool)" % f.suffix
        raise WandctlError(
            "%s is not a firmware image: %s%s. Download the .bin for your chip from "
            "https://micropython.org/download/?port=esp32" % (path, e, hint)
        ) from None
    if not info.is_micropython and not force:
        raise WandctlError(
            "%s is an ESP image for %s, but not MicroPython (its project name is %r). Use a "
            "MicroPython image from micropython.org/download, or pass --force to write it anyway"
            % (path, fl.PRETTY[info.chip], info.project)
        )
    return data, info


def _esptool_error(port: str, e: Exception, virtual: bool) -> WandctlError:
    text = str(e)
    if "Failed to connect" in text or "No serial data received" in text or "Invalid head of packet" in text:
        if virtual:
            how = (
                "this port has no DTR/RTS (a virtual board?), so it cannot be reset into the bootloader: "
                "start the virtual board with --bootloader or type `bootloader` in its window"
            )
        else:
            how = (
                "hold the BOOT button, tap EN/RESET, release BOOT, and run the command again with "
                "--no-reset; some boards need a 10 uF capacitor from EN to GND for the automatic reset"
            )
        return WandctlError(
            "the board on %s is not in bootloader mode (the ESP ROM loader did not answer "
            "SYNC): %s" % (port, how)
        )
    if "Permission denied" in text:
        return WandctlError("permission denied on %s" % port)
    return WandctlError(
        "esptool failed on %s: %s" % (port, text.strip().splitlines()[0] if text.strip() else e)
    )


def open_loader(port: str, before: str, *, no_stub: bool, baud: int, connect_attempts: int = 2):
    """esptool's chip detection (and its flasher stub, unless `no_stub`), flash attached."""
    import esptool
    from esptool.cmds import attach_flash, detect_chip, run_stub

    virtual = before == "no-reset"
    try:
        with _quiet():
            esp = detect_chip(port, 115200, before, connect_attempts=connect_attempts)
    except esptool.FatalError as e:
        raise _esptool_error(port, e, virtual) from None
    except OSError as e:
        raise WandctlError("cannot open %s: %s" % (port, e)) from None
    try:
        with _quiet():
            if not no_stub:
                esp = run_stub(esp)
                if baud != 115200:
                    esp.change_baud(baud)
            attach_flash(esp)
    except esptool.FatalError as e:
        esp._port.close()
        raise _esptool_error(port, e, virtual) from None
    return esp


@contextlib.contextmanager
def _quiet():
    """esptool prints its own chatter to stdout; wandctl says what matters on stderr."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


def describe(esp) -> tuple[str, str, str]:
    """(chip key, description, MAC) of a connected board."""
    name = esp.CHIP_NAME
    try:
        desc = esp.get_chip_description()
    except Exception:  # noqa: BLE001 - descriptive only
        desc = name
    mac = ":".join("%02x" % b for b in esp.read_mac())
    return fl.chip_key(name), desc, mac


def board_flash_size(esp, port: str) -> str | None:
    """The board's flash size from its JEDEC id (esptool's flash-id), e.g. '4MB'."""
    import esptool
    from esptool.cmds import detect_flash_size

    try:
        with _quiet():
            return detect_flash_size(esp)
    except esptool.FatalError as e:
        raise _esptool_error(port, e, False) from None


def detect(port: str, before: str, connect_attempts: int = 2):
    """esptool's chip detection; returns (chip key, description, mac)."""
    esp = open_loader(port, before, no_stub=True, baud=115200, connect_attempts=connect_attempts)
    try:
        return describe(esp)
    finally:
        esp._port.close()


def wait_banner(port: str, timeout: float = BANNER_TIMEOUT_S) -> str:
    ser = open_serial(port, timeout=0.1)
    seen = bytearray()
    try:
        end = time.monotonic() + timeout
        nudge = time.monotonic() + 2.0  # a bare board prints the banner by itself
        while time.monotonic() < end:
            if time.monotonic() >= nudge:
                # Ctrl-C stops a main.py left on the filesystem (the wand firmware then resets
                # into the REPL, which prints the banner); Ctrl-B makes a REPL print it.
                ser.write(b"\r\x03\x02")
                nudge = time.monotonic() + 1.5
            seen += ser.read(ser.in_waiting or 1)
            i = seen.find(b"MicroPython v")
            if i >= 0 and b"\n" in seen[i:]:
                return seen[i:].split(b"\n", 1)[0].decode("utf-8", "replace").strip()
    finally:
        ser.close()
    tail = seen[-300:].decode("utf-8", "replace").strip()
    raise WandctlError(
        "the image was written and verified, but no MicroPython banner came within %d s (the "
        "board said: %r). Press EN/RESET; if it keeps printing errors, flash again after "
        "`esptool --port %s erase-flash`" % (timeout, tail or "nothing", port)
    )


def size_mismatch(label: str, image_size: str, board_size: str) -> str:
    """Why an image is refused for this board, and what to use instead (only what `wandctl image` builds)."""
    from wandctl import image as im

    head = "%s is built for %s of flash, but the board has %s: nothing was written" % (label, image_size, board_size)
    why = (
        "a filesystem of the wrong size does not mount and the board loops on 'The filesystem appears to be "
        "corrupted'"
    )
    if board_size in im.FLASH_SIZES:
        return "%s. Use microwand-*-esp32-%s.bin (or `wandctl image --flash-size %s`); %s" % (
            head, board_size, board_size, why)
    return (
        "%s. `wandctl image` builds one-file images for %s boards only (MicroPython's partition table needs "
        "2 MiB before the filesystem, and the ESP32 maps at most 16 MiB); on this board flash MicroPython "
        "with `wandctl flash --firmware ESP32_GENERIC-....bin` and then run `wandctl deploy`"
        % (head, ", ".join(im.FLASH_SIZES))
    )


def read_release(path: str):
    """A one-file image from `wandctl image`: (data, FirmwareFile, ReleaseInfo), all checked offline."""
    from wandctl import image_verify

    f = Path(path)
    if not f.exists():
        raise WandctlError("image file %s does not exist: build it with `wandctl image` or `make image`" % path)
    if f.is_dir():
        raise WandctlError("%s is a folder: pass a microwand-*-esp32-*.bin file" % path)
    data = read_checked(f, "--image", IMAGE_MAX)
    try:
        info = fl.classify_firmware(data, f.name)
    except fl.ImageError as e:
        raise WandctlError("%s is not a firmware image: %s" % (path, e)) from None
    release = image_verify.inspect_release(data, f.name)
    return data, info, release


def write_image(esp, port: str, data: bytes, offset: int, *, no_reset: bool, no_stub: bool):
    """Erase and write `data` at `offset` with esptool's API, verify, leave the loader."""
    import esptool
    from esptool.cmds import erase_flash, reset_chip, write_flash

    try:
        if not no_stub:
            # The ROM loader cannot erase the whole chip (a stub command); FLASH_BEGIN erases
            # every sector it writes.
            erase_flash(esp)
        # compress: every ESP32-family ROM loader takes the deflated download (FLASH_DEFL_*);
        # esptool compresses by default only with its stub, and a one-file image is mostly 0xFF.
        write_flash(esp, [(offset, data)], flash_size="keep", compress=True)
        # A port without DTR/RTS cannot pulse EN: leave the ROM loader with "run user code".
        reset_chip(esp, "soft-reset" if no_stub else "hard-reset")
    except esptool.FatalError as e:
        raise _esptool_error(port, e, no_reset) from None
