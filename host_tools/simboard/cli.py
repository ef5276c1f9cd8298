"""Command-line helpers of the runner, loaded only while needed (on MicroPython
the heap they take is given back while the firmware runs)."""

import os
import sys

from simboard.runtime import fixed
from simboard.world import World

USAGE = """usage: runner.py --firmware DIR [--flash DIR] [--seconds N] [--seed N] [--script FILE]
                 [--load-ohms N] [--inject SPEC[@s]]... [--trace-ms N] [--entry main|app]
                 [--start-ticks-ms N]
output lines: E <t_ms> <kind> <args>, S <t_ms> <load_uA> <dac> <led_g> <led_r> <tone_hz>,
              R <t_ms> <cause>, X <t_ms> <Type> <message>, SUMMARY <json>
(see host_tools/simboard/runner.py and README.md)"""


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def to_json(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return fixed(v, 3)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(v, dict):
        return "{" + ", ".join(to_json(str(k)) + ": " + to_json(v[k]) for k in sorted(v)) + "}"
    return "[" + ", ".join(to_json(x) for x in v) + "]"


def parse_args(argv):
    opts = {"firmware": None, "flash": None, "seconds": 10.0, "seed": 0, "script": None,
            "load_ohms": None, "inject": [], "trace_ms": 0, "entry": None, "start_ticks_ms": None}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            print(USAGE)
            sys.exit(0)
        if not a.startswith("--"):
            raise ValueError("unexpected argument: " + a)
        key = a[2:].replace("-", "_")
        if "=" in key:
            key, val = key.split("=", 1)
        else:
            i += 1
            if i >= len(argv):
                raise ValueError("missing value for " + a)
            val = argv[i]
        if key not in opts:
            raise ValueError("unknown option: " + a)
        if key == "inject":
            opts["inject"].append(val)
        elif key in ("seconds",):
            opts[key] = float(val)
        elif key in ("seed", "trace_ms", "start_ticks_ms"):
            opts[key] = int(val)
        elif key == "load_ohms":
            opts[key] = float(val)
        else:
            opts[key] = val
        i += 1
    if opts["firmware"] is None:
        raise ValueError("--firmware DIR is required")
    return opts


def build_world(opts):
    cfg = {}
    if opts.get("load_ohms") is not None:
        cfg["load_ohms"] = opts["load_ohms"]
    w = World(cfg, seed=opts.get("seed", 0), flash_dir=opts.get("flash"),
              start_ticks_ms=opts.get("start_ticks_ms"))
    w.set_end(opts.get("seconds", 10.0))
    from simboard import script

    if opts.get("script"):
        try:
            with open(opts["script"]) as f:
                text = f.read()
        except OSError:
            raise ValueError("cannot read script file %s" % opts["script"])
        script.schedule(w, script.parse_script(text))
    for spec in opts.get("inject", ()):
        t_ms, s = script.parse_inject(spec)
        w.at(t_ms, "inject", s)
    if sys.implementation.name == "micropython":
        del sys.modules["simboard.script"]  # only needed once: give the heap back
    return w
