"""wandctl fuzz: search the space the firmware accepts for safety violations.

Hypothesis generates scenarios (settings and calibrations the validator
accepts, hostile settings and log files, loads from a short to open, steps
and slides, every injection at any instant and in combination, stalls below
and above the watchdog timeout, inputs flapping faster than their debounce,
every kind of reset and power cut), runs each on the full simulated board
with the real firmware, and judges it with the trace oracle
(simboard/oracle/). A violation is shrunk to a minimal scenario and written
to --out as a `wandctl sim --script` file (its first lines give the exact
command that replays it). The run ends with `fuzz: N scenarios, M violations`
and exits 1 when M > 0.
"""

from __future__ import annotations

import argparse
import json
import random
import time

from wandctl import paths
from wandctl.argcheck import output_file, output_folder, write_text
from wandctl.errors import WandctlError

# The work is in wandctl/fuzz_judge.py (a scenario, run and judged), fuzz_strategies.py (the space searched)
# and fuzz_search.py (the search, shrinking, the written cases).
from wandctl.fuzz_search import fuzz
from wandctl.tools import find_tool


def register(sub):
    p = sub.add_parser("fuzz", help="search random scenarios on the simulated board for safety violations",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--budget", type=float, default=60.0, metavar="SECONDS",
                   help="wall-clock seconds to search (default 60); shrinking a violation may add up to a quarter")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the search (default: a random one, printed)")
    p.add_argument("--interpreter", choices=("cpython", "micropython"), default="cpython",
                   help="run the firmware under CPython in this process (fast) or the MicroPython unix port")
    p.add_argument("--out", metavar="DIR", default="build/fuzz",
                   help="where shrunk violations go as `wandctl sim --script` files (default build/fuzz)")
    p.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    if not args.budget > 0 or args.budget > 7 * 86400:
        raise WandctlError("--budget must be more than 0 and at most 604800 seconds")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    if seed < 0:
        raise WandctlError("--seed must be 0 or more")
    out = output_folder(args.out, "--out", example="build/fuzz")  # (a case found is written there: checked now)
    json_path = output_file(args.json, "--json", example="fuzz.json") if args.json is not None else None
    paths.checkout()  # the firmware it searches is the checkout's
    if args.interpreter == "micropython":
        find_tool("micropython")  # a clear error now, not after the first scenario
    print("fuzz: seed %d, budget %g s, %s" % (seed, args.budget, args.interpreter), flush=True)
    t0 = time.monotonic()
    counts = fuzz(args.budget, seed, args.interpreter, out, log=lambda s: print(s, flush=True))
    counts["seed"] = seed
    counts["interpreter"] = args.interpreter
    counts["wall_s"] = round(time.monotonic() - t0, 1)
    if json_path is not None:
        write_text(json_path, json.dumps(counts, indent=2) + "\n", "--json")
    print("fuzz: %d scenarios, %d violations" % (counts["scenarios"], counts["violations"]))
    return 1 if counts["violations"] else 0
