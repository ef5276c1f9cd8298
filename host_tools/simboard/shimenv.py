"""The world behind shim/machine.py, shim/time.py and shim/esp32.py.

When the real firmware runs as its own MicroPython (or CPython) process with
host_tools/simboard/shim first on sys.path, `import machine` etc. land in the
shims, which re-export simboard's modules bound to one World created here from
environment variables, on first import:

    SIMBOARD_SEED            board seed (default 0)
    SIMBOARD_FLASH           flash folder (world.flash_dir; the process's cwd is
                             the caller's business)
    SIMBOARD_SECONDS         end of the run in simulated seconds (SimEnd); default: none
    SIMBOARD_SCRIPT          scenario script file (see simboard.script)
    SIMBOARD_INJECT          injections, comma-separated, each SPEC or SPEC@seconds
    SIMBOARD_LOAD_OHMS       pure resistor load instead of skin
    SIMBOARD_START_TICKS_MS  ticks_ms at start (default: 4 s before the wrap)
    SIMBOARD_RESET_CAUSE     machine.reset_cause() of this boot (1..5, default 1),
                             for a supervisor that restarts the process after a reset
    SIMBOARD_RTC             RTC memory at boot, hex (kept across resets by a supervisor)
    SIMBOARD_REALTIME        if set (e.g. 1), sleeps also wait on the wall clock so
                             the board runs in real time (for a pty session)
    SIMBOARD_BOARD_JSON      the board description (on CPython default: the checkout's
                             hardware/board.json; MicroPython needs it, see config.py)

There is no runner in this mode: a ChipReset or SimEnd propagates out of
main.py and ends the process with its traceback; `world()` gives the World to
a supervisor in the same process.
"""

import os
import sys

from simboard import world as _w

_world = None


def _env(name, default=None):
    v = os.getenv(name)
    return default if v is None or v == "" else v


def _wall_clock():
    """A real clock even though shim/time.py shadows `time`: (seconds fn, sleep fn)."""
    if sys.implementation.name == "micropython":
        import utime  # the built-in, not the shim

        return (lambda: utime.ticks_us() / 1e6), utime.sleep_ms
    import time as real  # CPython: the real module is already loaded

    return real.monotonic, (lambda ms: real.sleep(ms / 1000.0))


def world():
    """The World of this process (created from the environment on first use)."""
    global _world
    if _world is not None:
        return _world
    cfg = {}
    lo = _env("SIMBOARD_LOAD_OHMS")
    if lo is not None:
        cfg["load_ohms"] = float(lo)
    st = _env("SIMBOARD_START_TICKS_MS")
    w = _w.World(cfg, seed=int(_env("SIMBOARD_SEED", "0")), flash_dir=_env("SIMBOARD_FLASH"),
                 start_ticks_ms=None if st is None else int(st))
    w.cause = int(_env("SIMBOARD_RESET_CAUSE", "1"))
    rtc = _env("SIMBOARD_RTC")
    if rtc:
        w.rtc_mem = bytes(int(rtc[i:i + 2], 16) for i in range(0, len(rtc), 2))
    sec = _env("SIMBOARD_SECONDS")
    if sec is not None:
        w.set_end(float(sec))
    script = _env("SIMBOARD_SCRIPT")
    inject = _env("SIMBOARD_INJECT")
    if script or inject:
        from simboard import script as sc

        if script:
            with open(script) as f:
                sc.schedule(w, sc.parse_script(f.read()))
        for spec in (inject or "").split(","):
            spec = spec.strip()
            if spec:
                t_ms, s = sc.parse_inject(spec)
                w.at(t_ms, "inject", s)
    if _env("SIMBOARD_REALTIME"):
        now, sleep_ms = _wall_clock()
        t0_wall = now()
        t0_sim = w.now

        def pace(world):
            ahead = (world.now - t0_sim) / 1e6 - (now() - t0_wall)
            if ahead > 0.001:
                sleep_ms(int(ahead * 1000))

        w.pace = pace
    _w.attach(w)
    _world = w
    return w
