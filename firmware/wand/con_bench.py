"""Console commands start, stop, level N, clear (bench mode; loaded for one
line by wand.console)."""

from wand.console import _parse_int


def _state_reply(con):
    st = con._target.status()
    return con._ok(
        {
            "state": st.get("state"),
            "level": st.get("level"),
            "setpoint_ua": st.get("setpoint_ua"),
            "fault": st.get("fault"),
        }
    )


def run(con, name, args, now_ms):
    t = con._target
    if name == "stop":
        problem = t.bench_stop()
        if problem is not None:
            return con._target_err(problem, "denied")
        return _state_reply(con)
    n = 0
    if name == "level":
        n = _parse_int(args[0], 0, 1000)
        if n is None:
            return con._err("arg", "level N: N is a whole number")
    refused = con._bench_only()
    if refused is not None:
        return refused
    if name == "start":
        problem = t.bench_start()
        default = "denied"
    elif name == "level":
        problem = t.bench_level(n)
        default = "arg"
    else:  # clear
        problem = t.clear_fault()
        default = "state"
    if problem is not None:
        return con._target_err(problem, default)
    return _state_reply(con)
