"""Firmware figures measured on MicroPython (run by `wandctl bench`):

    micropython -X heapsize=128K bench_mpy.py            # the 64-bit unix port (bench_figures.UNIX_HEAP)
    bench_mpy.main32()                                    # the 32-bit webassembly port (bench/wasm/run.mjs)

The firmware (compiled by mpy-cross, as deployed) runs its real App on a
minimal board: every HAL method returns small integers computed from what
the firmware last wrote (the current follows the DAC through a 10 kOhm
load), so the measurement sees the firmware's own allocations and time
only, not a simulator's. The board allocates nothing itself.

main() prints one JSON line: alloc_bytes_per_tick (steady state, session
running), peak_heap_bytes (heap in use at its highest sample from import to
steady state), heap_after_gc_bytes, tick_us (mean), tick_us_max.
`bench_mpy.py ticks` prints the per-program figures of `ticks()` instead
(run it with a large heap: pystone's arrays take 20 KB on a 64-bit build).

ticks(): for each program, a session at level 8 is brought to its steady
state and `_TICKS` consecutive ticks are timed one by one; that is done
`_REPLAYS` times from a fresh App (the board is deterministic, so tick i does
the same work in every replay) and each tick keeps its fastest replay, which
removes the host's preemptions but keeps the tick's own work. After each
replay, `_TICKS` runs of 3 pystone_lowmem passes (about a tick's length) are
timed and filtered the same way; one pass is the mean of those. The figures
are tick/pass ratios, both sides measured alike in the same process.
"""

import gc
import sys
import time

_UA_PER_CODE_NA = 2157


class BenchBoard:
    """The HAL interface of wand.hal.Esp32Board, integer-only, allocation-free."""

    def __init__(self):
        self.t_us = 1000
        self.code = 0
        self.enabled = 0
        self.pol = 0
        self.fed = 0
        self.btn = 0
        self.led = 0

    # output
    def output_off(self):
        self.code = 0
        self.enabled = 0
        self.pol = 0

    def write_dac(self, code):
        self.code = code

    def dac_code(self):
        return self.code

    def set_enable(self, on):
        self.enabled = 1 if on else 0

    def set_polarity(self, p):
        self.pol = p

    # sensing: 10 kOhm load, sense 200 mV + 3.5 mV/uA, small deterministic ripple
    def _ua(self):
        if not self.enabled or self.pol == 0:
            return 0
        return self.code * _UA_PER_CODE_NA // 1000

    def read_current_uv(self):
        return 200000 + self._ua() * 3500 + (self.t_us // 1000 & 3) * 1000

    def read_vload_uv(self):
        return 200000 + self._ua() * 909 + (self.t_us // 1000 & 1) * 1000  # 10 kOhm: 10 mV/uA * 0.0909

    def read_battery_uv(self):
        return 1900000

    def usb_present(self):
        return False

    def buttons(self):
        return self.btn

    def set_leds(self, g, r):
        self.led = g

    def set_tone(self, f):
        pass

    # watchdog
    def arm_watchdog(self, ms):
        pass

    def watchdog_armed(self):
        return True

    def feed_watchdog(self):
        self.fed += 1

    # time
    def ticks_ms(self):
        return self.t_us // 1000

    def ticks_us(self):
        return self.t_us

    def ticks_add(self, a, b):
        return a + b

    def ticks_diff(self, a, b):
        return a - b

    def sleep_until_us(self, deadline):
        self.t_us = deadline

    def reset_cause(self):
        return 1

    def deepsleep(self):
        raise SystemExit

    def hard_reset(self):
        raise SystemExit

    def request_maintenance(self):
        raise SystemExit

    def maintenance_requested(self):
        return False

    def stored_fault(self):
        return 0

    def store_fault(self, code):
        pass

    def stored_idle_ms(self):
        return 0

    def store_idle_s(self, s):
        pass

    def clear_maintenance(self):
        pass


class NullSerial:
    def read_into(self, buf):
        return 0

    def write(self, s):
        pass


class MemFs:
    """A filesystem in RAM (the bench measures the tick, not the flash)."""

    def __init__(self):
        self.files = {}

    def open(self, name, mode):
        fs = self

        class F:
            def __init__(self):
                self.buf = fs.files.get(name, "") if ("a" in mode or "r" in mode) else ""
                if "r" in mode and name not in fs.files:
                    raise OSError(2)

            def read(self):
                return self.buf

            def write(self, s):
                self.buf += s

            def close(self):
                if "r" not in mode:
                    fs.files[name] = self.buf

        return F()

    def rename(self, a, b):
        self.files[b] = self.files.pop(a)

    def remove(self, a):
        self.files.pop(a, None)

    def exists(self, a):
        return a in self.files


_TICKS = 300
_REPLAYS = 5
_us = time.ticks_us  # main32() swaps in a microsecond clock where ticks_us counts milliseconds


def _steady_app(program, level=8):
    """A fresh App running `program` at `level`, ramped up and settled."""
    from wand.app import App

    board = BenchBoard()
    app = App(board, MemFs(), NullSerial(), None)
    app.boot()
    for _ in range(150):  # the bench-mode window is over, nothing pressed
        app.tick()
        board.sleep_until_us(board.t_us + 10000)
    app.settings.values["program"] = program
    app.settings.values["level"] = level
    if app.start_session(app.now) is not None:
        raise SystemExit("session did not start")
    s = app.session
    for _ in range(6000):
        app.tick()
        board.sleep_until_us(board.t_us + app.period_ms() * 1000)
        if s.state == 2 and not s.ramping():
            break
    for _ in range(200):  # a few cycles of the slow programs' sense judgement
        app.tick()
        board.sleep_until_us(board.t_us + app.period_ms() * 1000)
    if s.state != 2:
        raise SystemExit("%s: session not running: state %d" % (program, s.state))
    return app, board


def _pass_times(clock):
    """_TICKS runs of 3 pystone_lowmem passes (about as long as a tick), µs per
    pass each; timed right after a replay of ticks, filtered the same way."""
    import pystone_lowmem

    us = _us
    out = [0] * _TICKS
    for i in range(_TICKS):
        t1 = us()
        pystone_lowmem.pass_us(3, us, False)
        out[i] = (time.ticks_diff(us(), t1) - clock) / 3
    return out


def _clock_us():
    """The cost of reading the clock twice (taken off every tick's time)."""
    us = _us
    best = 1000000
    for _ in range(200):
        t1 = us()
        d = time.ticks_diff(us(), t1)
        if d < best:
            best = d
    return best


def ticks(quick=False):
    """Per program: period, mean and worst tick (µs), alloc per tick; the pass time.
    quick: few ticks, two replays (a smoke test of the bench itself, not figures).
    Replay 0 counts the allocation (no clock read in the loop); the others time."""
    from wand import programs

    global _TICKS, _REPLAYS
    level = 8
    if quick:
        _TICKS, _REPLAYS, level = 20, 1, 2
    import pystone_lowmem

    out = []
    us = _us
    clock = _clock_us()
    pystone_lowmem.pass_us(50, us)  # warm up
    for p in programs.PROGRAMS:
        name = p[programs.NAME]
        best = None
        pbest = None
        alloc = 0
        period = 0
        for rep in range(_REPLAYS + 1):
            app = board = None
            gc.collect()
            app, board = _steady_app(name, level)
            period = app.period_ms()
            times = [0] * _TICKS
            gc.collect()
            gc.disable()
            a0 = gc.mem_alloc()
            if rep == 0:
                for _i in range(_TICKS):
                    app.tick()
                    board.sleep_until_us(board.t_us + period * 1000)
            else:
                for i in range(_TICKS):
                    t1 = us()
                    app.tick()
                    times[i] = time.ticks_diff(us(), t1) - clock
                    board.sleep_until_us(board.t_us + period * 1000)
            a1 = gc.mem_alloc()
            gc.enable()
            if rep == 0:
                alloc = a1 - a0
                continue
            if app.session.state != 2 or app.sup.fault:
                raise SystemExit("%s: the session did not stay running" % name)
            app = board = None
            if best is None:
                best = times
            else:
                for i in range(_TICKS):
                    if times[i] < best[i]:
                        best[i] = times[i]
            ptimes = _pass_times(clock)
            if pbest is None:
                pbest = ptimes
            else:
                for i in range(_TICKS):
                    if ptimes[i] < pbest[i]:
                        pbest[i] = ptimes[i]
        # one pass: the mean over the runs of each one's fastest replay, as for a tick
        out.append((name, period, alloc, best, sum(pbest) / _TICKS))
    res = []
    passes = 0.0
    for name, period, alloc, best, pass_us in out:
        passes += pass_us
        mean = sum(best) / _TICKS
        worst = max(best)
        res.append({"program": name, "period_ms": period, "tick_us": round(mean, 1), "tick_us_max": worst,
                    "alloc_bytes_per_tick": alloc // _TICKS, "pass_us": round(pass_us, 1),
                    "pystones_mean": round(mean / pass_us, 3), "pystones_max": round(worst / pass_us, 3)})
    return {"pass_us": round(passes / len(out), 1), "programs": res}


def main32(quick=False):
    """The 32-bit run (webassembly port): tick figures and allocation per tick."""
    import json

    global _us
    try:
        from hrtime import us  # run.mjs: performance.now() in µs

        _us = us
    except ImportError:
        pass

    print(json.dumps(ticks(quick)))


def main():
    peak = [0]

    def sample():
        a = gc.mem_alloc()
        if a > peak[0]:
            peak[0] = a

    gc.collect()
    base = gc.mem_alloc()
    from wand.app import App  # imports the whole firmware

    sample()
    board = BenchBoard()
    app = App(board, MemFs(), NullSerial(), None)
    sample()
    app.boot()
    sample()
    # a session at level 8 on the 10 kOhm load
    for _ in range(150):  # 1.5 s (bench-mode window over, nothing pressed)
        app.tick()
        board.sleep_until_us(board.t_us + 10000)
    app.settings.values["level"] = 8
    if app.start_session(app.now) is not None:
        raise SystemExit("session did not start")
    for _ in range(1500):  # ramp up and settle: 15 s
        app.tick()
        board.sleep_until_us(board.t_us + 10000)
        if _ % 50 == 0:
            sample()
    if app.session.state != 2:  # running
        raise SystemExit("session not running: state %d" % app.session.state)
    gc.collect()
    after_gc = gc.mem_alloc() - base
    sample()
    # steady state: count allocations over N ticks with the GC off
    n = 1000
    gc.disable()
    a0 = gc.mem_alloc()
    t0 = time.ticks_us()
    worst = 0
    for _ in range(n):
        t1 = time.ticks_us()
        app.tick()
        d = time.ticks_diff(time.ticks_us(), t1)
        if d > worst:
            worst = d
        board.sleep_until_us(board.t_us + 10000)
    elapsed = time.ticks_diff(time.ticks_us(), t0)
    a1 = gc.mem_alloc()
    gc.enable()
    sample()
    print('{"alloc_bytes_per_tick": %d, "peak_heap_bytes": %d, "heap_after_gc_bytes": %d, '
          '"tick_us": %d, "tick_us_max": %d, "ticks": %d}'
          % ((a1 - a0) // n, peak[0] - base, after_gc, elapsed // n, worst, n))


if __name__ == "__main__":
    if sys.argv[1:2] == ["ticks"]:
        main32(sys.argv[2:] == ["quick"])  # the same per-program figures, here (run with a large heap)
    else:
        main()
    sys.exit(0)
