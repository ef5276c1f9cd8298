"""wandctl test --port PORT: on-device checks with a pass/fail report.

1. `hello`: the board runs the microwand firmware and speaks protocol 1;
2. `selftest`: every check the firmware runs on itself (sense path, zero
   current with the output off, battery, watchdog armed, limits, settings);
3. with `--ramp` (bench mode and a dummy load across the electrodes, e.g. 2 kOhm):
   a short session start: the setpoint must rise no faster than 200 uA/s
   (SR-05), the measured current must follow the setpoint (SR-08), and `stop`
   must bring it back to zero.
"""

from __future__ import annotations

import argparse
import json

from wandctl.argcheck import positive_float
from wandctl.device_checks import (
    DESIGN_RAMP_UA_PER_S,
    FOLLOW_FROM_UA,
    RAMP_SECONDS_MIN,
    SLOPE_WINDOW_S,
    run_checks,
)
from wandctl.errors import WandctlError
from wandctl.serialport import PORT_HELP, resolve_port


def ramp_seconds(text: str) -> float:
    """argparse type of --ramp-seconds: above 0, and long enough for the checks to judge the ramp."""
    v = positive_float("the ramp time in seconds", 600)(text)
    if v < RAMP_SECONDS_MIN:
        raise argparse.ArgumentTypeError(
            "%s s is too short for the ramp checks: give at least %g s (the setpoint needs about %.1f s to pass "
            "%d uA at the %d uA/s ramp, and the slope is judged over %g s)"
            % (text, RAMP_SECONDS_MIN, FOLLOW_FROM_UA / DESIGN_RAMP_UA_PER_S, FOLLOW_FROM_UA,
               DESIGN_RAMP_UA_PER_S, SLOPE_WINDOW_S))
    return v


def register(sub):
    p = sub.add_parser(
        "test",
        help="run on-device checks (selftest, optional bench ramp)",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    p.add_argument("--port", "-p", default=None, help=PORT_HELP)
    p.add_argument(
        "--ramp",
        action="store_true",
        help="also run a short ramp (needs bench mode and a dummy load across the electrodes)",
    )
    p.add_argument(
        "--ramp-seconds", type=ramp_seconds, default=3.0, metavar="SECONDS",
        help="how long to watch the ramp, in seconds: %g or more (default %%(default)s)" % RAMP_SECONDS_MIN
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    results = run_checks(resolve_port(args.port), args.ramp, args.ramp_seconds)
    passed = all(r["ok"] for r in results)
    if args.json:
        print(json.dumps({"pass": passed, "checks": results}))
    else:
        for r in results:
            print("%-4s %-26s %s" % ("PASS" if r["ok"] else "FAIL", r["name"], r["detail"]))
        print(
            "PASS: all %d checks passed" % len(results)
            if passed
            else "FAIL: %d of %d checks failed" % (sum(not r["ok"] for r in results), len(results))
        )
    if not passed:
        raise WandctlError(
            "on-device test failed (%s)" % ", ".join(r["name"] for r in results if not r["ok"])
        )
    return 0
