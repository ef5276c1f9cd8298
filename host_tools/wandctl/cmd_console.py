"""wandctl console | status | log | faults | selftest | calibrate | get | set | monitor.

Every command opens the port, checks with `hello` that the board runs the
microwand firmware, sends its line(s) and prints the reply: readable text, or
the reply's JSON as is with `--json`.
"""

from __future__ import annotations

import argparse
import csv
import json
import pathlib
import sys
import time

from wandctl.argcheck import int_range, output_file, positive_float
from wandctl.console_client import (
    CALIBRATE_TIMEOUT,
    DEFAULT_TIMEOUT,
    BoardError,
    ConsoleClient,
    Sample,
)
from wandctl.errors import WandctlError
from wandctl.serialport import PORT_HELP, resolve_port

HISTORY = pathlib.Path.home() / ".cache" / "microwand" / "history"
COMMANDS = sorted(["hello", "help", "status", "log", "faults", "selftest", "calibrate", "get", "set", "stream",
                   "start", "stop", "level", "clear", "reboot", "repl", "history"])
LOG_MAX = 32  # the firmware's `log N` takes 1..32

# Contact bands of the load between the probes (kOhm). Below 200 Ohm the
# firmware calls the load a short (SR-06); above about 40 kOhm the stage runs
# out of voltage at the lowest levels (21.5 V compliance).
CONTACT_BANDS = (
    (0.2, "short: the probes touch each other"),
    (5.0, "good contact"),
    (20.0, "fair contact: moisten the skin or the probes"),
    (float("inf"), "poor contact: dry skin or a probe lifting; add conductive gel"),
)


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


def contact_band(ohms, load_state=None) -> str:
    """Words for the contact the probes make, from the load in ohms and the firmware's load state."""
    if load_state == "open":
        return "no contact: put both probes on the skin"
    if load_state == "short":
        return CONTACT_BANDS[0][1]
    if ohms is None:
        return "not measured yet (needs current flowing)"
    kohm = ohms / 1000.0
    for top, words in CONTACT_BANDS:
        if kohm < top:
            return words
    return CONTACT_BANDS[-1][1]


def format_load(ohms, load_state=None) -> str:
    """`2.0 kOhm, good contact` (the load between the probes)."""
    band = contact_band(ohms, load_state)
    if ohms is None or load_state == "open":
        return band
    return "%.1f kOhm, %s" % (ohms / 1000.0, band)


def format_status(st: dict) -> str:
    fault = st.get("fault")
    fault_text = "none" if not fault else ("%s (code %s), latched: a reset keeps it; clear it with a long press "
                                           "of power, `clear` in bench mode, or a power cycle"
                                           % (fault.get("name"), fault.get("code")))
    load_text = format_load(st.get("load_ohms"), st.get("load"))
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


def _since_boot(ms) -> str:
    """Time since boot: `12.345 s`, `3 min 04.2 s`, `1 h 02 min 03 s`."""
    if not isinstance(ms, int):
        return _fmt_value(ms)
    s = ms / 1000.0
    if s < 60:
        return "%.3f s" % s
    if s < 3600:
        return "%d min %04.1f s" % (s // 60, s % 60)
    return _duration(s)


_END_WORDS = {"timer": "the timer ran out", "button": "the power button", "fault": "a fault",
              "battery": "a low battery", "usb": "USB power", "idle": "idling too long"}


def describe_event(kind: str, a=None, b=None) -> str:
    """An event-log record in words."""
    if kind == "boot":
        return "booted (reset cause %s, firmware %s)" % (a or "?", b or "?")
    if kind == "session_start":
        return "session started: program %s, level %s" % (a, b)
    if kind == "session_end":
        return "session ended by %s after %s s of current" % (_END_WORDS.get(str(a), a), b)
    if kind == "contact_lost":
        return "contact lost: output paused"
    if kind == "contact_back":
        return "contact back: output resumed"
    if kind == "fault":
        return "FAULT %s (code %s): output cut" % (b, a)
    if kind == "fault_latched":
        return ("fault %s (code %s) still latched from before this reset: output stays off until a long press "
                "of power, `clear` in bench mode, or a power cycle" % (b, a))
    if kind == "fault_cleared":
        return "fault %s cleared (%s)" % (a, "power button" if b == "button" else b)
    if kind == "bench":
        return "bench mode %s" % a
    if kind == "usb":
        return "USB power %s" % a
    if kind == "usb_refused":
        return "start refused: USB power present"
    if kind == "battery_low":
        return "battery low (%s mV)" % a
    if kind == "setting":
        return "setting %s changed to %s" % (a, b)
    if kind == "settings_invalid":
        return "settings file had invalid values, defaults used for: %s" % a
    if kind == "calibrated":
        return "calibrated (stage %s nA per code, sense %s uV per uA)" % (a, b)
    if kind == "auto_off":
        return "switched off after idling"
    if kind == "power_off":
        return "switched off with the power button"
    if kind == "repl":
        return "left to the MicroPython REPL (console `repl`)"
    if kind == "interrupted":
        return "interrupted by Ctrl-C: reset into the MicroPython REPL"
    if kind == "exception":
        return "firmware error in the control loop (%s): output cut" % a
    extra = " ".join(str(x) for x in (a, b) if x is not None)
    return (kind.replace("_", " ") + (" " + extra if extra else ""))


def format_record(rec) -> str:
    """One log event or fault: boot number, time since boot, what happened."""
    if not isinstance(rec, dict):
        return _fmt_value(rec)
    boot = rec.get("boot")
    when = _since_boot(rec.get("t_ms"))
    if "kind" in rec:
        what = describe_event(str(rec.get("kind")), rec.get("a"), rec.get("b"))
    elif "name" in rec:  # a fault record
        what = "FAULT %s (code %s)" % (rec.get("name"), rec.get("code"))
    else:
        what = ", ".join("%s=%s" % (k, _fmt_value(v)) for k, v in rec.items() if k not in ("boot", "t_ms", "seq"))
    return "boot %-3s %14s  %s" % ("-" if boot is None else boot, when, what)


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
            about = payload.get("about")
            if isinstance(about, list):
                return "\n".join(_help_line(a[0], a[1:]) for a in sorted(about) if isinstance(a, list) and a)
            cmds = payload.get("commands", {})
            return "\n".join(_help_line(k, v) for k, v in sorted(cmds.items()))
        if name == "hello":
            return "microwand %s on %s, console protocol %s, reset cause: %s" % (
                payload.get("fw"), payload.get("board"), payload.get("protocol"), payload.get("reset_cause"))
        width = max((len(k) for k in payload), default=0)
        return "\n".join("%-*s  %s" % (width, k, _fmt_value(v)) for k, v in payload.items()) or "ok"
    return _fmt_value(payload)


def _help_line(name: str, entry) -> str:
    """`log [n]          the newest n events` from the firmware's help entry."""
    if isinstance(entry, list) and len(entry) == 2:
        usage, what = entry
    else:
        usage, what = entry, ""
    return ("%-24s %s" % (("%s %s" % (name, usage)).rstrip(), what)).rstrip()


# ----------------------------------------------------------------- plumbing
def _connect(args) -> ConsoleClient:
    port = resolve_port(args.port)
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


# ----------------------------------------------------------------- monitor
def _kohm(s: Sample) -> str:
    return "-" if s.load_ohms is None else "%.1f" % (s.load_ohms / 1000.0)


def _run_monitor(args) -> int:
    writer = None
    csv_file = None
    if args.csv:
        path = output_file(args.csv, "--csv", example="monitor.csv")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            csv_file = open(path, "w", newline="")
        except OSError as e:
            raise WandctlError("--csv %s: cannot write it: %s" % (path, e.strerror or e)) from None
        writer = csv.writer(csv_file)
        writer.writerow(["t_ms", "setpoint_ua", "measured_ua", "state", "load_ohms"])
    plot = sys.stdout.isatty() and not args.text
    count = 0
    try:
        with _connect(args) as client:
            if plot:
                count = _monitor_plot(client, args, writer)
            else:
                print("t_ms setpoint_ua measured_ua state load_kohm", flush=True)
                for s in client.stream(args.hz, args.seconds):
                    count += 1
                    if writer:
                        writer.writerow([s.t_ms, s.setpoint_ua, s.measured_ua, s.state,
                                         "" if s.load_ohms is None else s.load_ohms])
                    print("%d %d %d %s %s" % (s.t_ms, s.setpoint_ua, s.measured_ua, s.state, _kohm(s)),
                          flush=True)
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
            writer.writerow([s.t_ms, s.setpoint_ua, s.measured_ua, s.state,
                             "" if s.load_ohms is None else s.load_ohms])
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
        top = max([x.setpoint_ua for x in samples] + [x.measured_ua for x in samples] + [50])
        plt.ylim(0, top * 1.1)  # zero stays on the axis: a small current looks small
        load = "-" if s.load_ohms is None else "%.1f kOhm, %s" % (s.load_ohms / 1000.0,
                                                                   contact_band(s.load_ohms).split(":")[0])
        plt.title("%s: measured %d uA, setpoint %d uA, load %s" % (s.state, s.measured_ua, s.setpoint_ua, load))
        plt.xlabel("seconds (%s; Ctrl-C stops)" % client.port)
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
    p.add_argument("--port", "-p", default=None, help=PORT_HELP)
    p.add_argument("--baud", type=int_range(1200, 4000000, "the baud rate"), default=115200,
                   help="baud rate of the serial port (default 115200, what the firmware uses)")
    p.add_argument("--timeout", type=positive_float("the timeout in seconds"), default=DEFAULT_TIMEOUT,
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
         "terminal, reads one command per line from stdin and prints each reply.", _run_console)

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
             "Put a known resistor (1 to 20 kOhm, e.g. 10 kOhm 1 %%) across the electrodes, start the wand "
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
