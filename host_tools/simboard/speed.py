"""Micro-benchmark: simulated seconds per wall second.

    python host_tools/simboard/speed.py [--seconds N] [--firmware DIR] [--script FILE]
    SIMBOARD_BOARD_JSON=hardware/board.json micropython -X heapsize=400K host_tools/simboard/speed.py

Default: the real firmware (firmware/, its 10 ms control tick) running a
session started by a button press. On MicroPython, the heap of `wandctl sim`
(simrun.MICROPYTHON_HEAP).
Prints one line per run with the ratio and the wall time per 10 ms tick
(simulator + firmware together). A benchmark, not a test: it never fails on
timing.
"""

import sys


def _dirname(p):
    i = p.rfind("/")
    return "." if i < 0 else (p[:i] if i > 0 else "/")


def _setup_path():
    import os

    here = _dirname(__file__)
    if not here.startswith("/"):
        here = os.getcwd() + ("" if here == "." else "/" + here)
    for p in list(sys.path):
        if p.rstrip("/") == here:
            sys.path.remove(p)  # our time.py must not shadow the real one
    if _dirname(here) not in sys.path:
        sys.path.append(_dirname(here))
    return _dirname(_dirname(here))


def main(argv):
    root = _setup_path()
    from simboard import world as _w
    from simboard.runtime import Runner, wall_time

    seconds = 300.0
    firmware = root + "/firmware"
    script = None
    i = 0
    while i < len(argv):
        if argv[i] == "--seconds":
            seconds = float(argv[i + 1])
        elif argv[i] == "--firmware":
            firmware = argv[i + 1]
        elif argv[i] == "--script":
            script = argv[i + 1]
        else:
            sys.stderr.write("speed: unknown argument %s\n" % argv[i])
            return 2
        i += 2
    w = _w.World(None, seed=1, flash_dir="/tmp/simboard-speed-flash")
    w.set_end(seconds)
    if script:
        from simboard import script as sc

        with open(script) as f:
            sc.schedule(w, sc.parse_script(f.read()))
    else:
        w.at(1000, "press", "power", 0.2)
    t0 = wall_time()
    Runner(w, firmware, entry="main").run()
    dt = wall_time() - t0
    ticks = seconds * 100
    print("simboard speed (%s): %d simulated s in %d.%03d s wall: "
          "%d simulated s per wall s, %d us per 10 ms tick"
          % (sys.implementation.name, int(seconds), int(dt), int(dt * 1000) % 1000, int(seconds / dt),
             int(dt * 1e6 / ticks)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
