"""Console commands that read: hello, get, log, history, selftest (wand.console
imports this module for one line and drops it after the reply)."""

import json

from micropython import const

from wand.console import PRODUCT, PROTOCOL, _parse_int

_LOG_DEFAULT = const(10)
_LOG_MAX = const(32)
_HIST_MAX = const(16)  # wand.history.MAX


def run(con, name, args, now_ms):
    t = con._target
    if name == "hello":
        info = dict(t.hello())
        info["product"] = PRODUCT
        info["protocol"] = PROTOCOL
        info["maxlen"] = con._maxlen
        return con._ok(info)
    if name == "get":
        name = args[0] if args else None
        values = t.settings_get(name)
        if values is None:
            return con._err("arg", "no setting %s: send get for the list" % name)
        return con._ok(values)
    if name == "selftest":
        checks = list(t.selftest())  # rows as the target made them: a tuple prints as a list too
        passed = True
        for c in checks:
            if not c[1]:
                passed = False
        return con._ok({"pass": passed, "checks": checks})
    if name == "log":
        n = _LOG_DEFAULT
        if args:
            n = _parse_int(args[0], 1, _LOG_MAX)
            if n is None:
                return con._err("arg", "log [n]: n is a whole number from 1 to %d" % _LOG_MAX)
        return _ok_rows("events", t.log_tail(n))
    n = _HIST_MAX  # history
    if args:
        n = _parse_int(args[0], 1, _HIST_MAX)
        if n is None:
            return con._err("arg", "history [n]: n is a whole number from 1 to %d" % _HIST_MAX)
    sessions = list(t.history())
    return _ok_rows("sessions", sessions[-n:])


def _ok_rows(key, rows):
    """`ok {"key": [rows]}` as one piece per row: the same text as con._ok
    makes, but no piece is longer than one row, so a long log or history
    needs no large free block on a fragmented heap (a 20-event log is 1.7 KB
    in one piece: it failed with MemoryError after repeated power cuts)."""
    out = ["ok ", '{"%s": [' % key]
    sep = ""
    for r in rows:
        out.append(sep + json.dumps(r))
        sep = ", "
    out.append("]}")
    return tuple(out)
