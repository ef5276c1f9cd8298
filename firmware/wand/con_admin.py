"""Console commands calibrate OHMS, set NAME VALUE, reboot, repl (loaded for
one line by wand.console)."""

from micropython import const

from wand.console import _parse_int

_OHMS_MAX = const(1000000)
_ACT_REBOOT = const(1)  # wand.console's _action values
_ACT_REPL = const(2)


def _session_running(con):
    """reboot/repl cut the output at once: not while a session runs (SR-05)."""
    st = con._target.status().get("state")
    if st in ("idle", "done", "fault"):
        return None
    return con._err("state", "stop the session first (state %s)" % st)


def run(con, name, args, now_ms):
    t = con._target
    if name == "set":
        name = args[0]
        known = t.settings_get(None)
        if not known or name not in known:
            return con._err("arg", "no setting %s: send get for the list" % name)
        value = " ".join(args[1:])
        problem = t.settings_set(name, value)
        if problem is not None:
            return con._target_err(problem, "arg")
        return con._ok(t.settings_get(name))
    if name == "calibrate":
        ohms = _parse_int(args[0], 1, _OHMS_MAX)
        if ohms is None:
            return con._err("arg", "calibrate OHMS: the known resistor in ohms, a whole number")
        refused = con._bench_only()
        if refused is not None:
            return refused
        problem = t.calibrate_start(ohms)
        if problem is not None:
            return con._target_err(problem, "state")
        con._calibrating = True
        con._cal_since = now_ms
        return None  # the reply comes from Console._calibrate_poll
    if name == "reboot":
        refused = _session_running(con)
        if refused:
            return refused
        con._action = _ACT_REBOOT
        con._action_armed = False
        return con._ok({"reboot": True})
    # repl. SR-11: the REPL relaxes the watchdog (with the output locked off):
    # from the console only in bench mode, the deliberate physical act.
    # (Ctrl-C, as mpremote sends, always leaves to the REPL the same way.)
    refused = con._bench_only() or _session_running(con)
    if refused:
        return refused
    con._action = _ACT_REPL
    con._action_armed = False
    con._stream_ms = 0
    return con._ok({"repl": True, "output": "off", "watchdog": "relaxed"})
