"""Boot the real firmware on a simulated board.

As the ESP32 port does (ports/esp32/main.c: `pyexec_file_if_exists("boot.py")`
then `"main.py"`; shared/runtime/pyexec.c runs both in the `__main__` module's
globals, `mp_globals_get()`, and stores `__file__`), `boot.py` and then
`main.py` run in ONE shared globals dict with `__name__ == '__main__'`: a name
bound in boot.py is visible in main.py. An exception in boot.py is printed and
main.py still runs. When main.py ends (normally, by an exception, by
KeyboardInterrupt or by a plain SystemExit) the chip sits in the REPL, where
nothing feeds the watchdog.

While the firmware runs, sys.modules['machine'|'time'|'esp32'] are the
simulated modules (and 'micropython' a stand-in on CPython), the firmware
folder is first on sys.path, the working directory is the flash folder, and
`wand`/`wand.*` (and anything else imported from the firmware folder) is
purged before every boot: RAM is lost on a reset. Everything is restored
afterwards.

With entry 'main' and an observer, the runner wraps `wand.app.main` before
boot.py runs so that the call in main.py gets the observer: the firmware
carries no hook for the simulator.

Command line (CPython and the MicroPython unix port alike):

    python -m simboard.runner --firmware DIR [options]
    micropython host_tools/simboard/runner.py --firmware DIR [options]

    --firmware DIR    folder with boot.py, main.py, wand/
    --flash DIR       the board's flash (created; default: a folder under /tmp)
    --seconds N       simulated seconds (default 10)
    --seed N          seed of the board (tolerances, noise, bounce); default 0
    --script FILE     scenario script (see simboard.script)
    --load-ohms N     pure resistor load instead of skin
    --inject SPEC     fault/condition, SPEC or SPEC@seconds (repeatable)
    --trace-ms N      print a sample line every N ms (default 0: none)
    --entry main|app  run main.py (default when it exists), or call
                      wand.app.main(machine, time, esp32, observer=obs) after boot.py
    --start-ticks-ms N  ticks_ms at the first boot (default: 4 s before the wrap)

Output, one record per line:

    E <t_ms> <kind> <args...>   firmware observer event (entry app)
    S <t_ms> <load_uA> <dac> <led_g> <led_r> <tone_hz>   sample every --trace-ms
    R <t_ms> <cause>            reset/boot: soft, hard, wdt, deepsleep, power_on
    X <t_ms> <Type> <message>   exception that ended boot.py/main.py (then REPL)
    SUMMARY <json>              true-output accounting, resets, boots

t_ms is simulated time since the world started (not the wrapping ticks_ms).
Floats are printed with fixed decimals so both interpreters print the same text.
"""

import sys


def _dirname(p):
    i = p.rfind("/")
    if i < 0:
        return "."
    return p[:i] if i > 0 else "/"


def _fix_sys_path():
    # Run as a script, this file's folder is on sys.path and its time.py /
    # machine.py would shadow the interpreter's own modules: remove it and
    # put its parent (host_tools) there instead so `simboard` imports.
    import os

    here = _dirname(__file__)
    if not here.startswith("/"):
        here = os.getcwd() + ("" if here == "." else "/" + here)
    parent = _dirname(here)
    for p in list(sys.path):
        if p.rstrip("/") == here:
            sys.path.remove(p)
    if parent not in sys.path:
        sys.path.append(parent)


_SOURCES = ("__init__", "config", "esp32", "machine", "plant", "rng", "runtime", "script",
            "time", "world", "flashfs", "mpyc", "cli", "civil", "shimenv",
            "chipdefs", "chipio", "timeline", "actions", "resets",
            "loadmodels", "battery", "outputstats")


def _use_mpy_cache():
    """MicroPython only: run the simulator from .mpy files compiled by mpy-cross.

    Compiling ~60 KB of simulator source inside a 100 KB heap does not fit;
    precompiled bytecode does. The cache lives in host_tools/simboard/_mpy/
    (*.mpy is git-ignored) and is rebuilt when a source is newer. Without
    mpy-cross next to the micropython binary, the sources are used as they are.
    """
    import os

    here = _dirname(__file__)
    if not here.startswith("/"):
        here = os.getcwd() + ("" if here == "." else "/" + here)
    exe = getattr(sys, "executable", "") or ""
    cross = _dirname(exe) + "/mpy-cross" if exe else ""
    try:
        os.stat(cross)
    except OSError:
        return False
    cache = here + "/_mpy"
    pkg = cache + "/simboard"
    for d in (cache, pkg):
        try:
            os.stat(d)
        except OSError:
            os.mkdir(d)
    for name in _SOURCES:
        src = here + "/" + name + ".py"
        dst = pkg + "/" + name + ".mpy"
        try:
            fresh = os.stat(dst)[8] >= os.stat(src)[8]
        except OSError:
            fresh = False
        if not fresh:
            tmp = dst + ".tmp%d" % os.getpid() if hasattr(os, "getpid") else dst + ".tmp"
            if os.system("'%s' -o '%s' '%s'" % (cross, tmp, src)) != 0:
                return False
            os.rename(tmp, dst)
    sys.path.insert(0, cache)
    return True


if __name__ == "__main__":
    _fix_sys_path()
    if sys.implementation.name == "micropython":
        _use_mpy_cache()
        del _use_mpy_cache, _fix_sys_path, _SOURCES
        import gc

        gc.collect()

from simboard.runtime import (  # noqa: E402,F401
    LineObserver,
    Runner,
    fixed,
    main,
    purge_firmware_modules,
    run,
    sample_line,
    wall_time,
)

if __name__ == "__main__":
    sys.exit(main())
