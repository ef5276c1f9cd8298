"""wandctl history --port P [--csv PATH | --json]: the sessions the wand remembers.

The firmware keeps one record per session (wand/history.py, at most 16, kept
through power cuts): when it started (boot number, uptime), the program, the
level range, the seconds of current, the charge delivered and the net charge
in µA·s, the contact losses, the load between the probes and how it ended.
"""

from __future__ import annotations

import argparse
import json
import sys

from wandctl.argcheck import int_range, output_file, positive_float, write_text
from wandctl.console_client import DEFAULT_TIMEOUT
from wandctl.errors import WandctlError
from wandctl.history_format import format_table, to_csv
from wandctl.serialport import PORT_HELP

HIST_MAX = 16


def register(sub) -> None:
    p = sub.add_parser("history", help="the wand's session history (table, CSV or JSON)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", "-p", default=None, help=PORT_HELP)
    p.add_argument("--baud", type=int_range(1200, 4000000, "the baud rate"), default=115200,
                   help="baud rate of the serial port (default 115200)")
    p.add_argument("--timeout", type=positive_float("the timeout in seconds", 3600), default=DEFAULT_TIMEOUT,
                   metavar="SECONDS", help="seconds to wait for each reply (default %g)" % DEFAULT_TIMEOUT)
    p.add_argument("-n", type=int_range(1, HIST_MAX, "the number of sessions"), default=HIST_MAX,
                   help="how many of the newest sessions (1..%d, default all)" % HIST_MAX)
    out = p.add_mutually_exclusive_group()
    out.add_argument("--csv", metavar="PATH", help="write the sessions to this CSV file (`-` for stdout)")
    out.add_argument("--json", action="store_true", help="print the sessions as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    from wandctl.console_connect import connect as _connect

    target = None
    if args.csv is not None and args.csv != "-":
        target = output_file(args.csv, "--csv", example="history.csv")
    with _connect(args) as client:
        payload = client.call("history %d" % args.n)
    if not isinstance(payload, dict) or not isinstance(payload.get("sessions"), list):
        raise WandctlError("the wand's reply to `history` has no session list: is wandctl out of date?")
    sessions = [r for r in payload["sessions"] if isinstance(r, dict)]
    if args.json:
        print(json.dumps(sessions))
    elif args.csv == "-":
        sys.stdout.write(to_csv(sessions))
    elif target is not None:
        write_text(target, to_csv(sessions), "--csv")
        print("wrote %d sessions to %s" % (len(sessions), target), file=sys.stderr)
    else:
        print(format_table(sessions))
    return 0
