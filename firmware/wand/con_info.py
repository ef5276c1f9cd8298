"""Console commands that read: hello, get, log, history, selftest (wand.console
imports this module for one line and drops it after the reply)."""

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
        return con._ok({"events": list(t.log_tail(n))})
    n = _HIST_MAX  # history
    if args:
        n = _parse_int(args[0], 1, _HIST_MAX)
        if n is None:
            return con._err("arg", "history [n]: n is a whole number from 1 to %d" % _HIST_MAX)
    sessions = list(t.history())
    return con._ok({"sessions": sessions[-n:]})
