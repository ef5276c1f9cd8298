"""wandctl console | status | log | faults | selftest | calibrate | get | set | monitor.

Every command opens the port, checks with `hello` that the board runs the
microwand firmware, sends its line(s) and prints the reply: readable text, or
the reply's JSON as is with `--json`.

This module is the argparse side: the parsers and the one-shot commands. The
interactive loop is console_session.py, monitor is console_monitor.py, the
readable text of a reply is console_format.py.
"""

from __future__ import annotations

import argparse
import json
import sys

from wandctl.argcheck import int_range, positive_float
from wandctl.console_client import CALIBRATE_TIMEOUT, DEFAULT_TIMEOUT, BoardError, ConsoleClient
from wandctl.console_connect import connect as _connect
from wandctl.console_format import format_reply
from wandctl.console_monitor import run_monitor as _run_monitor
from wandctl.console_session import run_console as _run_console
from wandctl.errors import WandctlError
from wandctl.serialport import PORT_HELP

LOG_MAX = 32  # the firmware's `log N` takes 1..32


# ----------------------------------------------------------------- one-shot commands
def _emit(args, command: str, payload) -> None:
    if args.json:
        print(json.dumps(payload))
    else:
        print(format_reply(command, payload))


def _one_shot(args, line: str, timeout: float | None = None):
    with _connect(args) as client:
        try:
            payload = client.call(line, timeout=timeout)
        except BoardError as e:
            raise _explain(client, e) from None
    _emit(args, line, payload)
    return payload


def _explain(client: ConsoleClient, e: BoardError) -> WandctlError:
    """A refusal in the user's words: an unknown setting lists the known ones."""
    if e.message.startswith("no setting") or e.message.startswith("unknown setting"):
        name = e.command.split()[1] if len(e.command.split()) > 1 else "?"
        try:
            names = sorted(client.call("get") or {})  # type: ignore[arg-type]
        except WandctlError:
            names = []
        return WandctlError("the wand has no setting %r; its settings are: %s" % (name, ", ".join(names) or "?"))
    return e


def _run_status(args) -> int:
    _one_shot(args, "status")
    return 0


def _run_log(args) -> int:
    _one_shot(args, "log %d" % args.n)
    return 0


def _run_faults(args) -> int:
    _one_shot(args, "faults")
    return 0


def _run_selftest(args) -> int:
    payload = _one_shot(args, "selftest")
    if not (isinstance(payload, dict) and payload.get("pass")):
        failed = [c[0] for c in payload.get("checks", []) if not c[1]] if isinstance(payload, dict) else []
        raise WandctlError("self-test failed (%s): do not use the wand until it passes; see docs/console.md"
                           % ", ".join(failed))
    return 0


def _run_calibrate(args) -> int:
    if not args.json:
        print("calibrating with %d Ohm (bench mode, resistor across the electrodes)..." % args.ohms,
              file=sys.stderr)
    _one_shot(args, "calibrate %d" % args.ohms, timeout=max(args.timeout, CALIBRATE_TIMEOUT))
    return 0


def _run_get(args) -> int:
    _one_shot(args, "get %s" % args.name if args.name else "get")
    return 0


def _run_set(args) -> int:
    _one_shot(args, "set %s %s" % (args.name, args.value))
    return 0
# ----------------------------------------------------------------- parsers
def _common(p: argparse.ArgumentParser, json_flag: bool = True) -> None:
    p.add_argument("--port", "-p", default=None, help=PORT_HELP)
    p.add_argument("--baud", type=int_range(1200, 4000000, "the baud rate"), default=115200,
                   help="baud rate of the serial port (default 115200, what the firmware uses)")
    p.add_argument("--timeout", type=positive_float("the timeout in seconds", 3600), default=DEFAULT_TIMEOUT,
                   metavar="SECONDS", help="seconds to wait for each reply (default %g)" % DEFAULT_TIMEOUT)
    if json_flag:
        p.add_argument("--json", action="store_true", help="print the board's JSON reply as is (for scripts)")


def _add(sub, name, help_text, description, func, json_flag=True):
    p = sub.add_parser(name, help=help_text, description=description)
    _common(p, json_flag)
    p.set_defaults(func=func)
    return p


def register(sub) -> None:
    _add(sub, "console", "interactive console on the wand (history, completion)",
         "Talk to the wand's console. Type `help` for its commands, one line each. With stdin not a "
         "terminal, reads one command per line from stdin, prints each reply (errors on stderr) and exits 1 if "
         "any failed.", _run_console)

    _add(sub, "status", "state, current, load and contact, battery and fault of the wand",
         "Ask the wand for its status: session state, program and level, the current (setpoint and "
         "measured), the load between the probes in kOhm with the contact it means, battery, USB "
         "power, bench mode, a latched fault, uptime and the watchdog.", _run_status)

    p = _add(sub, "log", "the newest events of the wand's event log, in words",
             "Print the newest events of the wand's event log (it survives power cuts): boot number, "
             "time since that boot, and what happened.", _run_log)
    p.add_argument("n", nargs="?", type=int_range(1, LOG_MAX, "the number of events"), default=10,
                   help="how many events (1..%d, default 10)" % LOG_MAX)

    _add(sub, "faults", "the faults the wand latched since it was powered up",
         "Print the faults latched since power-up (boot number, time since boot, fault name and code). "
         "What each fault means: docs/console.md and docs/safety.md.", _run_faults)

    _add(sub, "selftest", "run the self-test (output off); exit 1 if a check fails",
         "Run the firmware's output-off self-test (sense path, zero current, load sense, battery, DAC, "
         "watchdog, current ceiling, settings, fault) and print each check. Exit code 1 if one fails.",
         _run_selftest)

    p = _add(sub, "calibrate", "calibrate the current sense with a known resistor (bench mode)",
             "Put a known resistor (1 to 20 kOhm, e.g. 10 kOhm 1 %) across the electrodes, start the wand "
             "in bench mode (hold the LEVEL button while powering it up), then run this with the "
             "resistor's value in ohms.", _run_calibrate)
    p.add_argument("ohms", type=int_range(1000, 20000, "the resistor value in ohms"),
                   help="resistor value in ohms, 1000..20000, e.g. 10000")

    p = _add(sub, "get", "show the wand's settings (all, or one by name)",
             "Print the wand's settings, or the one named. `wandctl set` changes them.", _run_get)
    p.add_argument("name", nargs="?", help="setting name (default: all of them)")

    p = _add(sub, "set", "change a setting (checked on the wand; hard limits cannot be raised)",
             "Change one setting. The wand checks the value against its limits and refuses what is "
             "outside them (user_max_ua never above the 500 uA hard ceiling, session_min 1..20).", _run_set)
    p.add_argument("name", help="setting name (see `wandctl get`)")
    p.add_argument("value", help="new value, e.g. 300 or on/off")

    p = _add(sub, "monitor", "live plot of the output current and the load (optionally to CSV)",
             "Stream the wand's telemetry: setpoint and measured current, state, and the load between "
             "the probes in kOhm. A plot in a terminal, text lines otherwise (or with --text).",
             _run_monitor, json_flag=False)
    p.add_argument("--hz", type=int_range(1, 50, "the sample rate"), default=20,
                   help="samples per second (1..50, default 20)")
    p.add_argument("--csv", metavar="PATH", help="also record the samples to this CSV file")
    p.add_argument("--seconds", type=positive_float("the time in seconds"), default=None,
                   help="stop after this many seconds (default: until Ctrl-C)")
    p.add_argument("--window", type=positive_float("the window in seconds"), default=10.0,
                   help="seconds shown in the plot (default 10)")
    p.add_argument("--text", action="store_true", help="print samples as text lines instead of a plot")
