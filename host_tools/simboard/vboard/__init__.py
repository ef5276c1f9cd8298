"""The virtual microwand board: a pty that real esptool, mpremote and pyserial talk to.

    from simboard.vboard import VirtualBoard
    with VirtualBoard("build/vboard/flash") as board:
        print(board.port)          # /dev/pts/N
        board.power_cycle(); board.reset(); board.enter_bootloader()
        board.press("power", held=True); board.inject(load_ohms=2000)   # or "skin", None (lifted)
        board.scenario("inject gain_drift=1.3")   # simboard's script vocabulary
        (board.files / "settings.json").read_text()   # its littlefs, via littlefs-python
        board.world                # simboard's World: the chip and the physics, on the wall clock

`serve(options)` runs one until Ctrl-C (`python -m simboard.vboard`,
`wandctl sim --serve`, `make board`). See board.py for what each reset keeps.
"""

from simboard.vboard.board import (
    DEEPSLEEP_RESET,
    HARD_RESET,
    PWRON_RESET,
    SOFT_RESET,
    WDT_RESET,
    VirtualBoard,
    VirtualBoardError,
)
from simboard.vboard.server import serve
from simboard.vboard.textcontrols import control

__all__ = [
    "VirtualBoard",
    "VirtualBoardError",
    "serve",
    "control",
    "PWRON_RESET",
    "HARD_RESET",
    "WDT_RESET",
    "DEEPSLEEP_RESET",
    "SOFT_RESET",
    "add_serve_arguments",
]


def add_serve_arguments(parser):
    """The options of `serve`, for `python -m simboard.vboard` and `wandctl sim --serve`."""
    parser.add_argument(
        "--flash",
        metavar="DIR",
        default="build/vboard/flash",
        help="the board's folder: its SPI flash image (with the littlefs filesystem) is DIR.spiflash.bin, "
        "kept across resets and runs (default: %(default)s)",
    )
    parser.add_argument(
        "--spi-flash",
        metavar="FILE",
        default=None,
        help="raw SPI flash image: the ROM loader writes it, the filesystem lives in it where its "
        "partition table says (0x200000 on stock MicroPython; default: DIR.spiflash.bin)",
    )
    parser.add_argument(
        "--flash-size",
        type=_flash_size_arg,
        default=None,
        metavar="2MB|4MB|8MB|16MB",
        help="the board's SPI flash size, as esptool's flash-id reports it (default 4MB)",
    )
    parser.add_argument("--seed", type=int, default=None, help="seed (MAC address and any randomness)")
    parser.add_argument(
        "--bootloader",
        action="store_true",
        help="start in the ROM serial loader (as if GPIO0 were held low at reset)",
    )
    parser.add_argument(
        "--heap",
        default="200K",
        help="MicroPython heap (default: %(default)s: the unix port has 8-byte words, so this holds "
        "about what the 100 KB heap of an ESP32 with 4-byte words holds)",
    )
    parser.add_argument(
        "--chip-dir",
        metavar="DIR",
        default=None,
        help="folder with the chip modules (machine.py, esp32.py over the chip link, flashbdev.py, "
        "_link.py) put first on the board's sys.path (default: simboard/vboard/chip)",
    )
    parser.add_argument(
        "--load-ohms",
        metavar="R|skin|open",
        type=_load_arg,
        default=None,
        help="what the electrodes touch: a resistor of R ohms, the skin model, or nothing (the wand "
        "lifted; the default of --serve). Without --serve: a pure resistive load instead of the skin model",
    )
    parser.add_argument(
        "--bench",
        action="store_true",
        help="power up with the level button held: bench mode (SR-09), as the physical act on a wand",
    )
    parser.add_argument(
        "--deploy",
        action="store_true",
        help="deploy this checkout's firmware (wandctl deploy) before the port is handed out",
    )
    return parser


def _flash_size_arg(text):
    import argparse

    sizes = {"2MB": 2 << 20, "4MB": 4 << 20, "8MB": 8 << 20, "16MB": 16 << 20}
    if text.upper() not in sizes:
        raise argparse.ArgumentTypeError("expected one of %s, not %r" % (", ".join(sizes), text))
    return sizes[text.upper()]


def _load_arg(text):
    import argparse

    if text in ("skin", "open"):
        return text
    try:
        return float(text)  # the range is checked by the command that uses it
    except ValueError:
        raise argparse.ArgumentTypeError("expected ohms, skin or open, not %r" % text) from None
