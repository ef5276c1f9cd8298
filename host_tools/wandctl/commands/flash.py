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

import json
import sys

from wandctl import flash as fl
from wandctl.argcheck import int_range
from wandctl.errors import WandctlError
from wandctl.flash_board import (
    board_flash_size,
    describe,
    open_loader,
    read_firmware,
    read_release,
    size_mismatch,
    wait_banner,
    write_image,
)
from wandctl.serialport import PORT_HELP, check_port, has_modem_lines, resolve_port


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
        "--baud", type=int_range(9600, 4000000, "the baud rate"), default=460800,
        help="baud rate for writing, 9600..4000000 (real boards; default %(default)s)"
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

