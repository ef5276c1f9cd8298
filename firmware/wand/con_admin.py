"""Console commands calibrate OHMS, set NAME VALUE, reboot, repl (loaded for
one line by wand.console). A calibration's poll and a reboot/repl's hand-over
run once per tick afterwards: the console keeps those functions (and so this
module's code) only until they are done."""

from micropython import const

from wand.console import _exc_text, _one_line, _parse_int

_OHMS_MAX = const(1000000)
_CALIBRATE_TIMEOUT_MS = const(15000)
_ACTION_DELAY_MS = const(50)  # after the reply has left, before reboot/repl


def _calibrate_poll(con, now_ms):
    try:
        result = con._target.calibrate_poll()
    except Exception as e:
        con.internal += 1
        result = "internal " + _exc_text(e)
    if result is None:
        if now_ms - con._cal_since < _CALIBRATE_TIMEOUT_MS:
            return
        result = "internal calibration did not finish within %d s" % (_CALIBRATE_TIMEOUT_MS // 1000)
    con._calibrating = None
    if isinstance(result, dict):
        con._queue(con._ok(result))
    else:
        con._queue(con._target_err(result, "state"))


def _pending_action(con, now_ms):
    """reboot/repl: let the reply leave completely, then hand over."""
    if con._tx:
        con._drain(now_ms)
        return
    if not con._action_armed:
        con._action_armed = True
        con._action_at = now_ms + _ACTION_DELAY_MS
        return
    if now_ms - con._action_at < 0:
        return
    con._action = None
    repl = con._action_repl
    try:
        if repl:
            con._target.enter_repl()
        else:
            con._target.reboot()
    except Exception as e:
        con.internal += 1
        con._tx.append("# %s failed: %s\r\n" % ("repl" if repl else "reboot", _one_line(_exc_text(e))))


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
        con._calibrating = _calibrate_poll
        con._cal_since = now_ms
        return None  # the reply comes from _calibrate_poll
    if name == "reboot":
        refused = _session_running(con)
        if refused:
            return refused
        con._action = _pending_action
        con._action_repl = False
        con._action_armed = False
        return con._ok({"reboot": True})
    # repl. SR-11: the REPL relaxes the watchdog (with the output locked off):
    # from the console only in bench mode, the deliberate physical act.
    # (Ctrl-C, as mpremote sends, always leaves to the REPL the same way.)
    refused = con._bench_only() or _session_running(con)
    if refused:
        return refused
    con._action = _pending_action
    con._action_repl = True
    con._action_armed = False
    con._stream_ms = 0
    return con._ok({"repl": True, "output": "off", "watchdog": "relaxed"})
