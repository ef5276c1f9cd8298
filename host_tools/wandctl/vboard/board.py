"""The virtual ESP32: a pty that behaves like a USB-attached microwand board.

One supervisor thread plays the silicon and the USB-serial bridge:

- the *port* is the slave side of a pty (`VirtualBoard.port`, e.g.
  /dev/pts/5), set raw; its master side is the board's UART;
- the *CPU* is a MicroPython unix-port process running `mpy/vboot.py` in the
  flash folder (which is the board's filesystem, kept across every reset);
  its stdin/stdout are the UART; Ctrl-C from the host becomes SIGINT (the
  chip's keyboard interrupt) while the interpreter has its handler installed;
- the *chip state* that MicroPython cannot keep across a process restart
  (GPIO levels, DAC values, RTC memory, the armed watchdog, the REPL mode) is
  held here, updated from control sequences the chip modules print
  (`ESC ] vb:<msg> BEL`, never shown to the host), and handed to the next
  interpreter in a state file;
- the *watchdog* runs here, in real time: once armed it resets the chip when
  not fed for its timeout, whatever the interpreter is doing (a busy loop, a
  raw REPL waiting for `mpremote`, a soft reset);
- the *ROM loader*: in bootloader mode the UART talks to
  `wandctl.romloader.RomLoader` over the SPI flash image file instead.

What each reset keeps (PLATFORM.md; *inferred* marks silicon facts not in it):

| event          | reset_cause | GPIO/DAC | WDT      | RTC memory | REPL mode | files |
|----------------|-------------|----------|----------|------------|-----------|-------|
| soft reset     | SOFT (5)    | kept     | running  | kept       | kept      | kept  |
| machine.reset  | HARD (2)    | reset    | disarmed | kept       | friendly  | kept  |
| EN pin (press) | HARD (2)    | reset    | disarmed | lost*      | friendly  | kept  |
| WDT expiry     | WDT (3)     | reset    | disarmed | kept       | friendly  | kept  |
| deepsleep      | DEEPSLEEP(4)| reset    | disarmed | kept       | friendly  | kept  |
| power cycle/cut| PWRON (1)   | reset    | disarmed | lost       | friendly  | kept (1)  |

(1) a file open for writing keeps its old content (littlefs commits at close).

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

from wandctl.romloader import RomLoader
from wandctl.tools import ToolNotFound, find_tool

HERE = Path(__file__).resolve().parent
VBOOT = HERE / "mpy" / "vboot.py"
CHIP_DIR = HERE / "chip"
REPO = HERE.parents[2]
BOARD_JSON = REPO / "hardware" / "board.json"

PWRON_RESET, HARD_RESET, WDT_RESET, DEEPSLEEP_RESET, SOFT_RESET = 1, 2, 3, 4, 5
CTL_START = b"\x1b]vb:"
CTL_END = b"\x07"
FLASH_SIZE = 4 * 1024 * 1024
APP_IMAGE_OFFSET = 0x1000  # where the ROM looks for the second-stage bootloader (ESP32)
VFS_PARTITION = (0x200000, 0x200000)  # MicroPython ESP32_GENERIC: the filesystem partition
OUT_LIMIT = 64 * 1024
BUTTON_PINS = {"power": 13, "level": 14}
ROM_BANNER = {
    PWRON_RESET: "rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)",
    HARD_RESET: "rst:0xc (SW_CPU_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)",
    WDT_RESET: "rst:0xc (SW_CPU_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)",
    DEEPSLEEP_RESET: "rst:0x5 (DEEPSLEEP_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)",
}


class VirtualBoardError(RuntimeError):
    pass


def _analog_constants() -> dict:
    try:
        board = json.loads(BOARD_JSON.read_text())
    except (OSError, ValueError):
        return {}
    a, p = board["analog"], board["pins"]
    return {
        "gain_ua_per_code": a["dac_full_scale_mv"] / 255 * a["vi_divider_ratio"] / a["r_set_ohms"] * 1000,
        "hw_limit_ua": a["hw_limit_ua"],
        "compliance_v": a["boost_v"] - a["stage_headroom_v"],
        "sense_offset_mv": a["sense_offset_mv"],
        "sense_mv_per_ua": a["sense_r_ohms"] * a["sense_gain"] / 1000,
        "vload_offset_mv": a["vload_offset_mv"],
        "vload_gain": a["vload_gain"],
        "vbat_divider": a["vbat_divider"],
        "pin_dac": p["dac"],
        "pin_out_enable": p["out_enable"],
        "pin_bridge_a": p["bridge_a"],
        "pin_bridge_b": p["bridge_b"],
        "pin_i_sense": p["i_sense"],
        "pin_v_load": p["v_load"],
        "pin_v_bat": p["v_bat"],
        "pin_usb_sense": p["usb_sense"],
    }


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
        self._input_file = self._tmp / "inputs.json"
        self._analog = _analog_constants()
        # chip state kept by the "silicon"
        self.pins: dict[int, int] = {}
        self.dac: dict[int, int] = {}
        self.rtc = b""
        self.wdt_ms = 0
        self._wdt_deadline: float | None = None
        self.mode = "friendly"
        self.reset_cause = PWRON_RESET
        self.resets: list[tuple[float, int]] = []  # (time, cause) of every boot
        self.inputs = {
            "13": 1,
            "14": 1,
            str(self._analog.get("pin_usb_sense", 35)): 1,
            "load_ohms": None,
            "battery_v": 3.8,
        }
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
        self._write_inputs()
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

    def reset(self):
        """The EN button (or esptool's RTS pulse): a chip reset that boots the firmware."""
        self._call(lambda: self._hard_reset(HARD_RESET, en_pin=True))

    def enter_bootloader(self):
        """EN pulse with GPIO0 held low: the chip comes up in the ROM serial loader."""
        self._call(self._enter_bootloader)

    def press(self, button: str, held: bool | None = None, duration_s: float | None = None):
        """Press a button ("power" or "level"). held=True keeps it down until release();
        duration_s presses and releases after that long (blocking)."""
        pin = str(BUTTON_PINS[button])
        self._call(lambda: self._set_input(pin, 0))
        if self._deep_sleeping and button == "power":
            self._call(lambda: self._wake_from_deepsleep())
        if held:
            return
        time.sleep(duration_s if duration_s is not None else 0.15)
        self.release(button)

    def release(self, button: str):
        pin = str(BUTTON_PINS[button])
        self._call(lambda: self._set_input(pin, 1))

    def inject(self, **values):
        """Change the world the board senses: load_ohms (None = wand lifted), battery_v, usb (bool)."""

        def apply():
            for key, value in values.items():
                if key == "usb":
                    self.inputs[str(self._analog.get("pin_usb_sense", 35))] = 1 if value else 0
                elif key in ("load_ohms", "battery_v"):
                    self.inputs[key] = value
                else:
                    raise VirtualBoardError("unknown input %r (load_ohms, battery_v, usb)" % key)
            self._write_inputs()

        self._call(apply)

    @property
    def in_bootloader(self) -> bool:
        return self._rom is not None

    @property
    def running(self) -> bool:
        return self._child is not None and self._child.poll() is None

    def spi_flash(self) -> bytes:
        return bytes(self._call(lambda: bytes(self._spi or b"")))

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
        deadlines = [d for d in (self._boot_at, self._wdt_deadline, self._sleep_until) if d is not None]
        timeout = max(0.0, min(deadlines) - now) if deadlines else 0.5
        if self.uart_baud and (self._to_host or self._to_child):
            timeout = min(timeout, 0.002)
        rl = [self._master, self._wake_r]
        child = self._child
        if child is not None:
            rl += [child.stdout.fileno(), child.stderr.fileno()]
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
        if self._wdt_deadline is not None and now >= self._wdt_deadline:
            self._send_host(b"E (%d) task_wdt: Task watchdog got triggered.\r\n" % int(now * 1000 % 100000))
            self._hard_reset(WDT_RESET)
        if self._sleep_until is not None and now >= self._sleep_until:
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
        buf = self._child_out_buf + data
        out = bytearray()
        while buf:
            i = buf.find(CTL_START)
            if i < 0:
                # keep a possible partial start sequence for the next read
                keep = 0
                for k in range(min(len(CTL_START) - 1, len(buf)), 0, -1):
                    if CTL_START.startswith(buf[-k:]):
                        keep = k
                        break
                out += buf[: len(buf) - keep]
                buf = buf[len(buf) - keep :]
                break
            out += buf[:i]
            j = buf.find(CTL_END, i)
            if j < 0:
                buf = buf[i:]
                break
            msg = buf[i + len(CTL_START) : j].decode("ascii", "replace")
            buf = buf[j + 1 :]
            if out:
                self._send_host(bytes(out))
                out.clear()
            if self._control(msg):  # the chip was reset: drop the rest of its output
                self._child_out_buf = b""
                return
        self._child_out_buf = buf
        if out:
            self._send_host(bytes(out))

    def _control(self, msg: str) -> bool:
        """Handle one control message from the chip; True when it reset the chip."""
        parts = msg.split()
        if not parts:
            return False
        cmd = parts[0]
        if cmd == "feed":
            if self.wdt_ms:
                self._wdt_deadline = time.monotonic() + self.wdt_ms / 1000
        elif cmd == "wdt":
            self.wdt_ms = int(parts[1])
            self._wdt_deadline = time.monotonic() + self.wdt_ms / 1000
        elif cmd == "pin":
            self.pins[int(parts[1])] = int(parts[2])
        elif cmd == "dac":
            self.dac[int(parts[1])] = int(parts[2])
        elif cmd == "rtc":
            self.rtc = bytes.fromhex(parts[1]) if len(parts) > 1 else b""
        elif cmd == "run":
            self._code_running = True
        elif cmd == "idle":
            self._code_running = False
        elif cmd == "mode":
            self.mode = parts[1]
            self._ready.set()
        elif cmd == "reset":
            kind = parts[1]
            if kind == "soft":
                self._soft_reset()
            elif kind == "hard":
                self._hard_reset(HARD_RESET)
            elif kind == "deepsleep":
                ms = int(parts[2]) if len(parts) > 2 else 0
                self._hard_reset(DEEPSLEEP_RESET, sleep_ms=ms)
            return True
        return False

    # --- resets ------------------------------------------------------------------
    def _kill_child(self):
        child = self._child
        self._child = None
        self._ready.clear()
        self._code_running = False
        self._to_child.clear()
        self._child_out_buf = b""
        if child is not None:
            if child.poll() is None:
                child.kill()
            child.wait()
            for f in (child.stdin, child.stdout, child.stderr):
                try:
                    f.close()
                except OSError:
                    pass

    def _child_died(self):
        """The interpreter ended on its own: vboot exits only when something broke."""
        child = self._child
        code = child.wait() if child else None
        self._kill_child()
        self._send_host(
            b"\r\nGuru Meditation Error: Core  1 panic'ed (interpreter exited with %s)\r\n"
            % str(code).encode()
        )
        self._hard_reset(HARD_RESET)

    def _clear_chip(self, keep_rtc: bool):
        self.pins.clear()
        self.dac.clear()
        self.wdt_ms = 0
        self._wdt_deadline = None
        if not keep_rtc:
            self.rtc = b""
        self.mode = "friendly"

    def _soft_reset(self):
        self._kill_child()
        self.reset_cause = SOFT_RESET
        self._boot()  # MicroPython restarts at once; the WDT keeps running

    def _hard_reset(self, cause: int, en_pin: bool = False, sleep_ms: int | None = None):
        self._kill_child()
        self._rom = None
        self._clear_chip(keep_rtc=not en_pin)
        self.reset_cause = cause
        if sleep_ms is not None:
            self._deep_sleeping = True
            self._sleep_until = time.monotonic() + sleep_ms / 1000 if sleep_ms > 0 else None
            return
        self._schedule_boot()

    def _wake_from_deepsleep(self):
        if self._deep_sleeping:
            self._deep_sleeping = False
            self._sleep_until = None
            self.reset_cause = DEEPSLEEP_RESET
            self._schedule_boot()

    def _schedule_boot(self):
        self._boot_at = time.monotonic() + self.boot_delay_s

    def _power_on(self):
        if self._powered:
            return
        self._powered = True
        self._rom = None
        self._clear_chip(keep_rtc=False)
        self.reset_cause = PWRON_RESET
        self._schedule_boot()

    def _power_off(self):
        self._kill_child()
        self._powered = False
        self._rom = None
        self._boot_at = None
        self._sleep_until = None
        self._deep_sleeping = False
        self._clear_chip(keep_rtc=False)

    def _enter_bootloader(self):
        self._kill_child()
        self._powered = True
        self._boot_at = None
        self._sleep_until = None
        self._deep_sleeping = False
        self._clear_chip(keep_rtc=False)
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
            self._save_spi_flash()
            lo, size = VFS_PARTITION
            if any(off < lo + size and off + n > lo for off, n in changes):
                self._wipe_filesystem()
        if rom.run_user_code or rom.reboot_requested:
            self._flush_host_now()
            self._rom = None
            self.reset_cause = PWRON_RESET
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

    def _wipe_filesystem(self):
        """The littlefs partition was erased or overwritten: MicroPython will find it blank."""
        for entry in self.flash_dir.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()

    # --- booting -----------------------------------------------------------------
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

    def _remove_shadows(self):
        """littlefs: a file being written when the power went keeps its committed content."""
        for root, _dirs, files in os.walk(self.flash_dir):
            for name in files:
                if name.endswith(".~lfs") or name.endswith(".~lfc"):
                    os.unlink(os.path.join(root, name))

    def _write_inputs(self):
        # In place, one write of a fixed size: the chip keeps the file open.
        data = json.dumps(self.inputs).encode().ljust(2048)
        fd = os.open(self._input_file, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            os.pwrite(fd, data, 0)
        finally:
            os.close(fd)

    def _set_input(self, pin: str, value: int):
        self.inputs[pin] = value
        self._write_inputs()

    def _boot(self):
        spi = self._spi
        if self.reset_cause != SOFT_RESET:
            self._send_host(b"ets Jun  8 2016 00:22:57\r\n\r\n%s\r\n" % ROM_BANNER[self.reset_cause].encode())
            if spi is None or spi[APP_IMAGE_OFFSET] != 0xE9:
                word = int.from_bytes(spi[APP_IMAGE_OFFSET : APP_IMAGE_OFFSET + 4], "little") if spi else 0
                self._send_host(b"invalid header: 0x%08x\r\n" % word)
                self.resets.append((time.monotonic(), self.reset_cause))
                return  # nothing to run: the ROM keeps complaining until the next reset
            self._remove_shadows()
        self.resets.append((time.monotonic(), self.reset_cause))
        state = {
            "mode": self.mode,
            "reset_cause": self.reset_cause,
            "pins": {str(k): v for k, v in self.pins.items()},
            "dac": {str(k): v for k, v in self.dac.items()},
            "rtc": self.rtc.hex(),
            "wdt_ms": self.wdt_ms,
            "mac": self.mac.hex(),
            "seed": self.seed,
            "boots": len(self.resets),
            "analog": self._analog,
        }
        self._state_file.write_text(json.dumps(state))
        env = dict(os.environ)
        env.update(
            {
                "VBOARD_STATE_FILE": str(self._state_file),
                "VBOARD_INPUT_FILE": str(self._input_file),
                "VBOARD_CHIP_DIR": str(self.chip_dir),
                "VBOARD_SEED": str(self.seed),
            }
        )
        env.pop("MICROPYPATH", None)
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
        )
        os.set_blocking(self._child.stdin.fileno(), False)


def serve(options) -> int:
    """`python -m wandctl.vboard` / `wandctl sim --serve`: run a board until Ctrl-C.

    options: an argparse namespace or a dict with flash (folder), seed, bootloader,
    spi_flash, heap. Prints `port: /dev/pts/N` as the first stdout line. While it
    runs, lines on stdin control the board (see CONTROL_HELP); SIGUSR1 puts it in
    bootloader mode, SIGUSR2 presses EN.
    """
    get = options.get if isinstance(options, dict) else (lambda k, d=None: getattr(options, k, d))
    flash = get("flash") or "build/vboard/flash"
    board = VirtualBoard(
        flash,
        seed=get("seed"),
        bootloader=bool(get("bootloader")),
        spi_flash=get("spi_flash"),
        heap=get("heap") or "200K",
        chip_dir=get("chip_dir"),
    )
    board.start()
    print("port: %s" % board.port, flush=True)
    print("flash folder: %s (SPI flash image: %s)" % (board.flash_dir, board.spi_flash_path), flush=True)
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
  press power|level   press and release a button (hold BUTTON / release BUTTON)
  load OHMS|open      put the wand on a load, or lift it
  battery VOLTS       battery voltage
  usb on|off          USB power sense
  status              chip state
  quit                stop the board"""


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
    elif cmd == "power-cut":
        board.power_cut()
    elif cmd == "power-on":
        board.power_on()
    elif cmd == "press":
        board.press(args[0])
    elif cmd == "hold":
        board.press(args[0], held=True)
    elif cmd == "release":
        board.release(args[0])
    elif cmd == "load":
        board.inject(load_ohms=None if args[0] == "open" else float(args[0]))
    elif cmd == "battery":
        board.inject(battery_v=float(args[0]))
    elif cmd == "usb":
        board.inject(usb=args[0] == "on")
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
        raise ValueError("unknown control %r (type `help`)" % cmd)
    return "ok"
