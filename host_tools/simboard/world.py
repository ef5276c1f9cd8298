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

The World is assembled from parts, one job each (World mixes them in):
`timeline` (clock, scheduling, what is due), `actions` (scenario actions and
fault injections), `resets` (halts, reboots, deep sleep, power), `chipio`
(pins, ADC, PWM); `chipdefs` holds the chip's constants and `ChipReset` /
`SimEnd`. Their public names are re-exported here: `simboard.world.X` stays
the place to import them from.
"""

from simboard import config as _config
from simboard.actions import Actions
from simboard.chipdefs import (  # noqa: F401  (re-exported: simboard.world.X)
    ADC1_PINS,
    ADC2_PINS,
    DAC_PINS,
    DEEPSLEEP_RESET,
    FOREVER,
    HARD_RESET,
    IN,
    INPUT_ONLY,
    OPEN_DRAIN,
    OUT,
    PULL_DOWN,
    PULL_UP,
    PWRON_RESET,
    RTC_MEM_MAX,
    RTC_PINS,
    SOFT_RESET,
    TICKS_HALF,
    TICKS_MAX,
    TICKS_PERIOD,
    VALID_PINS,
    WDT_RESET,
    ChipReset,
    SimEnd,
)
from simboard.chipio import (  # noqa: F401  (re-exported: simboard.world.X)
    ADC_SAMPLE_US,
    ATTN_LIN,
    ATTN_MAX,
    ATTN_RAW_FS,
    LOG_MAX,
    ChipIO,
    _gauss_table,
)
from simboard.plant import Plant
from simboard.resets import Resets
from simboard.rng import Rng
from simboard.timeline import Timeline

_current = None


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


class World(Timeline, Actions, Resets, ChipIO):
    """One simulated board: the chip (clock, pins, peripherals, resets) and its plant."""

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
        self.console_scripted = False  # the scenario types on the console (`type`, `line`): ScriptedSerial
        self.serial_in = bytearray()  # typed, not read yet
        self.serial_out = bytearray()  # what the console wrote (its last SERIAL_OUT_MAX bytes)
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


SERIAL_OUT_MAX = 65536


class ScriptedSerial:
    """The USB serial as the firmware's console sees it in a scenario that types on it: `read_into` gives the
    bytes the script sent (`type`, `line`) as they arrive, `write` keeps what the console says in
    world.serial_out. (The firmware's serial interface: wand.usbserial.)"""

    def __init__(self, world):
        self.world = world

    def read_into(self, buf):
        w = self.world
        src = w.serial_in
        n = len(src) if len(src) < len(buf) else len(buf)
        for i in range(n):
            buf[i] = src[i]
        if n:
            w.serial_in = src[n:]
        return n

    def write(self, s):
        w = self.world
        out = w.serial_out + (s.encode() if isinstance(s, str) else bytes(s))
        w.serial_out = out[-SERIAL_OUT_MAX:] if len(out) > SERIAL_OUT_MAX else out
