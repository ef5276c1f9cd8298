"""wandctl flash --port PORT --firmware FILE: put MicroPython on a bare board with esptool.

1. check the port and the file (an ESP image, MicroPython, for which chip, which offset);
2. detect the chip with esptool (the ROM loader must answer SYNC);
3. refuse an image built for another chip;
4. erase and write with esptool's progress bar, verify (esptool checks the MD5);
5. reset, wait for the MicroPython banner, offer to deploy the firmware.

Real boards are reset into the bootloader by esptool (DTR/RTS). A port without
modem lines (the virtual board's pty) cannot be reset that way: the board must
already be in bootloader mode (`python -m wandctl.vboard --bootloader`, or the
`bootloader` control), and wandctl uses `--before no-reset` and leaves the
loader with a ROM "run user code" (`--after soft-reset`). `--no-reset` forces
that behaviour on a real board whose BOOT button you hold.
"""

from __future__ import annotations

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
        "banner and offer to deploy the wand firmware.",
    )
    p.add_argument("--port", "-p", default=None, help=PORT_HELP)
    p.add_argument(
        "--firmware",
        "-f",
        required=True,
        metavar="FILE",
        help="MicroPython image (.bin) from micropython.org/download for your chip",
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


def detect(port: str, before: str, connect_attempts: int = 2):
    """esptool's chip detection; returns (chip key, description, mac)."""
    import esptool
    from esptool.cmds import detect_chip

    try:
        esp = detect_chip(port, 115200, before, connect_attempts=connect_attempts)
    except esptool.FatalError as e:
        raise _esptool_error(port, e, before == "no-reset") from None
    except OSError as e:
        raise WandctlError("cannot open %s: %s" % (port, e)) from None
    try:
        name = esp.CHIP_NAME
        try:
            desc = esp.get_chip_description()
        except Exception:  # noqa: BLE001 - descriptive only
            desc = name
        mac = ":".join("%02x" % b for b in esp.read_mac())
    finally:
        esp._port.close()
    return fl.chip_key(name), desc, mac


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
    data, info = read_firmware(args.firmware, args.force)
    args.port = resolve_port(args.port)
    check_port(args.port)
    virtual = not has_modem_lines(args.port)
    no_reset = args.no_reset or virtual
    before = "no-reset" if no_reset else "default-reset"
    no_stub = args.no_stub or virtual
    print(
        "image: %s %s image of MicroPython %s, %d bytes, goes at 0x%X"
        % (fl.PRETTY[info.chip], info.kind, info.version or "?", len(data), info.offset),
        file=sys.stderr,
    )
    chip, desc, mac = detect(args.port, before)
    print("board: %s (%s), MAC %s" % (fl.PRETTY.get(chip, chip), desc, mac), file=sys.stderr)
    if chip != info.chip:
        raise WandctlError(
            "%s is built for %s, but the board is an %s: download the %s build from "
            "https://micropython.org/download/?port=esp32"
            % (args.firmware, fl.PRETTY[info.chip], fl.PRETTY.get(chip, chip), fl.PRETTY.get(chip, chip))
        )
    write_image(args.port, args.firmware, info, no_reset=no_reset, no_stub=no_stub, baud=args.baud)
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


def write_image(port: str, path: str, info: fl.FirmwareFile, *, no_reset: bool, no_stub: bool, baud: int):
    import esptool

    argv = [
        "--chip",
        info.chip,
        "--port",
        port,
        "--before",
        "no-reset" if no_reset else "default-reset",
        "--after",
        "soft-reset" if no_stub else "hard-reset",
    ]
    if no_stub:
        # The ROM loader cannot erase the whole chip (a stub command) nor change speed on a pty;
        # FLASH_BEGIN erases every sector it writes.
        argv += ["--no-stub", "write-flash", "0x%x" % info.offset, path]
        steps = [argv]
    else:
        steps = [
            argv[:4]
            + [
                "--before",
                "no-reset" if no_reset else "default-reset",
                "--after",
                "no-reset",
                "--baud",
                str(baud),
                "erase-flash",
            ],
            argv[:4]
            + [
                "--before",
                "no-reset",
                "--after",
                "hard-reset",
                "--baud",
                str(baud),
                "write-flash",
                "0x%x" % info.offset,
                path,
            ],
        ]
    for step in steps:
        try:
            esptool.main(step)
        except esptool.FatalError as e:
            raise _esptool_error(port, e, no_reset) from None
        except SystemExit as e:  # esptool's argparse
            if e.code:
                raise WandctlError("esptool rejected its arguments (%s)" % " ".join(step)) from None
