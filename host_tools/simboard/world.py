"""The simulated chip and its surroundings: virtual clock, pins, peripherals,
watchdog, resets, scheduled events, and the analog plant.

`World(config=None, seed=0, flash_dir=None, start_ticks_ms=None)` builds one
board. `attach(world)` makes it the board that `simboard.machine`,
`simboard.time` and `simboard.esp32` talk to.

Time: `world.now` is microseconds since the world was created. Code runs in
zero virtual time except that every call into the chip costs `call_us`
(default 20 us, about what a MicroPython call costs on an ESP32), so busy-wait
loops terminate. Sleeping is where the clock moves: scheduled events, watchdog
expiry, trace samples and the end of the run happen there.

A reset (watchdog, `machine.reset()`, `deepsleep()`, power cut) raises
`ChipReset` (a BaseException) and halts the chip: every later call into the
chip, from any object, raises it again until the runner boots the next run.
The end of the scripted time raises `SimEnd` the same way.
`machine.soft_reset()` raises SystemExit as the real port does (Python
unwinds normally, `finally` blocks may still touch the hardware); the runner
then performs the soft reset.
"""

import math
import sys
from array import array

from simboard import config as _config
from simboard.plant import Plant
from simboard.rng import Rng

TICKS_PERIOD = 1 << 30
TICKS_MAX = TICKS_PERIOD - 1
TICKS_HALF = TICKS_PERIOD >> 1

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5

# Pin modes/pulls as on the ESP32 port.
IN = 1
OUT = 3
OPEN_DRAIN = 7
PULL_DOWN = 1
PULL_UP = 2

VALID_PINS = tuple(list(range(0, 6)) + list(range(12, 20)) + [21, 22, 23, 25, 26, 27]
                   + list(range(32, 40)))
INPUT_ONLY = (34, 35, 36, 37, 38, 39)
RTC_PINS = (0, 2, 4, 12, 13, 14, 15, 25, 26, 27, 32, 33, 34, 35, 36, 37, 38, 39)
ADC1_PINS = (32, 33, 34, 35, 36, 37, 38, 39)
ADC2_PINS = (0, 2, 4, 12, 13, 14, 15, 25, 26, 27)
DAC_PINS = (25, 26)
# Linear end and saturation (mV) of read_uv, raw full scale (mV at vref 1100).
ATTN_LIN = (950, 1250, 1750, 2450)
ATTN_MAX = (1050, 1400, 1950, 3100)
ATTN_RAW_FS = (1100, 1500, 2200, 3900)
RTC_MEM_MAX = 2048
ADC_SAMPLE_US = 50
# Timeline logs are kept in full on CPython; on MicroPython they must not eat the heap.
LOG_MAX = 0 if sys.implementation.name == "micropython" else 50000
FOREVER = 1 << 62

_current = None


class ChipReset(BaseException):
    """The chip reset: ChipReset(cause, arg=None); cause is 'wdt', 'hard',
    'deepsleep' (arg: sleep ms), 'power_cut' or 'stale'."""

    @property
    def cause(self):
        return self.args[0] if self.args else "hard"

    @property
    def arg(self):
        return self.args[1] if len(self.args) > 1 else None


class SimEnd(BaseException):
    """The scripted end of the simulation was reached."""


def enter():
    """Every call into the chip starts here: the attached world, halted chips
    raise again, and the call's cost (call_us) advances the clock."""
    w = _current
    if w is None:
        raise RuntimeError("simboard: no world attached")
    if w.halt is not None:
        w.raise_halt()
    w.now += w.call_us
    if w.now >= w.next_due:
        w._due()
    return w


def attach(world):
    global _current
    _current = world
    return world


def current():
    w = _current
    if w is None:
        raise RuntimeError("simboard: no world attached (call simboard.world.attach(World()))")
    return w


class World:
    def __init__(self, config=None, seed=0, flash_dir=None, start_ticks_ms=None):
        cfg = config if isinstance(config, dict) else {}
        board = cfg.get("board")
        if board is None:
            board = _config.load_board(None if isinstance(config, dict) or config is None else config)
        self.cfg = cfg
        self.seed = seed
        self.flash_dir = flash_dir
        self.rng = Rng(seed)
        self.plant = Plant(board, seed)
        p = board["pins"]
        self.P = p
        self.pin_dac = p["dac"]
        self.pin_oe = p["out_enable"]
        self.pin_a = p["bridge_a"]
        self.pin_b = p["bridge_b"]
        self.buttons = {"power": p["btn_power"], "level": p["btn_level"]}
        self.call_us = cfg.get("call_us", 20)
        self.dac_soft_keep = cfg.get("dac_registered_after_soft_reset", True)
        # Chip constants fixed by the seed.
        r = self.rng
        self.adc_cal = 1.0 + r.uniform(-0.01, 0.01)
        self.vref = r.uniform(1000.0, 1200.0)
        self.noise_mv = cfg.get("adc_noise_mv", 2.0)
        self._nz_scale = self.noise_mv / 1000.0
        self.uid = bytes([0x24, 0x0A, 0xC4, r.randint(0, 255), r.randint(0, 255), r.randint(0, 255)])
        nr = r.fork()
        # Noise tables as small ints (unboxed on MicroPython): unit sigma * 1000.
        # Two co-prime lengths give a period of 256,027 reads.
        self._nz1 = _gauss_table(nr, 509)
        self._nz2 = _gauss_table(nr, 503)
        self._nk = 0
        self.float_rng = r.fork()
        self.bounce_rng = r.fork()
        # Clock.
        self.now = 0
        if start_ticks_ms is None:
            start_ticks_ms = TICKS_PERIOD - 4000  # 4 s before ticks_ms wraps
        self.tick_origin = -int(start_ticks_ms) * 1000
        self.epoch_s = 820540800  # 2026-01-01 00:00 in MicroPython's 2000 epoch
        self.end_us = FOREVER
        self.events = []
        self._ev_seq = 0
        self.sample_us = FOREVER
        self.sample_every = 0
        self.sampler = None
        self.next_due = FOREVER
        # Chip state.
        self.halt = None
        self.gen = 0
        self.boot_count = 0
        self.cause = PWRON_RESET
        self.wake_reason = 0
        self.resets = []          # (t_ms, cause_name)
        self.pwm_log = []
        self.pwm_log_dropped = 0
        self.rtc_mem = b""
        self.cpu_hz = 160000000
        self.stall_us = 0
        self.in_repl = False
        self.offline = False  # unpowered or asleep: console bytes are lost
        self.soft_reset_requested = False
        self.interrupt_pending = False
        self.flash_fs = []
        self.stuck_uv = None
        self.power_on_pending = False
        self.pace = None  # optional fn(world) after each sleep (wall-clock pacing)
        self._hw_cold()
        # Buttons: transitions (t_us, pressed) and the read position.
        self.btn_tr = {}
        self.btn_pos = {}
        self.btn_state = {}
        for n in self.buttons.values():
            self.btn_tr[n] = []
            self.btn_pos[n] = 0
            self.btn_state[n] = 0
        self.held = {}
        load = cfg.get("load_ohms")
        if load is not None:
            self.plant.set_input("load_ohms", load)
        self._update_due()

    # ------------------------------------------------------------------
    # hardware state
    def _hw_cold(self):
        """All GPIO inputs without pulls, DAC off, no PWM, no WDT."""
        self.pmode = bytearray(40)  # 0: reset state (input, no pull)
        self.ppull = bytearray(40)
        self.pout = bytearray(40)
        self.pwm = {}
        self.dac_reg = {}
        self.wdt_on = False
        self.wdt_timeout = 0
        self.wdt_deadline = FOREVER
        self.ext0 = None
        pl = self.plant
        pl.advance(self.now)
        pl.dac_on = False
        pl.dac_code = 0
        pl.oe = 0
        pl.leg_a = 0
        pl.leg_b = 0
        pl._recompute()

    def _level(self, n):
        """Level the output stage sees on an output-stage pin (pull-down when not driven)."""
        m = self.pmode[n]
        if m == OUT:
            return self.pout[n]
        return 0

    def _stage_pin_changed(self, n):
        pl = self.plant
        pl.advance(self.now)
        if n == self.pin_oe:
            pl.oe = self._level(n)
        elif n == self.pin_a:
            pl.leg_a = self._level(n)
        elif n == self.pin_b:
            pl.leg_b = self._level(n)
        pl._recompute()

    # ------------------------------------------------------------------
    # clock and scheduling
    def raise_halt(self):
        h = self.halt
        if h is None:
            raise ChipReset("stale", "object from an earlier boot")
        if isinstance(h, SimEnd):
            raise SimEnd("end")
        raise ChipReset(*h.args)

    def _update_due(self):
        nd = self.end_us
        if self.wdt_deadline < nd:
            nd = self.wdt_deadline
        if self.events and self.events[0][0] < nd:
            nd = self.events[0][0]
        if self.sample_us < nd:
            nd = self.sample_us
        self.next_due = nd

    def at(self, t_ms, action, *args):
        """Schedule an action at t_ms (ms since the world started)."""
        t = int(t_ms * 1000)
        self._ev_seq += 1
        ev = (t, self._ev_seq, action, args)
        evs = self.events
        k = len(evs)
        while k > 0 and (evs[k - 1][0], evs[k - 1][1]) > (t, ev[1]):
            k -= 1
        evs.insert(k, ev)
        self._update_due()

    def set_end(self, seconds):
        self.end_us = int(seconds * 1000000)
        self._update_due()

    def set_sampler(self, every_ms, fn):
        self.sample_every = int(every_ms * 1000)
        self.sampler = fn
        self.sample_us = (self.now // self.sample_every + 1) * self.sample_every
        self._update_due()

    def _due(self):
        """Handle everything due at or before self.now (in time order)."""
        while self.next_due <= self.now:
            t = self.next_due
            saved = self.now
            self.now = t
            if self.wdt_deadline == t:
                self._halt(ChipReset("wdt"))
            if self.end_us == t:
                self.plant.advance(t)
                self.halt = SimEnd("end")
                raise SimEnd("end")
            if self.events and self.events[0][0] == t:
                ev = self.events.pop(0)
                self._update_due()
                self._do(ev[2], ev[3])
                if self.halt is not None:
                    self.raise_halt()
            if self.sample_us == t:
                self.sample_us = t + self.sample_every
                self._update_due()
                if self.sampler is not None:
                    self.sampler(self)
            self._update_due()
            if self.now == t:
                self.now = saved
            if self.interrupt_pending:
                self.interrupt_pending = False
                raise KeyboardInterrupt()

    def run_to(self, target):
        """Move the clock to target, handling everything due on the way."""
        if target < self.now:
            target = self.now
        while self.next_due <= target:
            self.now = self.next_due
            self._due()
        self.now = target

    def tick(self):
        """Cost of one call into the chip."""
        self.now += self.call_us
        if self.now >= self.next_due:
            self._due()

    def sleep_us(self, us):
        extra = self.stall_us
        if extra:
            self.stall_us = 0
        self.run_to(self.now + us + extra)
        if self.pace is not None:
            self.pace(self)

    def ticks_us(self):
        return (self.now - self.tick_origin) & TICKS_MAX

    def ticks_ms(self):
        return ((self.now - self.tick_origin) // 1000) & TICKS_MAX

    # ------------------------------------------------------------------
    # events
    def _do(self, action, args):
        if isinstance(action, str):
            getattr(self, "act_" + action)(*args)
        else:
            action(self, *args)

    def _button_pin(self, name):
        if name in self.buttons:
            return self.buttons[name]
        return int(name)

    def _edge(self, n, pressed):
        """Contact bounce: 5..30 ms of chatter, then the final level."""
        r = self.bounce_rng
        t0 = self.now
        end = t0 + r.randint(5000, 30000)
        tr = self.btn_tr[n]
        # drop transitions already consumed
        k = self.btn_pos[n]
        if k > 64:
            del tr[:k]
            self.btn_pos[n] = 0
        # a new edge supersedes chatter of an earlier edge not yet over
        while len(tr) > self.btn_pos[n] and tr[-1][0] >= t0:
            tr.pop()
        t = t0
        lvl = pressed
        while t < end:
            tr.append((t, lvl))
            t += r.randint(200, 4000)
            lvl = 1 - lvl
        tr.append((end, pressed))

    def act_press(self, name, seconds=0.2):
        n = self._button_pin(name)
        self._edge(n, 1)
        self.at((self.now + int(float(seconds) * 1000000)) / 1000.0, "release", name)

    def act_hold(self, name):
        self._edge(self._button_pin(name), 1)

    def act_release(self, name):
        self._edge(self._button_pin(name), 0)

    def act_contact(self, state):
        self.plant.advance(self.now)
        self.plant.set_input("contact", state in (1, True, "on", "1"))

    def act_load(self, ohms):
        self.plant.advance(self.now)
        if ohms in (None, "skin", "none"):
            self.plant.set_input("load_ohms", None)
        else:
            self.plant.set_input("load_ohms", float(ohms))

    def act_usb(self, state):
        self.plant.advance(self.now)
        self.plant.usb = state in (1, True, "on", "1")

    def act_stall(self, ms=3000):
        self.stall_us += int(float(ms) * 1000)

    def act_power_cut(self):
        for fs in self.flash_fs:
            fs.power_cut()
        self._halt(ChipReset("power_cut"))

    def act_power_on(self):
        self.power_on_pending = True

    def act_interrupt(self):
        """Ctrl-C on the USB console (what mpremote sends). Lost while the chip
        is unpowered, asleep or resetting (nothing reads the UART then)."""
        if not self.in_repl and not self.offline:
            self.interrupt_pending = True

    def act_soft_reset(self):
        """Ctrl-C then Ctrl-D on the console: soft reset (lost while offline)."""
        if self.offline:
            return
        self.soft_reset_requested = True
        if not self.in_repl:
            self.interrupt_pending = True

    def act_inject(self, spec):
        self.inject(spec)

    def inject(self, spec):
        """Apply a fault/condition, e.g. 'gain_drift=1.3', 'sense_stuck', 'usb=on'."""
        pl = self.plant
        pl.advance(self.now)
        if "=" in spec:
            key, val = spec.split("=", 1)
        else:
            key, val = spec, None
        if key == "gain_drift":
            pl.set_input("gain_drift", float(val))
        elif key == "sense_stuck":
            self.stuck_uv = self._adc_uv(pl.sense_mv(), 3, False)
        elif key == "sense_frozen":
            # the sense amplifier's output freezes at a plausible value; the
            # ADC still adds its noise (unlike sense_stuck, which is bit-exact)
            pl.sense_stuck_mv = pl.sense_mv()
        elif key == "sense_open":
            pl.sense_open = True
        elif key == "sense_gain":
            pl.sense_gain_f = float(val)
        elif key == "short":
            pl.set_input("short", val not in ("off", "0"))
        elif key == "battery_low":
            pl.set_soc_for_ocv(self.plant.bat_low_v - 0.02)
        elif key == "battery_critical":
            pl.set_soc_for_ocv(self.plant.bat_critical_v - 0.03)
        elif key == "usb":
            pl.usb = val in ("on", "1")
        elif key == "load_ohms":
            self.act_load(val)
        elif key == "contact":
            self.act_contact(val)
        elif key == "clear":
            self.stuck_uv = None
            pl.sense_stuck_mv = None
            pl.sense_open = False
            pl.sense_gain_f = 1.0
            pl.short = False
            pl.set_input("gain_drift", 1.0)
        else:
            raise ValueError("unknown injection: " + spec)

    # ------------------------------------------------------------------
    # resets
    def _halt(self, exc):
        """The chip stops now; hardware takes its reset state at once."""
        self.plant.advance(self.now)
        self.halt = exc
        c = exc.cause
        if c in ("wdt", "hard", "deepsleep", "power_cut"):
            ext0 = self.ext0
            self._hw_cold()
            if c == "deepsleep":
                self.ext0 = ext0  # the wake source stays armed in the RTC domain
        if c == "power_cut":
            self.plant.powered = False
            self.plant._recompute()
            self.rtc_mem = b""
        if c == "deepsleep":
            self.plant.chip_running = False
        raise exc

    def soft_reset_state(self):
        """What a soft reset does to the hardware (docs/platform.md)."""
        pl = self.plant
        pl.advance(self.now)
        for n in self.pwm:
            self.pmode[n] = OUT
            self.pout[n] = 0
        self.pwm = {}
        if not self.dac_soft_keep:
            self.dac_reg = {}
        self.ext0 = None

    def reboot(self, reason):
        """Called by the runner between boots. reason: ChipReset or 'soft'.

        Waits (advancing the clock) for a deep-sleep wake or a power-on, then
        sets reset_cause for the next boot. May raise SimEnd.
        """
        self.in_repl = False
        self.interrupt_pending = False
        self.soft_reset_requested = False
        if reason == "soft":
            self.halt = None
            self.soft_reset_state()
            self._boot(SOFT_RESET, "soft")
            return
        cause = reason.cause
        self.halt = None
        if cause == "deepsleep":
            self.offline = True
            try:
                self._sleep_until_wake(reason.arg)
            finally:
                self.offline = False
            self._boot(DEEPSLEEP_RESET, "deepsleep")
        elif cause == "power_cut":
            self.offline = True
            try:
                self._wait_power_on()
            finally:
                self.offline = False
            self._boot(PWRON_RESET, "power_on")
        elif cause == "wdt":
            self._boot(WDT_RESET, "wdt")
        else:
            self._boot(HARD_RESET, "hard")

    def reboot_now(self, reason, cause=None):
        """reboot() for a supervisor that did the waiting itself on the wall
        clock (the pty board): no clock movement here. reason: 'soft' or a
        ChipReset; cause overrides the reset_cause of the next boot (the ROM
        loader hands over with PWRON_RESET)."""
        self.in_repl = False
        self.interrupt_pending = False
        self.soft_reset_requested = False
        self.halt = None
        if reason == "soft":
            self.soft_reset_state()
            self._boot(SOFT_RESET, "soft")
            return
        c = reason.cause
        if c == "power_cut":
            for fs in self.flash_fs:
                fs.power_restored()
        names = {DEEPSLEEP_RESET: "deepsleep", PWRON_RESET: "power_on", WDT_RESET: "wdt", HARD_RESET: "hard"}
        if cause is None:
            cause = {"deepsleep": DEEPSLEEP_RESET, "power_cut": PWRON_RESET, "wdt": WDT_RESET}.get(c, HARD_RESET)
        self._boot(cause, names[cause])

    def _boot(self, cause, name):
        self.gen += 1
        self.boot_count += 1
        self.cause = cause
        self.plant.advance(self.now)
        self.plant.chip_running = True
        self.plant.powered = True
        self.plant._recompute()
        if cause != SOFT_RESET:
            self.tick_origin = self.now
        self.resets.append((self.now // 1000, name))
        self._update_due()

    def _sleep_until_wake(self, ms):
        """Deep sleep: ext0 pin level or timer; events still happen."""
        self.wdt_deadline = FOREVER
        self._update_due()
        t_timer = self.now + ms * 1000 if ms else FOREVER
        ext = self.ext0
        while True:
            if ext is not None:
                tw = self._first_level_time(ext[0], ext[1])
                if tw is not None and tw <= t_timer:
                    self.run_to(tw)
                    self.wake_reason = 2
                    return
            nd = self.next_due
            if t_timer <= nd:
                self.run_to(t_timer)
                self.wake_reason = 4
                return
            self.run_to(nd)

    def _first_level_time(self, n, level):
        """First time >= now at which input pin n reads `level` (buttons only)."""
        if n not in self.btn_tr:
            return None
        tr = self.btn_tr[n]
        pressed = self.btn_state[n]
        k = self.btn_pos[n]
        # the level now
        while k < len(tr) and tr[k][0] <= self.now:
            pressed = tr[k][1]
            k += 1
        want_pressed = 1 if level == 0 else 0
        if pressed == want_pressed:
            return self.now
        while k < len(tr):
            if tr[k][1] == want_pressed:
                return tr[k][0]
            k += 1
        return None

    def _wait_power_on(self):
        while not self.power_on_pending:
            self.run_to(self.next_due)
        self.power_on_pending = False
        for fs in self.flash_fs:
            fs.power_restored()

    def idle_forever(self):
        """The REPL after main.py ended: nothing feeds the watchdog."""
        self.in_repl = True
        while True:
            self.run_to(self.next_due)
            if self.soft_reset_requested:
                return "soft"

    # ------------------------------------------------------------------
    # pins
    def pin_read(self, n):
        m = self.pmode[n]
        if m == OUT:
            return self.pout[n]
        if n in self.pwm:
            return 1 if self.pwm[n][1] >= 32768 else 0
        if n in self.btn_tr:
            tr = self.btn_tr[n]
            k = self.btn_pos[n]
            now = self.now
            while k < len(tr) and tr[k][0] <= now:
                self.btn_state[n] = tr[k][1]
                k += 1
            self.btn_pos[n] = k
            if self.btn_state[n]:
                return 0  # pressed: shorted to ground
            ext = None
        else:
            ext = self._external(n)
        if m == OPEN_DRAIN and self.pout[n] == 0:
            return 0
        if ext is not None:
            return ext
        pull = self.ppull[n]
        if pull & PULL_UP:
            return 1
        if pull & PULL_DOWN:
            return 0
        return self.float_rng.next() & 1  # floating input

    def _external(self, n):
        """Level driven by the board on an input pin, or None if floating."""
        P = self.P
        pl = self.plant
        if n == P["usb_sense"]:
            return 1 if pl.usb else 0
        if n in (self.pin_oe, self.pin_a, self.pin_b):
            return 0  # hardware pull-downs
        if n == P["i_sense"] or n == P["v_load"] or n == P["v_bat"]:
            pl.advance(self.now)
            return 1 if self.pin_mv(n) > 1650 else 0
        return None

    def pin_mv(self, n):
        """True voltage (mV) at an analog input pin."""
        P = self.P
        pl = self.plant
        if n == P["i_sense"]:
            return pl.sense_mv()
        if n == P["v_load"]:
            return pl.vload_mv()
        if n == P["v_bat"]:
            return pl.vbat_mv()
        if n == P["usb_sense"]:
            return 2500.0 if pl.usb else 0.0
        if self.pmode[n] == OUT:
            return 3300.0 * self.pout[n]
        return self.float_rng.uniform(0.0, 3100.0)

    def _noise(self):
        k = self._nk + 1
        self._nk = k
        return (self._nz1[k % 509] + self._nz2[k % 503]) * self._nz_scale

    def _adc_uv(self, mv, atten, noisy=True):
        v = mv * self.adc_cal
        if noisy:
            v += self._noise()
        if v > 3300.0:
            v = 3300.0
        if v <= 100.0:
            return 0
        if v < 150.0:
            x = (v - 100.0) / 50.0
            v = 150.0 * x * x
        else:
            lin = ATTN_LIN[atten]
            if v > lin:
                mx = ATTN_MAX[atten]
                span = mx - lin
                v = lin + span * (1.0 - _exp(-(v - lin) / span))
        return int(v + 0.5) * 1000

    def adc_read_uv(self, n, atten):
        if n == self.P["i_sense"] and self.stuck_uv is not None:
            return self.stuck_uv
        pl = self.plant
        # The ADC samples the analog state of up to ADC_SAMPLE_US ago (a
        # conversion takes about that long): a burst of reads shares one
        # integration step instead of paying one each.
        if self.now - pl.t > ADC_SAMPLE_US:
            pl.advance(self.now)
        return self._adc_uv(self.pin_mv(n), atten)

    def adc_read_raw(self, n, atten):
        """Raw 12-bit code: depends on this chip's reference (1000..1200 mV)."""
        if n == self.P["i_sense"] and self.stuck_uv is not None:
            mv = self.stuck_uv / 1000.0 / self.adc_cal
        else:
            self.plant.advance(self.now)
            mv = self.pin_mv(n) + self._noise()
        if mv <= 100.0:
            return 0
        fs = ATTN_RAW_FS[atten] * self.vref / 1100.0
        raw = int(mv * 4095.0 / fs + 0.5)
        return 4095 if raw > 4095 else raw

    def pwm_set(self, n, freq, duty):
        self.pwm[n] = [freq, duty]
        log = self.pwm_log
        if len(log) < LOG_MAX:
            log.append((self.now // 1000, n, freq, duty))
        else:
            self.pwm_log_dropped += 1

    def flashfs(self):
        """A FlashFS on this board's flash folder whose uncommitted data a
        `power_cut` event loses (pass it to firmware code that takes an fs)."""
        from simboard.flashfs import FlashFS

        fs = FlashFS(self.flash_dir)
        self.flash_fs.append(fs)
        return fs

    # ------------------------------------------------------------------
    # true output, brought up to the present (for tests and tools)
    def stats(self):
        """The plant's true-output accounting (dict), integrated up to now."""
        self.plant.advance(self.now)
        return self.plant.stats()

    def load_current(self):
        """Signed true load current now (A)."""
        self.plant.advance(self.now)
        return self.plant.load_current()

    def load_voltage(self):
        """|V| across the electrodes now (V)."""
        self.plant.advance(self.now)
        return self.plant.load_voltage()


_exp = math.exp


def _gauss_table(rng, n):
    t = array("h", range(n))
    for k in range(n):
        t[k] = int(rng.gauss() * 707.1)
    return t
