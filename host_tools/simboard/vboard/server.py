"""Serve one virtual board as a process until Ctrl-C (`python -m simboard.vboard`, `wandctl sim --serve`)."""

from __future__ import annotations

import re
import signal
import sys
import threading
from pathlib import Path

from simboard.vboard.board import VirtualBoard
from simboard.vboard.errors import VirtualBoardError
from simboard.vboard.spiflash import FLASH_SIZE
from simboard.vboard.textcontrols import control
from wandctl.argcheck import output_file, output_folder
from wandctl.errors import WandctlError


def serve(options) -> int:
    """`python -m simboard.vboard` / `wandctl sim --serve`: run a board until Ctrl-C.

    options: an argparse namespace or a dict with flash (folder), seed, bootloader,
    spi_flash, heap, load_ohms (a number, "skin" or "open"), bench (power up with the
    level button held), deploy (deploy the checkout's firmware first). Prints
    `port: /dev/pts/N` as the first stdout line. While it runs, lines on stdin
    control the board (see textcontrols.CONTROL_HELP); SIGUSR1 puts it in
    bootloader mode, SIGUSR2 presses EN.
    """
    get = options.get if isinstance(options, dict) else (lambda k, d=None: getattr(options, k, d))
    flash = get("flash") or "build/vboard/flash"
    load = get("load_ohms")
    if isinstance(load, float) and not 1 <= load <= 10_000_000:
        print("wandctl: --load-ohms must be 1..10000000 ohms, skin or open", file=sys.stderr)
        return 1
    try:
        check_options(flash, get("spi_flash"), get("heap") or "200K", get("chip_dir"))
    except WandctlError as e:
        print("wandctl: %s" % e, file=sys.stderr)
        return 1
    board = VirtualBoard(
        flash,
        seed=get("seed"),
        bootloader=bool(get("bootloader")),
        spi_flash=get("spi_flash"),
        heap=get("heap") or "200K",
        chip_dir=get("chip_dir"),
        load_ohms=get("load_ohms"),
        bench=bool(get("bench")) and not get("deploy"),
        flash_size=get("flash_size") or FLASH_SIZE,
    )
    try:
        return _serve(board, get)
    except VirtualBoardError as e:  # (it did not boot: a heap too small, a flash image it cannot start from)
        board.close()
        print("wandctl: the virtual board failed: %s" % e, file=sys.stderr)
        return 1


def _serve(board, get) -> int:
    board.start()
    if get("deploy"):
        from wandctl.deploy import FIRMWARE_DIR, deploy

        try:
            deploy(board.port, FIRMWARE_DIR, progress=False)
        except WandctlError as e:
            board.close()
            print("wandctl: the deploy to the virtual board failed: %s" % e, file=sys.stderr)
            return 1
        if get("bench"):
            board.power_up_in_bench_mode()
    if get("bench"):
        board.wait_ready()
        board.wait_bench_released()  # hand the port out once the button is let go
    print("port: %s" % board.port, flush=True)
    print("SPI flash image: %s (littlefs from 0x%x)" % (board.spi_flash_path, board.vfs_region()[0]), flush=True)
    print("type `help` for the controls; Ctrl-C stops the board", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGUSR1, lambda *_: threading.Thread(target=board.enter_bootloader).start())
    signal.signal(signal.SIGUSR2, lambda *_: threading.Thread(target=board.reset).start())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def read_controls():
        for line in sys.stdin:
            try:
                reply = control(board, line)
            except (VirtualBoardError, ValueError, KeyError) as e:
                reply = "error: %s" % e
            except Exception as e:  # noqa: BLE001 - a control line never stops the control window
                reply = "error: %s: %s" % (type(e).__name__, e)
            if reply == "quit":
                stop.set()
                return
            if reply:
                print(reply, flush=True)

    if sys.stdin is not None and not sys.stdin.closed:
        threading.Thread(target=read_controls, daemon=True).start()
    try:
        while not stop.wait(0.5):
            if board._thread is None or not board._thread.is_alive():
                print("the virtual board stopped: %r" % board._error, file=sys.stderr)
                return 1
    except KeyboardInterrupt:
        pass
    finally:
        board.close()
    return 0


HEAP_MIN, HEAP_MAX = 16 * 1024, 1024 * 1024 * 1024
CHIP_MODULES = ("machine.py", "esp32.py", "flashbdev.py", "_link.py")


def check_options(flash: str, spi_flash: str | None, heap: str, chip_dir: str | None) -> None:
    """The serve options, checked before the board starts (a bad one made MicroPython refuse its command
    line, seen only as a board that did not boot within 20 s)."""
    output_folder(flash, "--flash", example="build/vboard/flash")
    if spi_flash is not None:
        p = output_file(spi_flash, "--spi-flash", example="board.spiflash.bin")
        size = p.stat().st_size if p.exists() else 0
        if size and size not in (2 << 20, 4 << 20, 8 << 20, 16 << 20):
            # (it is written over: a 5 KB photo became a 4 MB flash image, a helper's audit)
            raise WandctlError("--spi-flash %s: %d bytes is no flash image (2, 4, 8 or 16 MB), and the board would "
                               "write over it: give a new file name, or an image a board wrote" % (spi_flash, size))
    m = re.fullmatch(r"(\d+)([KkMm]?)", heap.strip())
    size = int(m.group(1)) * {"": 1, "k": 1024, "m": 1024 * 1024}[m.group(2).lower()] if m else None
    if size is None or not HEAP_MIN <= size <= HEAP_MAX:
        raise WandctlError("--heap %s: the MicroPython heap in bytes, with K or M, from 16K to 1024M (e.g. 200K)"
                           % heap)
    if chip_dir is not None:
        d = Path(chip_dir)
        if not d.is_dir():
            raise WandctlError("--chip-dir %s: %s" % (chip_dir, "is a file, not a folder" if d.exists()
                                                     else "no such folder"))
        missing = [n for n in CHIP_MODULES if not (d / n).is_file()]
        if missing:
            raise WandctlError("--chip-dir %s: the chip modules %s are missing (the folder needs %s, as in "
                               "simboard/vboard/chip)" % (chip_dir, ", ".join(missing), ", ".join(CHIP_MODULES)))
