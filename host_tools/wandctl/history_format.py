"""The wand's session history (the console's `history` reply) as a table or as CSV."""

from __future__ import annotations

import csv
import io

FIELDS = ["seq", "boot", "start_s", "program", "level_min", "level_max", "current_s", "charge_uas",
          "net_uas", "contact_losses", "load_ohms", "ended"]
ENDED = {"timer": "timer", "button": "power button", "fault": "FAULT", "battery": "battery low",
         "usb": "USB power", "idle": "idle", "cut": "cut off (power or reset)", "console": "console stop"}


def _fmt_uas(uas: int) -> str:
    """A charge in µA·s (= µC) as `850 uC` or `60.0 mC`."""
    if abs(uas) >= 1000:
        return "%.1f mC" % (uas / 1000.0)
    return "%d uC" % uas


def _shown(text) -> str:
    """Board text made safe to print: control characters (an escape sequence coloured the terminal) shown as `?`."""
    return "".join(c if c.isprintable() else "?" for c in str(text))


def _cell(value):
    """A CSV cell a spreadsheet will not run: text starting with = + - @ gets a leading quote (numbers stay)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _start(r: dict) -> str:
    s = max(0, int(r.get("start_s", 0)))  # (a negative time read +-1:59:55)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return "boot %d +%d:%02d:%02d" % (r.get("boot", 0), h, m, s)


def format_table(sessions: list[dict]) -> str:
    if not sessions:
        return "(no sessions recorded yet)"
    head = ("#", "started", "program", "levels", "current", "charge", "net", "contact lost", "load", "ended by")
    rows = [head]
    for r in sessions:
        lv = ("%d" % r["level_min"]) if r["level_min"] == r["level_max"] else "%d-%d" % (r["level_min"],
                                                                                           r["level_max"])
        cur = int(r["current_s"])
        rows.append((_shown(r["seq"]), _start(r), _shown(r["program"]), lv, "%d:%02d" % divmod(max(0, cur), 60),
                     _fmt_uas(int(r["charge_uas"])), _fmt_uas(int(r["net_uas"])), _shown(r["contact_losses"]),
                     "-" if r.get("load_ohms") is None else "%.1f kOhm" % (r["load_ohms"] / 1000.0),
                     _shown(ENDED.get(str(r["ended"]), str(r["ended"])))))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def to_csv(sessions: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(FIELDS)
    for r in sessions:
        w.writerow(["" if r.get(k) is None else _cell(r.get(k)) for k in FIELDS])
    return buf.getvalue()
