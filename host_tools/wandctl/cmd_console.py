"""wandctl console | status | log | faults | selftest | calibrate | get | set | monitor.

Every command opens the port, checks with `hello` that the board runs the
microwand firmware, sends its line(s) and prints the reply: readable text, or
the reply's JSON as is with `--json`.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pathlib
import sys
import time

from wandctl.console_client import (
    CALIBRATE_TIMEOUT,
    DEFAULT_TIMEOUT,
    BoardError,
    ConsoleClient,
    Sample,
)
from wandctl.errors import WandctlError

HISTORY = pathlib.Path.home() / ".cache" / "microwand" / "history"
COMMANDS = ["hello", "help", "status", "log", "faults", "selftest", "calibrate", "get", "set", "stream",
            "start", "stop", "level", "clear", "reboot", "repl"]


# ----------------------------------------------------------------- formatting
def _fmt_value(v) -> str:
    if v is None:
        return "-"
    if v is True:
        return "yes"
    if v is False:
        return "no"
    if isinstance(v, float):
        return "%g" % v
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return str(v)


def _duration(seconds) -> str:
    s = int(seconds or 0)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    if h:
        return "%d h %02d min %02d s" % (h, m, s)
    if m:
        return "%d min %02d s" % (m, s)
    return "%d s" % s


def format_status(st: dict) -> str:
    fault = st.get("fault")
    fault_text = "none" if not fault else "%s (code %s)" % (fault.get("name"), fault.get("code"))
    ohms = st.get("load_ohms")
    if ohms is None:
        load_text = "not measured"
    elif ohms >= 1000:
        load_text = "%.1f kOhm" % (ohms / 1000.0)
    else:
        load_text = "%d Ohm" % ohms
    if st.get("load") is not None:
        load_text += " (%s)" % st["load"]
    battery = "%s V" % _fmt_value(st.get("battery_v"))
    if st.get("battery_low"):
        battery += " (low)"
    current = "setpoint %s uA, measured %s uA" % (_fmt_value(st.get("setpoint_ua")),
                                                  _fmt_value(st.get("measured_ua")))
    if st.get("limit_ua") is not None:
        current += ", limit %s uA" % _fmt_value(st.get("limit_ua"))
    if st.get("hard_ceiling_ua") is not None:
        current += " (hard ceiling %s uA)" % _fmt_value(st.get("hard_ceiling_ua"))
    rows = [
        ("state", _fmt_value(st.get("state"))),
        ("program", _fmt_value(st.get("program"))),
        ("level", _fmt_value(st.get("level"))),
        ("current", current),
        ("load", load_text),
        ("battery", battery),
        ("USB power", _fmt_value(st.get("usb"))),
        ("bench mode", _fmt_value(st.get("bench"))),
        ("fault", fault_text),
    ]
    if "planned_s" in st:
        rows.append(("session", "%s of %s delivered" % (_duration(st.get("delivered_s")),
                                                       _duration(st.get("planned_s")))))
    rows += [
        ("uptime", _duration(st.get("uptime_s"))),
        ("watchdog", "armed" if st.get("wdt_armed") else "not armed"),
    ]
    known = {"state", "program", "level", "setpoint_ua", "measured_ua", "load_ohms", "load", "battery_v",
             "battery_low", "usb", "bench", "fault", "uptime_s", "wdt_armed", "limit_ua", "hard_ceiling_ua",
             "delivered_s", "planned_s"}
    rows += [(k, _fmt_value(v)) for k, v in st.items() if k not in known]
    width = max(len(k) for k, _ in rows)
    return "\n".join("%-*s  %s" % (width, k, v) for k, v in rows)


def format_record(rec) -> str:
    """One log event or fault, time first."""
    if not isinstance(rec, dict):
        return _fmt_value(rec)
    rec = dict(rec)
    rec.pop("seq", None)  # storage order, not news
    head = []
    for key in ("t", "t_ms", "time", "uptime_s"):
        if key in rec:
            v = rec.pop(key)
            head.append("%8s" % (("%.3f s" % (v / 1000.0)) if key == "t_ms" and isinstance(v, int)
                                 else _fmt_value(v)))
            break
    for key in ("event", "kind", "name"):
        if key in rec:
            head.append(_fmt_value(rec.pop(key)))
            break
    head += ["%s=%s" % (k, _fmt_value(v)) for k, v in rec.items()]
    return "  ".join(head)


def format_selftest(res: dict) -> str:
    lines = []
    for name, ok, detail in res.get("checks", []):
        lines.append("%s  %-20s %s" % ("PASS" if ok else "FAIL", name, _fmt_value(detail)))
    lines.append("self-test %s" % ("passed" if res.get("pass") else "FAILED"))
    return "\n".join(lines)


def format_settings(values: dict) -> str:
    if not values:
        return "(no settings)"
    width = max(len(k) for k in values)
    return "\n".join("%-*s = %s" % (width, k, _fmt_value(v)) for k, v in values.items())


def format_reply(command: str, payload) -> str:
    """Readable text for the payload of an `ok` reply to `command`."""
    name = command.split()[0] if command.split() else ""
    if isinstance(payload, dict):
        if name == "status":
            return format_status(payload)
        if name == "log":
            return "\n".join(format_record(e) for e in payload.get("events", [])) or "(log is empty)"
        if name == "faults":
            return "\n".join(format_record(e) for e in payload.get("faults", [])) or "(no faults recorded)"
        if name == "selftest":
            return format_selftest(payload)
        if name in ("get", "set"):
            return format_settings(payload)
        if name == "help":
            cmds = payload.get("commands", {})
            return "\n".join(("%s %s" % (k, v)).rstrip() for k, v in cmds.items())
        if name == "hello":
            return "microwand %s on %s, console protocol %s, reset cause: %s" % (
                payload.get("fw"), payload.get("board"), payload.get("protocol"), payload.get("reset_cause"))
        width = max((len(k) for k in payload), default=0)
        return "\n".join("%-*s  %s" % (width, k, _fmt_value(v)) for k, v in payload.items()) or "ok"
    return _fmt_value(payload)


# ----------------------------------------------------------------- plumbing
def _connect(args) -> ConsoleClient:
    port = args.port or os.environ.get("WANDCTL_PORT", "")
    client = ConsoleClient(port, baudrate=args.baud, timeout=args.timeout)
    try:
        client.hello()
    except BaseException:
        client.close()
        raise
    return client


def _emit(args, command: str, payload) -> None:
    if args.json:
        print(json.dumps(payload))
    else:
        print(format_reply(command, payload))


def _one_shot(args, line: str, timeout: float | None = None):
    with _connect(args) as client:
        payload = client.call(line, timeout=timeout)
    _emit(args, line, payload)
    return payload


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
    if args.ohms <= 0:
        raise WandctlError("the resistor value must be positive ohms, for example 10000")
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


# ----------------------------------------------------------------- monitor
def _run_monitor(args) -> int:
    if not 1 <= args.hz <= 50:
        raise WandctlError("--hz must be from 1 to 50")
    writer = None
    csv_file = None
    if args.csv:
        path = pathlib.Path(args.csv)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            csv_file = open(path, "w", newline="")
        except OSError as e:
            raise WandctlError("cannot write %s: %s" % (path, e)) from None
        writer = csv.writer(csv_file)
        writer.writerow(["t_ms", "setpoint_ua", "measured_ua", "state"])
    plot = sys.stdout.isatty() and not args.text
    count = 0
    try:
        with _connect(args) as client:
            if plot:
                count = _monitor_plot(client, args, writer)
            else:
                print("t_ms setpoint_ua measured_ua state", flush=True)
                for s in client.stream(args.hz, args.seconds):
                    count += 1
                    if writer:
                        writer.writerow([s.t_ms, s.setpoint_ua, s.measured_ua, s.state])
                    print("%d %d %d %s" % (s.t_ms, s.setpoint_ua, s.measured_ua, s.state), flush=True)
    finally:
        if csv_file:
            csv_file.close()
    if args.csv:
        print("wrote %d samples to %s" % (count, args.csv), file=sys.stderr)
    return 0


def _monitor_plot(client: ConsoleClient, args, writer) -> int:
    import plotext as plt

    window_ms = args.window * 1000
    samples: list[Sample] = []
    count = 0
    last_draw = 0.0
    for s in client.stream(args.hz, args.seconds):
        count += 1
        samples.append(s)
        if writer:
            writer.writerow([s.t_ms, s.setpoint_ua, s.measured_ua, s.state])
        while samples and s.t_ms - samples[0].t_ms > window_ms:
            samples.pop(0)
        now = time.monotonic()
        if now - last_draw < 0.2:
            continue
        last_draw = now
        t0 = samples[-1].t_ms
        xs = [(x.t_ms - t0) / 1000.0 for x in samples]
        plt.clear_figure()
        plt.plot(xs, [x.setpoint_ua for x in samples], label="setpoint")
        plt.plot(xs, [x.measured_ua for x in samples], label="measured")
        plt.title("microwand %s: %s, measured %d uA, setpoint %d uA (Ctrl-C to stop)"
                  % (client.port, s.state, s.measured_ua, s.setpoint_ua))
        plt.xlabel("seconds")
        plt.ylabel("uA")
        plt.clear_terminal()
        plt.show()
    return count


# ----------------------------------------------------------------- console
class _Completer:
    """Command names first; setting names after get/set; on/off after stream."""

    def __init__(self, settings: list[str]):
        from prompt_toolkit.completion import Completer, Completion

        outer = self

        class _C(Completer):
            def get_completions(self, document, complete_event):
                for word in outer.words(document.text_before_cursor):
                    yield Completion(word[0], start_position=-len(word[1]))

        self.settings = settings
        self.completer = _C()

    def words(self, before: str):
        parts = before.split(" ")
        current = parts[-1]
        if len(parts) == 1:
            choices = COMMANDS + ["quit"]
        elif len(parts) == 2 and parts[0] in ("get", "set"):
            choices = self.settings
        elif len(parts) == 2 and parts[0] == "stream":
            choices = ["on", "off"]
        else:
            choices = []
        return [(c, current) for c in choices if c.startswith(current)]


def _print_other(line: str) -> None:
    print(line, flush=True)


def _console_line(client: ConsoleClient, line: str, as_json: bool) -> bool:
    """Handle one typed line; False to leave."""
    line = line.strip()
    if not line:
        return True
    if line in ("quit", "exit"):
        return False
    timeout = CALIBRATE_TIMEOUT if line.startswith("calibrate") else None
    try:
        ok, payload = client.command(line, timeout=timeout, on_other=_print_other)
    except WandctlError as e:
        if "did not answer" in str(e) or "does not run" in str(e):
            raise
        print("error: %s" % e, flush=True)
        return True
    if not ok:
        assert isinstance(payload, dict)
        print("err %s: %s" % (payload["code"], payload["message"]), flush=True)
        return True
    print(json.dumps(payload) if as_json else format_reply(line, payload), flush=True)
    if line.split()[0] in ("repl", "reboot"):
        what = ("the board is resetting into the plain MicroPython REPL (output off, no watchdog); "
                "use mpremote or a terminal program now" if line.startswith("repl")
                else "the board is rebooting; run wandctl console again in a few seconds")
        print(what, flush=True)
        return False
    return True


def _run_console(args) -> int:
    with _connect(args) as client:
        info = client.info or {}
        try:
            settings = sorted(client.call("get") or {})  # type: ignore[arg-type]
        except BoardError:
            settings = []
        interactive = sys.stdin.isatty() and sys.stdout.isatty()
        if interactive:
            print("connected to %s: %s (type help, Tab completes, Ctrl-D leaves)"
                  % (client.port, format_reply("hello", info)))
            return _interactive(client, settings, args.json)
        for raw in sys.stdin:
            if not _console_line(client, raw, args.json):
                break
    return 0


def _interactive(client: ConsoleClient, settings: list[str], as_json: bool) -> int:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory, InMemoryHistory
    from prompt_toolkit.shortcuts import CompleteStyle

    try:
        HISTORY.parent.mkdir(parents=True, exist_ok=True)
        history = FileHistory(str(HISTORY))
    except OSError:
        history = InMemoryHistory()
    # Tab completes like a shell (readline style): one match is inserted at once.
    session = PromptSession(history=history, completer=_Completer(settings).completer,
                            complete_style=CompleteStyle.READLINE_LIKE, complete_while_typing=False)
    while True:
        try:
            line = session.prompt("wand> ")
        except EOFError:
            return 0
        except KeyboardInterrupt:
            continue
        if not _console_line(client, line, as_json):
            return 0


# ----------------------------------------------------------------- parsers
def _common(p: argparse.ArgumentParser, json_flag: bool = True) -> None:
    p.add_argument("--port", "-p", default=None,
                   help="serial port of the wand, e.g. /dev/ttyUSB0 (default: $WANDCTL_PORT)")
    p.add_argument("--baud", type=int, default=115200, help="baud rate (default 115200)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                   help="seconds to wait for a reply (default %g)" % DEFAULT_TIMEOUT)
    if json_flag:
        p.add_argument("--json", action="store_true", help="print the board's JSON reply as is")


def register(sub) -> None:
    p = sub.add_parser("console", help="interactive console on the wand (history, completion)",
                       description="Talk to the wand's console. Type `help` for its commands. "
                       "With stdin not a terminal, reads one command per line from stdin.")
    _common(p)
    p.set_defaults(func=_run_console)

    p = sub.add_parser("status", help="state, current, battery and fault of the wand")
    _common(p)
    p.set_defaults(func=_run_status)

    p = sub.add_parser("log", help="the newest events of the wand's event log")
    _common(p)
    p.add_argument("n", nargs="?", type=int, default=10, help="how many events (1..32, default 10)")
    p.set_defaults(func=_run_log)

    p = sub.add_parser("faults", help="the wand's fault history")
    _common(p)
    p.set_defaults(func=_run_faults)

    p = sub.add_parser("selftest", help="run the self-test (output off); exit 1 if a check fails")
    _common(p)
    p.set_defaults(func=_run_selftest)

    p = sub.add_parser("calibrate", help="calibrate the current sense with a known resistor (bench mode)",
                       description="Put a known resistor across the electrodes, start the wand in bench "
                       "mode (power button held at power-up), then run this with its value in ohms.")
    _common(p)
    p.add_argument("ohms", type=int, help="resistor value in ohms, e.g. 10000")
    p.set_defaults(func=_run_calibrate)

    p = sub.add_parser("get", help="show settings (all, or one by name)")
    _common(p)
    p.add_argument("name", nargs="?", help="setting name (default: all)")
    p.set_defaults(func=_run_get)

    p = sub.add_parser("set", help="change a setting (validated on the wand; hard limits cannot be raised)")
    _common(p)
    p.add_argument("name", help="setting name (see `wandctl get`)")
    p.add_argument("value", help="new value")
    p.set_defaults(func=_run_set)

    p = sub.add_parser("monitor", help="live plot of the output current (optionally to CSV)")
    _common(p, json_flag=False)
    p.add_argument("--hz", type=int, default=20, help="samples per second (1..50, default 20)")
    p.add_argument("--csv", metavar="PATH", help="also record the samples to this CSV file")
    p.add_argument("--seconds", type=float, default=None, help="stop after this many seconds")
    p.add_argument("--window", type=float, default=10.0, help="seconds shown in the plot (default 10)")
    p.add_argument("--text", action="store_true", help="print samples as text lines instead of a plot")
    p.set_defaults(func=_run_monitor)
