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
  `wandctl.romloader.RomLoader` over the SPI flash image file instead.

What each reset keeps is simboard's reset table (host_tools/simboard/README.md, docs/platform.md);
the EN pin also clears RTC memory here (*inferred*), and the REPL mode (raw or
friendly) survives a soft reset only. A file open for writing when the power
goes keeps its old content (littlefs commits at close).

Bytes the host sends while the chip is in reset or booting are lost, as on a
real board (the UART FIFO is cleared); bytes the board sends while no program
has the port open are dropped once 64 KiB are waiting.
"""

from __future__ import annotations

import json
import os
import queue
import random
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import termios
import threading
import time
import tty
from pathlib import Path

from simboard import flashlayout
from simboard.world import ChipReset, World
from wandctl.romloader import RomLoader
from wandctl.tools import ToolNotFound, find_tool
from wandctl.vboard.chiplink import WORLD_LOCK, ChipLink, LinkError, encode_reply

HERE = Path(__file__).resolve().parent
VBOOT = HERE / "mpy" / "vboot.py"
CHIP_DIR = HERE / "chip"
REPO = HERE.parents[2]
BOARD_JSON = REPO / "hardware" / "board.json"

PWRON_RESET, HARD_RESET, WDT_RESET, DEEPSLEEP_RESET, SOFT_RESET = 1, 2, 3, 4, 5
FLASH_SIZE = flashlayout.FLASH_SIZE
APP_IMAGE_OFFSET = flashlayout.APP_IMAGE_OFFSET  # where the ROM looks for the second-stage bootloader
VFS_PARTITION = (flashlayout.VFS_OFFSET, FLASH_SIZE - flashlayout.VFS_OFFSET)  # littlefs, to the end of flash
OUT_LIMIT = 64 * 1024
BENCH_HOLD_MS = 2500  # the level button held this long after the interpreter is up (bench power-up)
BUTTON_PINS = {"power": 13, "level": 14}
ROM_BANNER = {
    PWRON_RESET: "rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)",
    HARD_RESET: "rst:0xc (SW_CPU_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)",
    WDT_RESET: "rst:0xc (SW_CPU_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)",
    DEEPSLEEP_RESET: "rst:0x5 (DEEPSLEEP_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)",
}


class VirtualBoardError(RuntimeError):
    pass


def _runqueue_ns(path: str) -> int:
    """Time (ns) a task waited on a run queue (2nd field of /proc/.../schedstat); 0 if unknown."""
    try:
        with open(path) as f:
            return int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def find_micropython() -> str:
    try:
        return find_tool("micropython")
    except ToolNotFound as e:
        raise VirtualBoardError(str(e)) from None


def blank_spi_flash() -> bytearray:
    """A factory board: MicroPython (synthetic image) at 0x1000, the rest erased."""
    from wandctl.flash import build_merged_image

    flash = bytearray(b"\xff" * FLASH_SIZE)
    image = build_merged_image("esp32")
    flash[APP_IMAGE_OFFSET : APP_IMAGE_OFFSET + len(image)] = image
    return flash


class VirtualBoard:
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
    ):
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

    # --- public controls (thread-safe: they run on the board thread) ----------------
    def power_on(self):
        self._call(self._power_on)

    def power_cut(self):
        """Power lost at this instant: the CPU stops mid-instruction, RAM and RTC memory are gone."""
        self._call(self._power_off)

    def power_cycle(self, off_s: float = 0.05, wait: bool = True):
        self.power_cut()
        time.sleep(off_s)
        self.power_on()
        if wait:
            self.wait_ready()

    def power_up_in_bench_mode(self, wait: bool = True):
        """The physical act that turns bench mode on (SR-09): power off, the level button
        held while the power comes back, released 1.5 s later."""
        self.power_cut()
        self._bench = True
        time.sleep(0.05)
        self.power_on()
        if wait:
            self.wait_ready()
            self.wait_bench_released()

    def wait_bench_released(self, timeout: float = 20.0) -> None:
        """Until the bench power-up has released the level button."""
        end = time.monotonic() + timeout
        while self._bench or self._bench_release or self.bench_released_at is None:
            if time.monotonic() > end:
                raise VirtualBoardError("the bench power-up did not finish")
            time.sleep(0.05)
        time.sleep(max(0.0, self.bench_released_at + 0.1 - time.monotonic()))

    def reset(self):
        """The EN button (or esptool's RTS pulse): a chip reset that boots the firmware."""
        self._call(lambda: self._hard_reset(HARD_RESET, en_pin=True))

    def enter_bootloader(self):
        """EN pulse with GPIO0 held low: the chip comes up in the ROM serial loader."""
        self._call(self._enter_bootloader)

    def press(self, button: str, held: bool | None = None, duration_s: float | None = None):
        """Press a button ("power" or "level"), with the World's contact bounce. held=True keeps
        it down until release(); duration_s presses and releases after that long (blocking)."""
        if button not in BUTTON_PINS:
            raise VirtualBoardError("unknown button %r (power, level)" % button)
        self._call(lambda: self._act("hold", button))
        if self._deep_sleeping and button == "power" and self.world.ext0 is None:
            self._call(lambda: self._wake_from_deepsleep())  # no wake source armed: the power switch
        if held:
            return
        time.sleep(duration_s if duration_s is not None else 0.15)
        self.release(button)

    def release(self, button: str):
        if button not in BUTTON_PINS:
            raise VirtualBoardError("unknown button %r (power, level)" % button)
        self._call(lambda: self._act("release", button))

    def inject(self, **values):
        """Change the world the board senses: load_ohms (a number: a resistor; "skin": the skin
        model; None or "open": the wand lifted), battery_v (open-circuit volts), usb (bool)."""

        def apply():
            for key, value in values.items():
                if key == "usb":
                    self._act("usb", "on" if value else "off")
                elif key == "load_ohms":
                    self._advance()
                    with WORLD_LOCK:
                        self._apply_load(value)
                elif key == "battery_v":
                    self._advance()
                    with WORLD_LOCK:
                        self.world.plant.advance(self.world.now)
                        self.world.plant.set_soc_for_ocv(float(value))
                else:
                    raise VirtualBoardError("unknown input %r (load_ohms, battery_v, usb)" % key)

        self._call(apply)

    def scenario(self, line: str) -> None:
        """One scenario action now, in simboard's script vocabulary without the time:
        `press power 0.2`, `hold level`, `release level`, `contact off`, `load 2000|skin`,
        `inject gain_drift=1.3`, `usb on`, `stall 3000`, `power_cut`, `power_on`, `interrupt`
        (Ctrl-C on the UART), `soft_reset` (Ctrl-C, Ctrl-D)."""
        from simboard.script import ScriptError, parse_script

        try:
            ((_, act, args),) = parse_script("0 " + line)
        except ScriptError as e:
            raise VirtualBoardError(str(e).replace("line 1: ", "")) from None
        if act == "power_cut":
            self.power_cut()
        elif act == "power_on":
            self.power_on()
        elif act in ("interrupt", "soft_reset"):
            data = b"\r\x03" + (b"\x04" if act == "soft_reset" else b"")
            self._call(lambda: self._from_host(data))
        elif act == "stall":
            raise VirtualBoardError("stall needs the virtual clock (`wandctl sim`); the pty board runs in real time")
        elif act in ("press", "hold", "release") and args[0] not in BUTTON_PINS:
            raise VirtualBoardError("unknown button %r (power, level)" % args[0])
        else:
            self._call(lambda: self._act(act, *args))

    def _act(self, action, *args):
        """A World action (act_<action>) at the present instant."""
        self._advance()
        with WORLD_LOCK:
            getattr(self.world, "act_" + action)(*args)
            self.world._update_due()

    def _apply_load(self, value):
        w = self.world
        if value is None or value == "open":
            w.act_contact("off")
        elif value == "skin":
            w.act_load("skin")
            w.act_contact("on")
        else:
            ohms = float(value)
            if not ohms > 0:
                raise VirtualBoardError("load_ohms must be above 0 (or skin, open)")
            w.act_load(ohms)
            w.act_contact("on")

    # --- the chip's state, read from the World ----------------------------------
    @property
    def pins(self) -> dict[int, int]:
        """Levels of the pins configured as outputs (empty after a hard reset)."""
        with WORLD_LOCK:
            w = self.world
            return {n: w.pout[n] for n in range(40) if w.pmode[n] in (3, 7) and n not in w.pwm}

    @property
    def dac(self) -> dict[int, int]:
        with WORLD_LOCK:
            pl = self.world.plant
            return {self.world.pin_dac: pl.dac_code} if pl.dac_on else {}

    @property
    def rtc(self) -> bytes:
        return bytes(self.world.rtc_mem)

    @property
    def wdt_ms(self) -> int:
        w = self.world
        return w.wdt_timeout // 1000 if w.wdt_on else 0

    @property
    def reset_cause(self) -> int:
        return self.world.cause

    def load_current_ua(self) -> float:
        """The true current through the load now (µA, signed), from the plant."""
        return self._call(lambda: self._true("load_current") * 1e6)

    def stats(self) -> dict:
        """simboard's true-output accounting since the board started."""
        return self._call(lambda: self._true("stats"))

    def _true(self, what):
        self._advance()
        with WORLD_LOCK:
            return getattr(self.world, what)()

    @property
    def in_bootloader(self) -> bool:
        return self._rom is not None

    @property
    def running(self) -> bool:
        return self._child is not None and self._child.poll() is None

    def spi_flash(self) -> bytes:
        """The whole SPI flash image as it is now (the running chip writes its filesystem there)."""
        return self._call(lambda: bytes(self._spi) if self._rom is not None else self.spi_flash_path.read_bytes())

    @property
    def files(self):
        """The board's littlefs as the host sees it (littlefs-python on the SPI flash image):
        a Path-like root, `board.files / "lib" / "x.py"`. Writing stops the chip (power off),
        edits the image, and powers it on again as it was."""
        from wandctl.vboard.lfsview import FlashPath

        return FlashPath(self, "")

    def _fs_region(self) -> bytes:
        lo, size = VFS_PARTITION
        if self._rom is not None and self._spi is not None:
            return bytes(self._spi[lo : lo + size])
        with open(self.spi_flash_path, "rb") as f:
            f.seek(lo)
            return f.read(size)

    def _fs_region_write(self, data: bytes) -> None:
        lo, size = VFS_PARTITION
        assert len(data) == size
        if self._spi is not None:
            self._spi[lo : lo + size] = data
        fd = os.open(self.spi_flash_path, os.O_WRONLY)
        try:
            os.pwrite(fd, data, lo)
        finally:
            os.close(fd)


    def wait_boots(self, count: int, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while len(self.resets) < count:
            if time.monotonic() > end:
                raise VirtualBoardError("the board booted %d times, expected %d" % (len(self.resets), count))
            time.sleep(0.02)

    # --- the board thread -----------------------------------------------------------
    def _call(self, fn):
        if self._thread is None or not self._thread.is_alive():
            if self._error:
                raise VirtualBoardError("the virtual board stopped: %r" % self._error)
            raise VirtualBoardError("the virtual board is not running")
        done = threading.Event()
        box: dict = {}
        self._requests.put((fn, done, box))
        os.write(self._wake_w, b"x")
        if not done.wait(30):
            raise VirtualBoardError("the virtual board did not answer")
        if "error" in box:
            raise box["error"]
        return box.get("value")

    def _loop(self):
        tid = threading.get_native_id()
        path = "/proc/self/task/%d/schedstat" % tid
        if os.path.exists(path):
            self._thread_schedstat = path
            self._thread_lag0 = _runqueue_ns(path)
        try:
            while not self._stop:
                self._step()
        except BaseException as e:  # noqa: B036 - reported to the caller of the next control
            self._error = e
            raise
        finally:
            self._kill_child()

    def _step(self):
        now = time.monotonic()
        due = self._world_due()
        deadlines = [d for d in (self._boot_at, due, self._sleep_until) if d is not None]
        if self._deep_sleeping:
            deadlines.append(now + 0.02)  # watch the ext0 wake pin
        timeout = max(0.0, min(deadlines) - now) if deadlines else 0.5
        if self.uart_baud and (self._to_host or self._to_child):
            timeout = min(timeout, 0.002)
        rl = [self._master, self._wake_r]
        child = self._child
        if child is not None:
            rl += [child.stdout.fileno(), child.stderr.fileno()]
            if self._link_fds is not None:
                rl.append(self._link_fds[0])
        wl = []
        if self._to_host:
            wl.append(self._master)
        if child is not None and self._to_child:
            wl.append(child.stdin.fileno())
        try:
            r, w, _ = select.select(rl, wl, [], min(timeout, 0.5))
        except InterruptedError:
            return
        if self._wake_r in r:
            os.read(self._wake_r, 4096)
            while True:
                try:
                    fn, done, box = self._requests.get_nowait()
                except queue.Empty:
                    break
                try:
                    box["value"] = fn()
                except BaseException as e:  # noqa: B036
                    box["error"] = e
                done.set()
        if self._child is not child:
            return  # a control reset the chip: `r` holds the old interpreter's fds
        if self._master in r:
            try:
                data = os.read(self._master, 4096)
            except (BlockingIOError, InterruptedError):
                data = b""
            except OSError:
                data = b""
            if data:
                self._from_host(data)
        child = self._child
        if child is not None and self._link_fds is not None and self._link_fds[0] in r:
            self._from_link()
            if self._child is not child:
                return  # reset: the fds in `r` were the old interpreter's (their numbers are reused)
        if child is not None:
            if child.stdout.fileno() in r:
                data = os.read(child.stdout.fileno(), 65536)
                if data:
                    self._from_chip(data)
                else:
                    self._child_died()
            child = self._child
            if child is not None and child.stderr.fileno() in r:
                data = os.read(child.stderr.fileno(), 65536)
                if data:
                    self._send_host(data.replace(b"\n", b"\r\n"))
        if self._master in w and self._to_host:
            try:
                n = os.write(self._master, bytes(self._to_host[: self._uart_budget("tx", 4096)]))
                self._uart_spend("tx", n)
                del self._to_host[:n]
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                self._to_host.clear()
        child = self._child
        if child is not None and self._to_child and child.stdin.fileno() in w:
            try:
                n = os.write(child.stdin.fileno(), bytes(self._to_child[: self._uart_budget("rx", 65536)]))
                self._uart_spend("rx", n)
                del self._to_child[:n]
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                self._to_child.clear()
        now = time.monotonic()
        if self._powered and self._rom is None:
            self._advance()  # the World's due events (the watchdog among them) on the wall clock
        if self._deep_sleeping:
            if self._sleep_until is not None and now >= self._sleep_until:
                self.world.wake_reason = 4  # TIMER_WAKE
                self._wake_from_deepsleep()
            elif self._ext0_level():
                self.world.wake_reason = 2  # EXT0_WAKE
                self._wake_from_deepsleep()
        if self._boot_at is not None and now >= self._boot_at:
            self._boot_at = None
            self._boot()

    # --- UART ------------------------------------------------------------------
    def _uart_budget(self, way: str, most: int) -> int:
        """Bytes the modelled UART can move now (a token bucket of one 128-byte FIFO)."""
        if not self.uart_baud:
            return most
        bucket = self._uart[way]
        now = time.monotonic()
        bucket[0] = min(128.0, bucket[0] + (now - bucket[1]) * self.uart_baud / 10)
        bucket[1] = now
        return min(most, int(bucket[0]))

    def _uart_spend(self, way: str, n: int) -> None:
        if self.uart_baud:
            self._uart[way][0] -= n

    def _send_host(self, data: bytes):
        self._to_host += data
        if len(self._to_host) > OUT_LIMIT:  # nobody reading: the bridge drops what it cannot hold
            del self._to_host[: len(self._to_host) - OUT_LIMIT]
        self.transcript += data
        if len(self.transcript) > 1 << 20:
            del self.transcript[: len(self.transcript) - (1 << 19)]

    def _from_host(self, data: bytes):
        if self._rom is not None:
            reply = self._rom.feed(data)
            if reply:
                self._send_host(reply)
            self._after_rom()
            return
        child = self._child
        if child is None or self._boot_at is not None:
            return  # chip off, in reset or booting: the bytes are lost
        while data:
            i = data.find(b"\x03")
            if i < 0:
                self._to_child += data
                return
            self._to_child += data[:i]
            data = data[i + 1 :]
            # Ctrl-C is the keyboard interrupt only while code runs; at a REPL prompt, or while
            # the chip is still booting, it is a plain byte.
            if self._ready.is_set() and self._code_running and self._catches_sigint(child.pid):
                self._flush_to_child()
                try:
                    os.kill(child.pid, signal.SIGINT)
                except ProcessLookupError:
                    pass
            else:  # keyboard interrupt disabled (micropython.kbd_intr(-1)): a plain byte
                self._to_child += b"\x03"

    def _flush_to_child(self):
        child = self._child
        end = time.monotonic() + 0.5
        while self._to_child and child is not None and time.monotonic() < end:
            try:
                n = os.write(child.stdin.fileno(), bytes(self._to_child))
                del self._to_child[:n]
            except BlockingIOError:
                time.sleep(0.001)
            except OSError:
                self._to_child.clear()

    @staticmethod
    def _catches_sigint(pid: int) -> bool:
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("SigCgt:"):
                        return bool(int(line.split()[1], 16) & (1 << (signal.SIGINT - 1)))
        except OSError:
            pass
        return False

    def _from_chip(self, data: bytes):
        self._send_host(data)

    # --- the chip link (chiplink.py) ----------------------------------------------
    def _wall_us(self) -> int:
        return int((time.monotonic() - self._t0) * 1e6)

    def _starved_us(self) -> int:
        """How much longer the host kept the firmware's interpreter and this board thread waiting
        for a CPU (run-queue delay, /proc/<pid>/schedstat) since the last call: time a real
        chip never loses. The watchdog's deadline moves by it (see _advance), so a busy host
        slows the firmware down instead of firing its watchdog; the plant stays on the wall
        clock, as the firmware's own clock is."""
        now = time.monotonic()
        if now - self._lag_read_at < 0.002:
            return 0
        self._lag_read_at = now
        child = self._child
        lag = self._lag_base_ns
        if child is not None:
            lag += _runqueue_ns("/proc/%d/schedstat" % child.pid)
        if self._thread_schedstat:
            lag += _runqueue_ns(self._thread_schedstat) - self._thread_lag0
        delta = lag - self._lag_ns
        if delta <= 0:
            return 0
        self._lag_ns = lag
        return delta // 1000

    def _world_due(self) -> float | None:
        """Wall time of the World's next due event (watchdog, scheduled release), if any."""
        nd = self.world.next_due
        if nd >= 1 << 61 or not self._powered or self._rom is not None:
            return None
        return self._t0 + nd / 1e6

    def _advance(self) -> None:
        """Bring the World up to the wall clock; a reset it raises (watchdog) resets the chip."""
        with WORLD_LOCK:
            w = self.world
            halted = w.halt is not None
            starved = self._starved_us()
            if starved and w.wdt_on and w.wdt_deadline < 1 << 61:
                w.wdt_deadline += starved
                w._update_due()
            try:
                w.run_to(self._wall_us())
            except ChipReset as e:
                if not halted:
                    self._chip_reset(e)

    def _ext0_level(self) -> bool:
        with WORLD_LOCK:
            ext = self.world.ext0
            if ext is None:
                return False
            t = self.world._first_level_time(ext[0], ext[1])
            return t is not None and t <= self.world.now

    def _from_link(self):
        fd = self._link_fds[0]
        try:
            data = os.read(fd, 65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            return  # the child went away; its stdout reports that
        buf = self._link_in + data
        while True:
            i = buf.find(b"\n")
            if i < 0:
                break
            line, buf = buf[:i], buf[i + 1 :]
            try:
                seq, req = self.link.request(line)
            except LinkError as e:
                self._link_in = b""
                self._send_host(b"\r\nvboard: chip link: %s\r\n" % str(e).encode())
                self._child_died()
                return
            if req[0] == "ctl":
                if self._control(req[1]):  # the chip was reset: nothing more from this child
                    self._link_in = b""
                    return
                continue
            self._advance()
            if self._child is None:
                self._link_in = b""
                return  # the watchdog fired first
            with WORLD_LOCK:
                try:
                    from simboard import world as simworld

                    simworld.attach(self.world)
                    reply = self.link.run(req)
                except ChipReset as e:
                    reply = e
                except LinkError as e:
                    reply = e
            if isinstance(reply, ChipReset):
                self._link_in = b""
                self._chip_reset(reply)
                return
            if isinstance(reply, LinkError):
                reply = ("err", "RuntimeError", (str(reply),))
            out = encode_reply(seq, reply)
            try:
                os.write(self._link_fds[1], out)
            except OSError:
                pass
        self._link_in = buf

    def _control(self, msg: str) -> bool:
        """A notice from vboot (REPL mode, code running or not, soft reset); True when it
        reset the chip."""
        parts = msg.split()
        if not parts:
            return False
        cmd = parts[0]
        if cmd == "run":
            self._code_running = True
        elif cmd == "idle":
            self._code_running = False
        elif cmd == "mode":
            self.mode = parts[1]
            self._ready.set()
            if self._bench_release:
                self._bench_release = False
                self._advance()
                with WORLD_LOCK:
                    self.world.at(self.world.now / 1000 + BENCH_HOLD_MS, "release", "level")
                    self.bench_released_at = time.monotonic() + BENCH_HOLD_MS / 1000
        elif cmd == "reset" and parts[1:] == ["soft"]:
            self._drain_child_stdout()
            self._soft_reset()
            return True
        return False

    def _drain_child_stdout(self):
        """What the interpreter printed before it asked for the soft reset (MPY: soft reboot)."""
        child = self._child
        if child is None:
            return
        fd = child.stdout.fileno()
        while True:
            r, _, _ = select.select([fd], [], [], 0)
            if not r:
                return
            try:
                data = os.read(fd, 65536)
            except OSError:
                return
            if not data:
                return
            self._from_chip(data)

    # --- resets ------------------------------------------------------------------
    def _kill_child(self):
        child = self._child
        if child is not None:
            self._lag_base_ns += _runqueue_ns("/proc/%d/schedstat" % child.pid)
        self._child = None
        self._ready.clear()
        self._code_running = False
        self._to_child.clear()
        self._child_out_buf = b""
        self._link_in = b""
        if child is not None:
            if child.poll() is None:
                child.kill()
            child.wait()
            for f in (child.stdin, child.stdout, child.stderr):
                try:
                    f.close()
                except OSError:
                    pass
        if self._link_fds is not None:
            for fd in self._link_fds:
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._link_fds = None

    def _child_died(self):
        """The interpreter ended on its own: vboot exits only when something broke."""
        child = self._child
        code = child.wait() if child else None
        self._kill_child()
        self._send_host(
            b"\r\nGuru Meditation Error: Core  1 panic'ed (interpreter exited with %s)\r\n"
            % str(code).encode()
        )
        self._halt_world(ChipReset("hard"))
        self._schedule_boot()

    def _halt_world(self, exc: ChipReset) -> None:
        """The chip stops now: the World takes the reset state of its hardware."""
        with WORLD_LOCK:
            if self.world.halt is None:
                try:
                    self.world._halt(exc)
                except ChipReset:
                    pass
            self._pending = (exc, None)

    def _chip_reset(self, exc: ChipReset):
        """The World reset the chip (watchdog, machine.reset(), deepsleep): end the child."""
        self._kill_child()
        self._pending = (exc, None)
        if exc.cause == "wdt":
            self._send_host(b"E (%d) task_wdt: Task watchdog got triggered.\r\n" % (self._wall_us() // 1000 % 100000))
        if exc.cause == "deepsleep":
            ms = exc.arg or 0
            self._deep_sleeping = True
            self._sleep_until = time.monotonic() + ms / 1000 if ms > 0 else None
            return
        self._schedule_boot()

    def _soft_reset(self):
        self._kill_child()
        self._pending = ("soft", None)
        self._boot()  # MicroPython restarts at once; the WDT keeps running

    def _hard_reset(self, cause: int, en_pin: bool = False):
        """A reset from outside the firmware (the EN pin): RTC memory goes too (*inferred*)."""
        self._kill_child()
        self._rom = None
        self._halt_world(ChipReset("hard"))
        if en_pin:
            self.world.rtc_mem = b""
        self.mode = "friendly"
        self._schedule_boot()

    def _wake_from_deepsleep(self):
        if self._deep_sleeping:
            self._deep_sleeping = False
            self._sleep_until = None
            self._schedule_boot()

    def _schedule_boot(self):
        self.mode = "friendly"
        self._boot_at = time.monotonic() + self.boot_delay_s

    def _power_on(self):
        if self._powered:
            return
        self._powered = True
        self._rom = None
        self._schedule_boot()

    def _power_off(self):
        self._kill_child()
        self._powered = False
        self._rom = None
        self._boot_at = None
        self._sleep_until = None
        self._deep_sleeping = False
        if self.resets:
            self._halt_world(ChipReset("power_cut"))
            self._pending = (ChipReset("power_cut"), None)
            self.world.rtc_mem = b""

    def _enter_bootloader(self):
        self._kill_child()
        self._powered = True
        self._boot_at = None
        self._sleep_until = None
        self._deep_sleeping = False
        self._halt_world(ChipReset("hard"))
        self.world.rtc_mem = b""
        self._pending = (ChipReset("hard"), PWRON_RESET)  # the ROM hands over as after power-on
        self._load_spi_flash()
        self._rom = RomLoader(self._spi, "esp32", mac=self.mac)
        self._send_host(
            b"ets Jun  8 2016 00:22:57\r\n\r\n"
            b"rst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\r\n"
            b"waiting for download\r\n"
        )

    def _after_rom(self):
        rom = self._rom
        if rom is None:
            return
        changes = rom.take_changes()
        if changes:
            self._save_spi_flash()  # the filesystem region included: littlefs lives in the image
        if rom.run_user_code or rom.reboot_requested:
            self._flush_host_now()
            self._rom = None
            self._schedule_boot()

    def _flush_host_now(self):
        end = time.monotonic() + 1.0
        while self._to_host and time.monotonic() < end:
            try:
                n = os.write(self._master, bytes(self._to_host))
                del self._to_host[:n]
            except BlockingIOError:
                time.sleep(0.002)
            except OSError:
                break

    def _load_spi_flash(self):
        if self.spi_flash_path.exists() and self.spi_flash_path.stat().st_size == FLASH_SIZE:
            self._spi = bytearray(self.spi_flash_path.read_bytes())
        else:
            self._spi = blank_spi_flash()
            self._save_spi_flash()

    def _save_spi_flash(self):
        tmp = self.spi_flash_path.with_name(self.spi_flash_path.name + ".tmp")
        tmp.write_bytes(self._spi)
        os.replace(tmp, self.spi_flash_path)

    def _boot(self):
        """The chip leaves reset: the World boots (reset_cause), then the interpreter starts."""
        spi = self._spi
        pending, self._pending = self._pending, None
        with WORLD_LOCK:
            if pending is not None:
                self.world.reboot_now(*pending)
            self.link.new_boot()
            if self._bench and self.world.cause == PWRON_RESET:
                # bench: the level button held at power-up (SR-09), released 2.5 s after the
                # interpreter is up (see _control "mode"), as a person holds it through the boot
                self._bench = False
                self._bench_release = True
                self.world.act_hold("level")
        cause = self.world.cause
        if cause != SOFT_RESET:
            self.mode = "friendly"
            self._send_host(b"ets Jun  8 2016 00:22:57\r\n\r\n%s\r\n" % ROM_BANNER[cause].encode())
            if spi is None or spi[APP_IMAGE_OFFSET] != 0xE9:
                word = int.from_bytes(spi[APP_IMAGE_OFFSET : APP_IMAGE_OFFSET + 4], "little") if spi else 0
                self._send_host(b"invalid header: 0x%08x\r\n" % word)
                self.resets.append((time.monotonic(), cause))
                return  # nothing to run: the ROM keeps complaining until the next reset
        self.resets.append((time.monotonic(), cause))
        state = {
            "mode": self.mode,
            "boots": len(self.resets),
            "spi_flash": str(self.spi_flash_path.resolve()),
            "vfs": flashlayout.geometry(FLASH_SIZE),
        }
        self._state_file.write_text(json.dumps(state))
        req_r, req_w = os.pipe()  # child -> board: requests and notices
        rep_r, rep_w = os.pipe()  # board -> child: replies
        os.set_blocking(rep_r, False)  # the child polls, then reads what is there
        env = dict(os.environ)
        env.update(
            {
                "VBOARD_STATE_FILE": str(self._state_file),
                "VBOARD_CHIP_DIR": str(self.chip_dir),
                "VBOARD_LINK_R": str(rep_r),
                "VBOARD_LINK_W": str(req_w),
            }
        )
        env.pop("MICROPYPATH", None)
        try:
            self._child = subprocess.Popen(
                [
                    self.micropython,
                    "-X",
                    "heapsize=" + self.heap,
                    str(VBOOT),
                    str(self.chip_dir),
                    str(self.flash_dir),
                    str(self._state_file),
                ],
                cwd=self.flash_dir,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                bufsize=0,
                start_new_session=True,
                pass_fds=(rep_r, req_w),
            )
        finally:
            os.close(rep_r)
            os.close(req_w)
        self._link_fds = (req_r, rep_w)
        self._link_in = b""
        os.set_blocking(self._child.stdin.fileno(), False)


def serve(options) -> int:
    """`python -m wandctl.vboard` / `wandctl sim --serve`: run a board until Ctrl-C.

    options: an argparse namespace or a dict with flash (folder), seed, bootloader,
    spi_flash, heap, load_ohms (a number, "skin" or "open"), bench (power up with the
    level button held), deploy (deploy the checkout's firmware first). Prints
    `port: /dev/pts/N` as the first stdout line. While it runs, lines on stdin
    control the board (see CONTROL_HELP); SIGUSR1 puts it in
    bootloader mode, SIGUSR2 presses EN.
    """
    get = options.get if isinstance(options, dict) else (lambda k, d=None: getattr(options, k, d))
    flash = get("flash") or "build/vboard/flash"
    load = get("load_ohms")
    if isinstance(load, float) and not 1 <= load <= 10_000_000:
        print("wandctl: --load-ohms must be 1..10000000 ohms, skin or open", file=sys.stderr)
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
    )
    board.start()
    if get("deploy"):
        from wandctl.deploy import FIRMWARE_DIR, deploy
        from wandctl.errors import WandctlError

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
    print("SPI flash image: %s (littlefs from 0x%x)" % (board.spi_flash_path, VFS_PARTITION[0]), flush=True)
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


CONTROL_HELP = """controls (one per line on stdin):
  reset               press EN (hard reset, boots the firmware)
  bootloader          EN with GPIO0 low: ROM serial loader (for esptool --before no-reset)
  power-cycle         power off and on
  power-cut           power off (stays off until power-on)
  power-on            power on
  bench               power-cycle with the level button held (bench mode, SR-09)
  press power|level [SECONDS]   press and release a button, with contact bounce
  hold power|level    press and keep pressed (release BUTTON)
  load OHMS|skin|open put the wand on a resistor or on skin, or lift it
  contact on|off      the wand on the skin, or lifted
  inject SPEC         a fault or condition, as `wandctl sim --inject` (gain_drift=1.3, sense_stuck,
                      sense_open, sense_gain=F, short, short=off, battery_low, battery_critical, clear)
  battery VOLTS       battery open-circuit voltage
  usb on|off          USB power sense
  interrupt           Ctrl-C on the UART;  soft_reset: Ctrl-C, Ctrl-D
  current             the true load current now (uA) and the output accounting
  status              chip state
  quit                stop the board
(the scenario actions are simboard's script vocabulary: host_tools/simboard/README.md)"""


def control(board: VirtualBoard, line: str) -> str:
    words = line.split()
    if not words:
        return ""
    cmd, args = words[0], words[1:]
    if cmd == "help":
        return CONTROL_HELP
    if cmd == "reset":
        board.reset()
    elif cmd == "bootloader":
        board.enter_bootloader()
    elif cmd == "power-cycle":
        board.power_cycle()
    elif cmd in ("power-cut", "power_cut"):
        board.power_cut()
    elif cmd in ("power-on", "power_on"):
        board.power_on()
    elif cmd == "bench":
        board.power_up_in_bench_mode()
    elif cmd == "press" and len(args) == 1:
        board.press(args[0])
    elif cmd == "load" and len(args) == 1:
        board.inject(load_ohms=args[0] if args[0] in ("open", "skin") else _ohms(args[0]))
    elif cmd == "battery" and len(args) == 1:
        board.inject(battery_v=float(args[0]))
    elif cmd == "current":
        st = board.stats()
        return json.dumps({"load_ua": round(board.load_current_ua(), 1),
                           **{k: (round(v, 3) if isinstance(v, float) else v) for k, v in st.items()}})
    elif cmd == "status":
        return json.dumps(
            {
                "bootloader": board.in_bootloader,
                "running": board.running,
                "mode": board.mode,
                "wdt_ms": board.wdt_ms,
                "pins": board.pins,
                "dac": board.dac,
                "rtc": board.rtc.hex(),
                "boots": [c for _, c in board.resets],
            }
        )
    elif cmd == "quit":
        return "quit"
    else:
        from simboard.script import ACTIONS

        if cmd not in ACTIONS:
            raise ValueError("unknown control %r (type `help`)" % cmd)
        board.scenario(line)
    return "ok"


def _ohms(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise ValueError("load takes ohms, skin or open, not %r" % text) from None
    if not v > 0:
        raise ValueError("load takes ohms above 0, skin or open")
    return v
