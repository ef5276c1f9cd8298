"""The on-device checks of `wandctl test` over the console: `hello`, the firmware's
`selftest`, and optionally a short session ramp in bench mode on a dummy load
(SR-05 slope, SR-08 follow, back to zero after `stop`). Each check is a
{"name", "ok", "detail"} row.
"""

from __future__ import annotations

import json
import time

RAMP_LIMIT_UA_PER_S = 200.0
FOLLOW_FROM_UA = 50  # ramp.follows judges setpoints from this up
DESIGN_RAMP_UA_PER_S = 90  # the firmware's ramp (wand/session.py RAMP_UA_PER_S)
SLOPE_WINDOW_S = 0.3  # ramp.slope_sr05 judges the rise over windows this long
# The shortest ramp the checks can judge: the setpoint must pass FOLLOW_FROM_UA (about 0.6 s at the
# design ramp) and be sampled (every 0.1 s) over more than one slope window; shorter, ramp.follows
# fails and blames the dummy load.
RAMP_SECONDS_MIN = 1.0


def _check(results, name, ok, detail):
    results.append({"name": name, "ok": bool(ok), "detail": detail})


def run_checks(port: str, ramp: bool = False, ramp_seconds: float = 3.0) -> list[dict]:
    from wandctl.console_client import BoardError, ConsoleClient

    results: list[dict] = []
    with ConsoleClient(port) as c:
        hello = c.hello()
        _check(
            results,
            "hello",
            True,
            "firmware %s, protocol %s, board %s, reset cause %s"
            % (hello.get("fw"), hello.get("protocol"), hello.get("board"), hello.get("reset_cause")),
        )
        st = c.call("selftest", timeout=10)
        checks = st.get("checks", []) if isinstance(st, dict) else []
        if not checks:
            _check(results, "selftest", False, "the firmware returned no checks: %s" % json.dumps(st)[:120])
        for name, ok, detail in checks:
            _check(results, "selftest." + name, ok, detail)
        if ramp:
            _ramp(c, results, ramp_seconds, BoardError)
    return results


def _ramp(c, results, seconds, BoardError):
    status = c.call("status")
    if not status.get("bench"):
        _check(
            results,
            "ramp",
            False,
            "not in bench mode: hold the level button while powering the wand up, "
            "put a dummy load (about 2 kOhm) across the electrodes, and run again",
        )
        return
    if status.get("fault"):
        _check(results, "ramp", False, "a fault is latched (%s): clear it first" % status.get("fault"))
        return
    try:
        c.call("start")
    except BoardError as e:
        _check(results, "ramp.start", False, str(e))
        return
    samples = []
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < seconds:
            s = c.call("status")
            samples.append(
                (
                    time.monotonic() - t0,
                    s.get("setpoint_ua", 0),
                    s.get("measured_ua", 0),
                    s.get("state"),
                    s.get("fault"),
                )
            )
            time.sleep(0.1)
    finally:
        ok, reply = c.command("stop")
        if not ok:  # a session that already ended (fault) is no error by itself; record it
            _check(results, "ramp.stop", "no session" in str(reply.get("message")), "stop: %s" % reply)
    faults = [f for *_, f in samples if f]
    _check(results, "ramp.no_fault", not faults, "fault %s during the ramp" % faults[0] if faults else "none")
    rising = [(t, sp) for t, sp, *_ in samples]
    top = max((sp for _, sp in rising), default=0)
    _check(results, "ramp.rises", top > 0, "setpoint reached %d uA in %.1f s" % (top, seconds))
    worst = 0.0
    for i, (t1, a) in enumerate(rising):  # slope over windows of at least 0.3 s
        for t2, b in rising[i + 1 :]:
            if t2 - t1 >= SLOPE_WINDOW_S:
                worst = max(worst, (b - a) / (t2 - t1))
                break
    # host-side timing adds jitter: allow 25 % over the SR-05 slope
    _check(
        results,
        "ramp.slope_sr05",
        worst <= RAMP_LIMIT_UA_PER_S * 1.25,
        "steepest rise %.0f uA/s (limit %.0f uA/s)" % (worst, RAMP_LIMIT_UA_PER_S),
    )
    # The measured current is instantaneous (an asymmetric biphasic phase may be lower than the
    # envelope), so: never above the setpoint (+10 %, +10 uA: the SR-01 monitor band), and it
    # reaches the setpoint at some point.
    over = [(sp, m) for _, sp, m, *_ in samples if m > sp * 1.10 + 10]
    _check(
        results,
        "ramp.not_above_setpoint",
        not over,
        "never above the setpoint" if not over else "measured above setpoint: %s" % over[:3],
    )
    reached = [(sp, m) for _, sp, m, *_ in samples if sp >= FOLLOW_FROM_UA and m >= 0.8 * sp]
    _check(
        results,
        "ramp.follows",
        bool(reached),
        "measured reached the setpoint (%s uA)" % (reached[-1][1] if reached else "-")
        if reached
        else "measured never came within 20 % of the setpoint: is the dummy load connected?",
    )
    end = time.monotonic() + 5 + top / RAMP_LIMIT_UA_PER_S
    last = None
    while time.monotonic() < end:
        last = c.call("status")
        if last.get("setpoint_ua", 0) == 0 and last.get("measured_ua", 0) <= 5:
            break
        time.sleep(0.2)
    ok = last is not None and last.get("setpoint_ua", 0) == 0
    _check(results, "ramp.stops", ok, "back to %s uA after stop" % (last or {}).get("measured_ua"))
