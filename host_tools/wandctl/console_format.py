"""Readable text for the wand console's replies (status, log and fault records, self-test, settings, help)."""

from __future__ import annotations

import json

from wandctl.contact_bands import format_load


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
              "battery": "a low battery", "usb": "USB power", "idle": "idling too long",
              "console": "a console `stop`"}


def describe_event(kind: str, a=None, b=None) -> str:
    """An event-log record in words."""
    if kind == "leave" and a in ("auto_off", "power_off"):
        kind, a = a, None  # the firmware's one way out (wand.entry.leave) into deep sleep
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
    if kind == "leave":  # wand.entry.leave(): the firmware's one way out
        return LEAVE_WORDS.get(str(a), "left the firmware (%s): output off and locked, watchdog relaxed" % a)
    if kind == "repl":  # older firmware
        return "left to the MicroPython REPL (console `repl`)"
    if kind == "interrupted":  # older firmware
        return "interrupted by Ctrl-C: left to the MicroPython REPL"
    if kind == "exception":
        return "firmware error in the control loop (%s): output cut" % a
    extra = " ".join(str(x) for x in (a, b) if x is not None)
    return (kind.replace("_", " ") + (" " + extra if extra else ""))


# why the firmware left (the `leave` event's reason), in words; `auto_off` and `power_off` are deep
# sleep (above), `reboot` and `dac_held` a hard reset, every other way ends at the plain REPL with no
# reset, the output off and locked and the watchdog relaxed (wand/entry.py)
LEAVE_WORDS = {
    "interrupted": "interrupted by Ctrl-C: left to the MicroPython REPL (output off and locked, watchdog "
                   "relaxed, no reset)",
    "repl": "left to the MicroPython REPL (console `repl`: output off and locked, watchdog relaxed, no reset)",
    "reboot": "rebooting (console `reboot`): output off, hard reset",
    "dac_held": "the DAC was still held after a soft reset: output off, hard reset",
    "exception": "firmware error: left to the MicroPython REPL with the output off and locked",
}


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
