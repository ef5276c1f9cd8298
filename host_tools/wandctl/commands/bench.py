"""wandctl bench: figures, never a verdict.

32-bit figures (the ESP32 is 32-bit; host_tools/simboard/bench_wasm.py), on
the webassembly port of MicroPython 1.29 from npm under Node.js, with the
firmware compiled by mpy-cross as deployed:
- heap32_min_session_bytes, heap32_min_console_bytes: the smallest heap in
  which a session on the simulated board runs to its end, without and with
  the console loaded (bench mode, commands typed), found by bisection over
  the heap size (to 256 bytes; heap32_run_*_bytes), less heap32_baseline_bytes:
  the heap in use, after a collection, by what the chip does not have (the
  bench's driver, the stand-ins for machine/time/esp32, the port's start-up
  state). The simulator itself runs outside that heap (in this process, over
  a pipe).
- tick_pystones_mean, tick_pystones_max: one steady tick over one pass of
  pystone_lowmem, timed in the same process, per program (mean and worst
  tick; the worst program is reported, every program in tick32_programs).
- esp32_tick_ms_est_max: tick_pystones_max x 1.0 ms, the upper end of the
  published ESP32 figures (240 MHz: about 1,000..1,660 pystones/s, so one
  pass is 0.6..1.0 ms; MicroPython issues #6565 and #5673).
- tick_budget_used_max: that estimate over the program's tick period, for the
  worst program (a 5 ms tick for `smooth`, 10 ms for the others).
- alloc32_bytes_per_tick: allocation per steady tick, worst program.

64-bit figures (the MicroPython unix port from PyPI, 100 KB heap;
bench/bench_mpy.py), kept beside them:
- alloc_bytes_per_tick, peak_heap_bytes (a sampled peak, every 50 ticks),
  heap_after_gc_bytes, tick_us, tick_us_max; tick64_pystones_mean/_max.
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

from wandctl import paths
from wandctl.errors import WandctlError
from wandctl.tools import find_tool

GOALS = {"alloc_bytes_per_tick": 0, "peak_heap_bytes": 40000, "sim_speed_x": 300,
         "heap32_min_session_bytes": 44000, "heap32_min_console_bytes": 56000, "tick_budget_used_max": 0.40,
         "alloc32_bytes_per_tick": 0, "deploy_unchanged_vs_mpremote": 1.5, "deploy_full_vs_mpremote_115200": 0.5}
PASS_MS_MAX = 1.0  # one pystone_lowmem pass on an ESP32 at 240 MHz: 0.6..1.0 ms (issues #6565, #5673)


def register(sub):
    p = sub.add_parser("bench", help="benchmark: allocation, heap, tick time, simulation and deploy speed",
                       description=__doc__, formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    p.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    p.add_argument("--no-deploy", action="store_true", help="skip the deploy timings")
    p.add_argument("--quick", action="store_true",
                   help="coarse figures only (bisection to 16 KB, a few ticks, no simulation speed, no deploy):"
                        " a smoke test of the bench itself")
    p.set_defaults(func=run)


def _micropython() -> str:
    return find_tool("micropython")


def _mpy_cross() -> str:
    return find_tool("mpy-cross")


def _unix_run(tmp: str, heap: str, *args: str) -> dict:
    env = dict(os.environ, MICROPYPATH=tmp)
    r = subprocess.run([_micropython(), "-X", "heapsize=" + heap, str(paths.BENCH / "bench_mpy.py")]
                       + list(args), capture_output=True, text=True, env=env, timeout=600)
    line = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
    if r.returncode or not line.startswith("{"):
        raise WandctlError("the MicroPython benchmark failed: %s" % (r.stderr.strip() or r.stdout.strip())[-600:])
    return json.loads(line)


def _ratios(t: dict, prefix: str) -> dict:
    """The tick/pass ratios of the worst program, from bench_mpy.ticks()."""
    progs = t["programs"]
    worst = max(progs, key=lambda p: p["pystones_max"] * PASS_MS_MAX / p["period_ms"])
    return {prefix + "pystones_mean": max(p["pystones_mean"] for p in progs),
            prefix + "pystones_max": max(p["pystones_max"] for p in progs),
            prefix + "budget_worst_program": worst["program"]}


def firmware_figures(quick: bool = False) -> dict:
    """Run bench_mpy.py on the MicroPython unix port (64-bit) against the compiled firmware."""
    from simboard import bench_wasm

    with tempfile.TemporaryDirectory(prefix="wand-bench-") as tmp:
        bench_wasm.build(Path(tmp), _mpy_cross())
        fig = _unix_run(tmp, "100K")
        t = _unix_run(tmp, "1M", "ticks", *(["quick"] if quick else []))
    fig.update({k.replace("tick_", "tick64_", 1): v for k, v in _ratios(t, "tick_").items()})
    fig["tick64_budget_used_max"] = round(max(p["pystones_max"] * PASS_MS_MAX / p["period_ms"]
                                              for p in t["programs"]), 3)
    return fig


def figures32(quick: bool = False) -> dict:
    """The 32-bit figures: heap by bisection, ticks as pystone ratios (bench_wasm.py)."""
    from simboard import bench_wasm

    bench_wasm.check_installed()
    res = 16384 if quick else bench_wasm.RESOLUTION
    fig: dict = {}
    with tempfile.TemporaryDirectory(prefix="wand-bench32-") as tmp:
        fw = Path(tmp)
        bench_wasm.build(fw, _mpy_cross())
        base = bench_wasm.baseline_live(fw)
        print("  32-bit heap: bisection, session ...", file=sys.stderr)
        session = bench_wasm.bisect_heap(fw, "session", 4096, 196608, res)
        print("  32-bit heap: bisection, session with the console ...", file=sys.stderr)
        console = bench_wasm.bisect_heap(fw, "console", 4096, 196608, res)
        print("  32-bit ticks ...", file=sys.stderr)
        t = bench_wasm.tick_run(fw, quick)
    progs = t["programs"]
    fig["heap32_min_session_bytes"] = session - base
    fig["heap32_min_console_bytes"] = console - base
    fig["heap32_run_session_bytes"] = session
    fig["heap32_run_console_bytes"] = console
    fig["heap32_baseline_bytes"] = base
    fig["heap32_method"] = ("smallest heap for the run, by bisection to %d bytes, minus the baseline in use "
                            "without the firmware (bench driver, stand-ins, port start-up); simulator outside "
                            "the heap" % res)
    fig.update(_ratios(t, "tick_"))
    fig["esp32_tick_ms_est_max"] = round(fig["tick_pystones_max"] * PASS_MS_MAX, 3)
    fig["tick_budget_used_max"] = round(max(p["pystones_max"] * PASS_MS_MAX / p["period_ms"] for p in progs), 3)
    fig["alloc32_bytes_per_tick"] = max(p["alloc_bytes_per_tick"] for p in progs)
    fig["pystone_pass_us_32"] = t["pass_us"]
    fig["tick32_programs"] = progs
    return fig


def sim_speed() -> dict:
    """A full default session of the real firmware on CPython, no tracing."""
    sys.path[:0] = [str(paths.FIRMWARE), str(paths.HOST_TOOLS)]
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
            res = Runner(w, str(paths.FIRMWARE)).run()
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
    paths.checkout()  # the firmware it measures is the checkout's
    figures: dict = {}
    print("measuring the firmware on the 32-bit MicroPython (webassembly port, Node.js) ...", file=sys.stderr)
    figures.update(figures32(args.quick))
    print("measuring the firmware on the MicroPython unix port (64-bit) ...", file=sys.stderr)
    figures.update(firmware_figures(args.quick))
    if not args.quick:
        print("running a 5-minute session on the simulated board (CPython) ...", file=sys.stderr)
        figures.update(sim_speed())
    if not args.no_deploy and not args.quick:
        print("timing deploys to the virtual board ...", file=sys.stderr)
        figures.update(deploy_figures())
        figures.update(deploy_vs_mpremote_figures())
    width = max(len(k) for k in figures)
    for k, v in figures.items():
        if k == "tick32_programs":
            continue
        goal = GOALS.get(k)
        note = ""
        if goal is not None:
            ok = v >= goal if k == "sim_speed_x" else v <= goal
            note = "  (goal: %s %s: %s)" % ("<=" if k != "sim_speed_x" else ">=", goal, "met" if ok else "MISSED")
        if k == "redeploy_ratio":
            note = "  (goal: < 0.2)"
        print("%-*s  %s%s" % (width, k, v, note))
    for p in figures.get("tick32_programs", []):
        print("  32-bit tick, %-7s every %2d ms: %.2f passes mean, %.2f worst -> <= %.2f ms, %.0f %% of the period"
              % (p["program"], p["period_ms"], p["pystones_mean"], p["pystones_max"],
                 p["pystones_max"] * PASS_MS_MAX, 100 * p["pystones_max"] * PASS_MS_MAX / p["period_ms"]))
    if json_path is not None:
        write_text(json_path, json.dumps(figures, indent=2) + "\n", "--json")
    return 0
