"""wandctl characterize: the output characterization of docs/safety.md.

Every program runs at its top level (level 10 with user_max_ua at the hard
ceiling, 500 µA) on a resistive load, on the simulated board, and the steady
part of the run (after the ramp) is measured on the load itself:

  peak current (µA) and the largest voltage across the load (V; over the whole
  run, the start ramp included: what the skin may see), phase or
  pulse duration (ms) and frequency (Hz), r.m.s. and average current (µA),
  the largest phase charge and the net charge per cycle (µC), r.m.s. current
  density and average power density over the electrode area of
  hardware/board.json (mA/cm², W/cm²), and regulation error (%): the mean
  phase amplitude against the setpoint.

The default loads are those regulators ask for (500 Ω, 2 kΩ, 10 kΩ) plus
47 kΩ, past the compliance voltage, to show what happens there.
"""

from __future__ import annotations

import json
import math
import sys

from wandctl.characterization import DEFAULT_LOADS, characterize, electrode_area_cm2, markdown
from wandctl.errors import WandctlError


def register(sub):
    p = sub.add_parser("characterize", help="output characterization table (docs/safety.md) on the simulated board",
                       description=__doc__, formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    p.add_argument("--loads", default=",".join(str(x) for x in DEFAULT_LOADS),
                   help="comma-separated resistive loads in ohms (default 500,2000,10000,47000)")
    p.add_argument("--programs", help="comma-separated programs (default: all)")
    p.add_argument("--json", metavar="PATH", help="write the numbers as JSON")
    p.add_argument("--markdown", metavar="PATH", help="write the table as Markdown")
    p.add_argument("--interpreter", choices=("cpython", "micropython"), default="cpython",
                   help="run the simulated board on CPython (default) or on the MicroPython unix port")
    p.add_argument("--seed", type=int, default=1,
                   help="simulation seed of every run (default %(default)s; the table in "
                   "docs/characterization.md uses 1)")
    p.set_defaults(func=run)


def parse_loads(text: str) -> list[float]:
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            v = float(part)
        except ValueError:
            raise WandctlError("--loads: %r is not a number of ohms" % part) from None
        if not math.isfinite(v) or not 10 <= v <= 10_000_000:
            raise WandctlError("--loads: %s is outside 10..10000000 ohm" % part)
        out.append(v)
    if not out:
        raise WandctlError("--loads: give at least one load, e.g. --loads 500,2000")
    return out


def run(args) -> int:
    from wandctl.argcheck import output_file, write_text

    loads = parse_loads(args.loads)
    programs = [p.strip() for p in args.programs.split(",") if p.strip()] if args.programs else None
    # everything a user can get wrong is checked before minutes of simulation
    json_path = output_file(args.json, "--json", example="characterization.json") if args.json is not None else None
    md_path = output_file(args.markdown, "--markdown", example="characterization.md") if args.markdown else None
    bar = None
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=(len(programs) if programs else 4) * len(loads), desc="characterizing",
                   file=sys.stderr, leave=False)

    def progress(done, total):
        if bar:
            bar.total = total
            bar.update(done - bar.n)

    try:
        rows = characterize(loads, programs, args.interpreter, args.seed, progress)
    finally:
        if bar:
            bar.close()
    table = markdown(rows, electrode_area_cm2())
    if json_path is not None:
        write_text(json_path, json.dumps(rows, indent=2) + "\n", "--json")
    if md_path is not None:
        write_text(md_path, table, "--markdown")
    print(table, end="")
    return 0
