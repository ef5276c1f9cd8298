"""wandctl flash --port PORT --firmware FILE | --image FILE: write a board with esptool's API.

1. check the port and the file (an ESP image, MicroPython, for which chip, which offset;
   for `--image`, a one-file release image: its flash size and a filesystem that mounts);
2. detect the chip with esptool (`esptool.cmds.detect_chip`: the ROM loader must answer SYNC);
3. refuse an image built for another chip, and (`--image`) one built for another flash size
   (`attach_flash` + the JEDEC id, esptool's `flash-id`): nothing is written;
4. erase and write with esptool's progress bar, verify (esptool checks the MD5);
5. reset, wait for the MicroPython banner (`--firmware`, then offer to deploy) or for the
   firmware to answer `hello` (`--image`).

Everything goes through `esptool.cmds` (detect_chip, run_stub, attach_flash,
detect_flash_size, erase_flash, write_flash, reset_chip), never `esptool.main(argv)`.

Real boards are reset into the bootloader by esptool (DTR/RTS). A port without
modem lines (the virtual board's pty) cannot be reset that way: the board must
already be in bootloader mode (`python -m simboard.vboard --bootloader`, or the
`bootloader` control), and wandctl uses `--before no-reset` and leaves the
loader with a ROM "run user code" (`--after soft-reset`). `--no-reset` forces
that behaviour on a real board whose BOOT button you hold.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
from pathlib import Path

from wandctl import flash as fl
from wandctl.errors import WandctlError
from wandctl.serialport import PORT_HELP, check_port, has_modem_lines, open_serial, resolve_port

BANNER_TIMEOUT_S = 15.0


def register(sub):
    p = sub.add_parser(
        "flash",
        help="flash MicroPython onto a board (esptool)",
        description="Detect the chip with esptool, check that the image is a MicroPython image "
        "for that chip, erase, write at the right offset, verify, wait for the MicroPython "
        "banner and offer to deploy the wand firmware. With --image (a one-file image from "
        "`wandctl image`), check the board's flash size against the image's before writing "
        "anything, and wait for the firmware to answer hello.",
    )
    p.add_argument("--port", "-p", default=None, help=PORT_HELP)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--firmware",
        "-f",
        metavar="FILE",
        help="MicroPython image (.bin) from micropython.org/download for your chip",
    )
    what.add_argument(
        "--image",
        "-i",
        metavar="FILE",
        help="one-file release image from `wandctl image` (MicroPython + wand firmware); its flash "
        "size must match the board's",
    )
    p.add_argument(
        "--no-reset",
        action="store_true",
        help="do not reset the board into the bootloader (hold BOOT and tap EN yourself)",
    )
    p.add_argument(
        "--no-stub",
        action="store_true",
        help="talk to the ROM loader only (slower; always on for ports without DTR/RTS)",
    )
    p.add_argument(
        "--baud", type=int, default=460800, help="baud rate for writing (real boards; default %(default)s)"
    )
    p.add_argument("--force", action="store_true", help="write an ESP image even if it is not MicroPython")
    p.add_argument(
        "--deploy",
        dest="deploy",
        action="store_true",
        default=None,
        help="deploy the wand firmware afterwards without asking",
    )
    p.add_argument("--no-deploy", dest="deploy", action="store_false", help="do not offer to deploy")
    p.set_defaults(func=run)


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
    data = f.read_bytes()
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


def run(args) -> int:
    if args.image:
        data, info, release = read_release(args.image)
        label = args.image
    else:
        data, info = read_firmware(args.firmware, args.force)
        release = None
        label = args.firmware
    args.port = resolve_port(args.port)
    check_port(args.port)
    virtual = not has_modem_lines(args.port)
    no_reset = args.no_reset or virtual
    before = "no-reset" if no_reset else "default-reset"
    no_stub = args.no_stub or virtual
    if release is not None:
        print(
            "image: microwand one-file image, MicroPython %s + %d firmware files, for %s of flash, goes at 0x%X"
            % (release.version, len(release.files), release.flash_size, release.offset),
            file=sys.stderr,
        )
    else:
        print(
            "image: %s %s image of MicroPython %s, %d bytes, goes at 0x%X"
            % (fl.PRETTY[info.chip], info.kind, info.version or "?", len(data), info.offset),
            file=sys.stderr,
        )
    esp = open_loader(args.port, before, no_stub=no_stub, baud=args.baud)
    try:
        chip, desc, mac = describe(esp)
        size = board_flash_size(esp, args.port)
        print(
            "board: %s (%s), MAC %s, flash %s" % (fl.PRETTY.get(chip, chip), desc, mac, size or "unknown"),
            file=sys.stderr,
        )
        if chip != info.chip:
            raise WandctlError(
                "%s is built for %s, but the board is an %s: download the %s build from "
                "https://micropython.org/download/?port=esp32"
                % (label, fl.PRETTY[info.chip], fl.PRETTY.get(chip, chip), fl.PRETTY.get(chip, chip))
            )
        if release is not None and size != release.flash_size:
            if size is None:
                raise WandctlError(
                    "esptool could not tell the flash size of the board on %s (unknown JEDEC id), so %s "
                    "(built for %s) was not written: nothing was changed" % (args.port, label, release.flash_size)
                )
            raise WandctlError(size_mismatch(label, release.flash_size, size))
        write_image(esp, args.port, data, info.offset, no_reset=no_reset, no_stub=no_stub)
    finally:
        esp._port.close()
    if release is not None:
        from wandctl.board_session import wait_hello

        hello = wait_hello(args.port)
        print("the firmware answers hello: %s" % json.dumps(hello, sort_keys=True), file=sys.stderr)
        return 0
    banner = wait_banner(args.port)
    print("MicroPython is up: %s" % banner, file=sys.stderr)
    want = args.deploy
    if want is None:
        if sys.stdin.isatty():
            answer = input("deploy the wand firmware now? [Y/n] ").strip().lower()
            want = answer in ("", "y", "yes")
        else:
            want = False
    if not want:
        print("next: wandctl deploy --port %s" % args.port, file=sys.stderr)
    else:
        from wandctl.deploy import deploy

        result = deploy(args.port)
        print("deployed: firmware %s answers hello" % (result.hello or {}).get("fw"), file=sys.stderr)
    return 0


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
    data = f.read_bytes()
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
