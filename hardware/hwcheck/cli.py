"""`make hardware-check`: simulate, check, print the report, rewrite the README
table; exit 0 when every check passes, 1 when one fails, 2 when ngspice could
not run."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from .errors import CheckError
from .paths import README, ROOT
from .registry import run_all
from .report import render_table, summary, write_readme_table

DESCRIPTION = "Simulate the microwand analog path in ngspice and check it against the safety requirements."


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="hardware-check", description=DESCRIPTION)
    ap.add_argument("--json", metavar="PATH", help="write the raw numbers and the check results as JSON")
    ap.add_argument("--no-readme", action="store_true", help="do not rewrite the table in hardware/README.md")
    args = ap.parse_args(argv)
    try:
        raw, checks = run_all()
    except CheckError as e:
        print("hardware-check: %s" % e, file=sys.stderr)
        return 2
    table = render_table(raw, checks)
    print(table)
    print()
    print(summary(checks))
    if not args.no_readme:
        write_readme_table(table)
        print("results table written to %s" % README.relative_to(ROOT))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"raw": raw, "checks": checks}, f, indent=1, default=_json_default)
    return 0 if checks["ok"] else 1


def _json_default(o):
    if isinstance(o, float) and not math.isfinite(o):
        return None
    raise TypeError(type(o))
