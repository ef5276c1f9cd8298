"""The virtual ESP32: a pty that behaves like a USB-attached microwand board.

One supervisor thread plays the silicon and the USB-serial bridge:

- the *port* is the slave side of a pty (`VirtualBoard.port`, e.g.
  /dev/pts/5), set raw; its master side is the board's UART;
- the *CPU* is a MicroPython unix-port process running `mpy/vboot.py` in the
  flash folder (which is the board's filesystem, kept across every reset);
  its stdin/stdout are the UART; Ctrl-C from the host becomes SIGINT (the
  chip's keyboard interrupt) while the interpreter has its handler installed;
- the *chip and the physics* are simboard's: one `simboard.world.World` per
  board, on the wall clock, holds the pins, the DAC registration, ADC, PWM,
  the reconfigurable watchdog, RTC memory, the one reset table, and the plant
  (stage, limiter, skin or resistor, battery, USB, buttons with bounce). The
  child's `machine`/`esp32` (chip/) forward every call to it over a pipe pair
  separate from the UART stream (`chiplink.py`), so the pty board, `wandctl
  sim` and the tests run the same chip model and the same physics;
- the *watchdog* is the World's, advanced here in real time: once armed it
  resets the chip when not fed for its timeout, whatever the interpreter is
  doing (a busy loop, a raw REPL waiting for `mpremote`, a soft reset);
- the *ROM loader*: in bootloader mode the UART talks to
  `simboard.vboard.romloader.RomLoader` over the SPI flash image file instead.

What each reset keeps is simboard's reset table (host_tools/simboard/README.md, docs/platform.md);
the EN pin also clears RTC memory here (*inferred*), and the REPL mode (raw or
friendly) survives a soft reset only. A file open for writing when the power
goes keeps its old content (littlefs commits at close).

Bytes the host sends while the chip is in reset or booting are lost, as on a
real board (the UART FIFO is cleared); bytes the board sends while no program
has the port open are dropped once 64 KiB are waiting.

This module holds `VirtualBoard`: its state and its lifecycle (start, wait for
the boot, close). Its parts, one module each: inputs.py (the public controls),
readouts.py (the chip's state), spiflash.py (the flash image and its littlefs),
boardthread.py (the supervisor loop), uart.py (the byte pump), linkserver.py
(the chip link's board end), worldclock.py (the World on the wall clock),
resets.py (the reset state machine and each boot), interpreter.py (the
MicroPython process). serve() is in server.py, control() in textcontrols.py.
"""

from __future__ import annotations

import os
import queue
import random
import shutil
import subprocess
import tempfile
import termios
import threading
import time
import tty
from pathlib import Path

from simboard.vboard.boardthread import BoardThreadMixin
from simboard.vboard.chiplink import WORLD_LOCK, ChipLink
from simboard.vboard.errors import VirtualBoardError
from simboard.vboard.inputs import InputsMixin
from simboard.vboard.interpreter import CHIP_DIR, InterpreterMixin, find_micropython
from simboard.vboard.linkserver import LinkServerMixin
from simboard.vboard.readouts import ReadoutsMixin
from simboard.vboard.resets import DEEPSLEEP_RESET, HARD_RESET, PWRON_RESET, SOFT_RESET, WDT_RESET, ResetsMixin
from simboard.vboard.romloader import RomLoader
from simboard.vboard.spiflash import FLASH_SIZE, SpiFlashMixin
from simboard.vboard.uart import UartMixin
from simboard.vboard.worldclock import WorldClockMixin
from simboard.world import World

__all__ = [  # what callers import from here
    "VirtualBoard",
    "VirtualBoardError",
    "find_micropython",
    "PWRON_RESET",
    "HARD_RESET",
    "WDT_RESET",
    "DEEPSLEEP_RESET",
    "SOFT_RESET",
]


class VirtualBoard(
    InputsMixin,
    ReadoutsMixin,
    SpiFlashMixin,
    BoardThreadMixin,
    UartMixin,
    LinkServerMixin,
    WorldClockMixin,
    ResetsMixin,
    InterpreterMixin,
):
    """A virtual ESP32 on a pty. Use as a context manager; `.port` is the device path."""

    def __init__(
        self,
        flash_dir,
        *,
        seed: int | None = None,
        bootloader: bool = False,
        spi_flash: str | os.PathLike | None = None,
        heap: str = "200K",
        chip_dir: str | os.PathLike | None = None,
        boot_delay_s: float = 0.15,
        micropython: str | None = None,
        mac: bytes | None = None,
        uart_baud: int | None = None,
        load_ohms: float | str | None = None,
        bench: bool = False,
        usb: bool = True,
        flash_size: int = FLASH_SIZE,
    ):
        self.flash_size = flash_size  # bytes: 2, 4, 8 or 16 MiB (the ROM loader's JEDEC ids)
        self.flash_dir = Path(flash_dir).resolve()
        self.flash_dir.mkdir(parents=True, exist_ok=True)
        self.spi_flash_path = (
            Path(spi_flash) if spi_flash else self.flash_dir.with_name(self.flash_dir.name + ".spiflash.bin")
        )
        self.seed = seed if seed is not None else 0
        self._rng = random.Random(self.seed)
        self.mac = mac or bytes([0x24, 0x0A, 0xC4]) + self._rng.randbytes(3)
        self.heap = heap
        self.chip_dir = Path(chip_dir) if chip_dir else CHIP_DIR
        self.boot_delay_s = boot_delay_s
        self.micropython = micropython or find_micropython()
        self._start_in_bootloader = bootloader
        # UART speed model: None = as fast as the host goes; 115200 = what an ESP32's USB-serial
        # bridge moves (8N1: baud/10 bytes per second each way).
        self.uart_baud = uart_baud
        self._uart = {"tx": [0.0, time.monotonic()], "rx": [0.0, time.monotonic()]}
        self._tmp = Path(tempfile.mkdtemp(prefix="vboard-"))
        self._state_file = self._tmp / "state.json"
        # The chip and the physics: simboard's World on the wall clock (call_us 0: the
        # child's own CPU time is real). Inputs: USB present, the wand lifted, unless told.
        self.world = World({"call_us": 0}, seed=self.seed, flash_dir=str(self.flash_dir))
        self.link = ChipLink(self.world)
        self._t0 = time.monotonic()
        self._lag_ns = 0  # see _wall_us
        self._lag_base_ns = 0  # run-queue delay of the interpreters that already ended
        self._lag_read_at = 0.0
        self._thread_schedstat = ""
        self._thread_lag0 = 0
        self.mode = "friendly"
        self.resets: list[tuple[float, int]] = []  # (time, cause) of every boot
        self._pending = None  # (reason, cause) the next boot comes from: None (first), "soft", ChipReset
        self._bench = bench
        self._bench_release = False
        self.bench_released_at: float | None = None  # when the bench power-up lets go of the button
        with WORLD_LOCK:
            self.world.act_usb(usb)
            self._apply_load(load_ohms)
        # processes and I/O
        self._child: subprocess.Popen | None = None
        self._child_out_buf = b""
        self._to_child = bytearray()
        self._to_host = bytearray()
        self.transcript = bytearray()  # what the board sent, for test diagnostics (bounded)
        self._powered = False
        self._boot_at: float | None = None  # pending boot (chip held in reset until then)
        self._sleep_until: float | None = None
        self._deep_sleeping = False
        self._link_fds: tuple[int, int] | None = None  # (requests from the child, replies to it)
        self._link_in = b""
        self._rom: RomLoader | None = None
        self._spi: bytearray | None = None
        self._requests: queue.Queue = queue.Queue()
        self._wake_r, self._wake_w = os.pipe()
        self._thread: threading.Thread | None = None
        self._stop = False
        self._error: BaseException | None = None
        self._master = self._slave = -1
        self.port = ""
        self._ready = threading.Event()  # the interpreter of the current boot is up
        self._code_running = False  # Python code runs (not a REPL waiting for a line)

    # --- lifecycle ------------------------------------------------------------
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self) -> str:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        attrs = termios.tcgetattr(self._slave)
        attrs[3] &= ~termios.ECHO
        termios.tcsetattr(self._slave, termios.TCSANOW, attrs)
        os.set_blocking(self._master, False)
        self.port = os.ttyname(self._slave)
        self._load_spi_flash()
        self._thread = threading.Thread(target=self._loop, name="vboard", daemon=True)
        self._thread.start()
        if self._start_in_bootloader:
            self.enter_bootloader()
        else:
            self.power_on()
            self.wait_ready()
        return self.port

    def wait_ready(self, timeout: float = 20.0) -> None:
        """Wait until MicroPython is up after the last reset (it then takes bytes from the port)."""
        if not self._ready.wait(timeout):
            raise VirtualBoardError(
                "the virtual board did not boot within %.0f s; it said: %r"
                % (timeout, bytes(self.transcript[-300:]))
            )

    def close(self):
        if self._thread is None:
            return
        try:
            self._call(self._power_off)
        except VirtualBoardError:
            pass
        self._stop = True
        os.write(self._wake_w, b"x")
        self._thread.join(10)
        self._thread = None
        for fd in (self._master, self._slave, self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self._tmp, ignore_errors=True)
