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
import sys

from wandctl import paths
from wandctl.bench_figures import (
    deploy_figures,
    deploy_vs_mpremote_figures,
    figures32,
    firmware_figures,
    report,
    sim_speed,
)


def register(sub):
    p = sub.add_parser("bench", help="benchmark: allocation, heap, tick time, simulation and deploy speed",
                       description=__doc__, formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    p.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    p.add_argument("--no-deploy", action="store_true", help="skip the deploy timings")
    p.add_argument("--quick", action="store_true",
                   help="coarse figures only (bisection to 16 KB, a few ticks, no simulation speed, no deploy):"
                        " a smoke test of the bench itself")
    p.set_defaults(func=run)


def run(args) -> int:
    from wandctl.argcheck import output_file, write_text

    # (before the run)
    json_path = output_file(args.json, "--json", example="bench.json") if args.json is not None else None
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
    for line in report(figures):
        print(line)
    if json_path is not None:
        write_text(json_path, json.dumps(figures, indent=2) + "\n", "--json")
    return 0
