"""The firmware's side of the 32-bit heap run (`wandctl bench`; bench/wasm/run.mjs).

run.mjs calls `setup(mode)` once (it builds the App), then `step()` once per
control tick from JavaScript (the first one boots the App). The webassembly
port collects garbage only between such calls (it cannot scan the wasm
stack), so what one tick leaves behind is collected
before the next one, as on the chip; what a tick allocates while it runs is
all counted (an upper bound: the chip could also collect inside the tick).
The heap grows by itself on this port when an allocation fails after a
collection: `step()` reports that as "did not fit", which is exactly when a
fixed heap of that size would have raised MemoryError.

mode 0: only the stand-ins of bench/wasm/hwlink.py and this driver (the
        baseline: what is in use without the firmware, heap32_baseline_bytes);
mode 1: a session on the simulated board: boot, power button, ramp up, run,
        long press, ramp down, done;
mode 2: the same in bench mode (level button held at power-up, USB on) with
        the console loaded by the first byte typed, and console commands
        typed before and during the session.

The loop mirrors `App.run()` (wand/app.py) one iteration per step: tick,
feed the watchdog on a passing check, idle check, deadline, sleep.
"""

import gc

_TOTAL0 = gc.mem_alloc() + gc.mem_free()  # the heap we were given (+ the port's constant)

# (time ms, line) typed on the console in mode 2
_TYPED = (
    (1300, b"hello\n"),
    (1400, b"status\n"),
    (1500, b"help\n"),
    (1600, b"get\n"),
    (1700, b"log 10\n"),
    (1800, b"faults\n"),
    (1900, b"selftest\n"),
    (4000, b"stream on 10\n"),
    (7000, b"status\n"),
    (7200, b"stream off\n"),
)


class _TypedSerial:
    """The USB serial with lines typed at given uptimes (wand.usbserial's interface)."""

    def __init__(self, app_ref):
        self.app = app_ref
        self.i = 0
        self.pos = 0
        self.out = 0

    def read_into(self, buf):
        i = self.i
        if i >= len(_TYPED):
            return 0
        t, line = _TYPED[i]
        app = self.app[0]
        if app is None or app.now < t:
            return 0
        n = 0
        while n < len(buf) and self.pos < len(line):
            buf[n] = line[self.pos]
            n += 1
            self.pos += 1
        if self.pos >= len(line):
            self.i += 1
            self.pos = 0
        return n

    def write(self, s):
        self.out += len(s)


_st = {}

# The firmware's modules, leaves first: imported one per call from run.mjs
# (the port collects only between calls; on the chip a collection can also
# run between two imports). The console's modules are loaded on demand by the
# firmware; in mode 2 they are imported here too, one per call, since they
# stay loaded once the console is (the same heap, without the one tick that
# would load all three at once and keep their garbage until it ends).
_IMPORTS = ("wand", "wand.board", "wand.faults", "wand.programs", "wand.regulator", "wand.safety",
            "wand.carry", "wand.envfollow", "wand.flowfraction", "wand.waveform", "wand.session", "wand.atomicfile",
            "wand.settings", "wand.buttons",
            "wand.eventlog", "wand.history", "wand.ui", "wand.controls", "wand.output", "wand.power",
            "wand.hal", "wand.app")
_CONSOLE = ("json", "wand.linereader", "wand.console", "wand.diag")


def prepare(mode, i):
    """Import the i-th module of the run (one per call). Returns 0 once all are."""
    names = _IMPORTS + _CONSOLE if mode == 2 else _IMPORTS if mode == 1 else ()
    if i >= len(names):
        return 0
    __import__(names[i])
    return 1


def live():
    return gc.mem_alloc()


def grown():
    return gc.mem_alloc() + gc.mem_free() > _TOTAL0


def setup(mode):
    """Build the App (the first step() boots it: each in a call of its own, so a
    collection can run between them, as one can at any allocation on the chip)."""
    import hwlink

    if mode == 0:
        b = hwlink.Pin(27, hwlink.Pin.OUT, value=0)
        _st["b"] = b
        _st["mode"] = 0
        return 0
    from wand import app as appmod
    from wand.hal import WDT_TIMEOUT_MS, Esp32Board

    b = Esp32Board(hwlink, hwlink, hwlink)
    b.output_off()
    b.arm_watchdog(WDT_TIMEOUT_MS)
    ref = [None]
    serial = _TypedSerial(ref) if mode == 2 else None
    app = appmod.App(b, None, serial, None)
    ref[0] = app
    _st["app"] = app
    _st["b"] = b
    _st["mode"] = mode
    _st["booted"] = False
    _st["ran"] = False
    return 0


def step():
    """One iteration of App.run(). Returns 0: go on, 1: the run completed,
    2: the heap did not fit, 3: the run went wrong (then `why()` says how)."""
    if grown():
        return 2
    if _st["mode"] == 0:
        _st["b"].value(0)
        return 1
    app = _st["app"]
    b = _st["b"]
    if not _st["booted"]:  # App.boot() in a call of its own, after the App was built
        app.boot()
        _st["booted"] = True
        _st["deadline"] = b.ticks_us()
        return 0
    _st["a0"] = gc.mem_alloc()
    ok = app.tick()
    _st["a1"] = gc.mem_alloc()  # an exception ends the run: run.mjs reports it
    if ok:
        b.feed_watchdog()
    if app.controls.idle_expired():
        _st["why"] = "idle auto-off during the run"
        return 3
    deadline = b.ticks_add(_st["deadline"], app.period_ms() * 1000)
    if b.ticks_diff(deadline, b.ticks_us()) < 0:
        deadline = b.ticks_us()
    b.sleep_until_us(deadline)
    _st["deadline"] = deadline
    s = app.session
    if app.sup.fault:
        _st["why"] = "fault %d" % app.sup.fault
        return 3
    if s.state == 2:  # running
        _st["ran"] = True
    if s.state == 6:  # done
        if not _st["ran"]:
            _st["why"] = "the session ended before it ran"
            return 3
        if _st["mode"] == 2 and (app.console is None or app.serial.i < len(_TYPED)):
            _st["why"] = "the console did not take every line"
            return 3
        return 2 if grown() else 1
    return 0


def trace():
    """(live at the start of the last tick, allocated during it) in bytes."""
    return "%d %d %d" % (_st.get("a0", 0), _st.get("a1", 0) - _st.get("a0", 0), _st["app"].now if "app" in _st else 0)


def why():
    return _st.get("why", "")
