"""Judges contact and session time: SR-06 (a lift cuts the output and tells
the user, a short stops the session with a fault, no overshoot when contact
returns) and SR-07 (a session gives no more current than planned, the board
turns itself off when idle).
"""

from __future__ import annotations

from simboard.oracle.limits import (
    LIFT_MAX_MS,
    OVERSHOOT_MAX,
    SAMPLE_SLACK_MS,
    SESSION_HARD_S,
    SHORT_JUDGE_UA,
    SHORT_MAX_MS,
    SHORT_OHMS,
    TOLD_MAX_MS,
)
from simboard.oracle.spans import (
    _ended_at,
    _flow_runs,
    _held,
    _nominal_ua,
    _stalls,
    bench_spans,
    sessions,
    woken_by_a_press,
)
from simboard.oracle.trace import _clause
from simboard.oracle.view import _View


def _is_short(act, a):
    """The action that shorts the probes: `inject short` or a load below SHORT_OHMS."""
    key, _, val = a[0].partition("=") if a else ("", "", "")
    try:
        if act == "load" or act == "inject" and key == "load_ohms":
            return float(a[0] if act == "load" else val) < SHORT_OHMS
    except ValueError:
        return False
    return act == "inject" and key == "short" and val not in ("off", "0")


def _running_at(tr, t):
    """The session's last reported state before t is `running`."""
    st = None
    for x, kind, a in tr.events:
        if x >= t:
            break
        if kind == "state" and a:
            st = a[0]
    return st == "running"


def sr06(v: _View):
    tr = v.tr
    spans = [(s["start"], s["end"]) for s in sessions(v)]  # (a reset, a power cut or a Ctrl-C ends one)
    bad = []
    smp = tr.samples
    lift_ms, told_ms, short_ms, overs, short_drive = [], [], [], [], []
    probe_max = v.probe_ua * 1.5 + 3
    stalls = _stalls(tr)
    # what ends a lift: contact back, or the probes on a short (its own clause
    # then: a 11 ms lift that ended on 100 Ohm was judged a lift never cut, its
    # short's fault 850 ms later; fuzz round 41)
    backs = sorted(v.returns + v.shorts)
    for t in v.lifts:
        # the loop stalled: nothing runs to see the lift until the stall ends
        # (or the watchdog resets the chip, SR-02): judged from the stall's end
        inside = [end for x, end in stalls if x <= t < end]
        t_lift = t
        before = [s for s in smp if t - 30 <= s[0] < t]
        if inside:
            t = int(max(inside))
        judgeable = bool(before) and max(_nominal_ua(v, s) for s in before) > max(probe_max, 20)
        # a current flowing in every sample before it, however small (a pulse train's sense
        # current between its pulses, a ramp's start), or a session running (its envelope at
        # the setpoint: a pulse train's gap is no reason not to see it): the firmware sees an
        # open load by its compliance voltage at any current, so the user is told counted from
        # the lift itself (from the next pulse, it was told up to 421 ms late: red team rt3)
        # (inside a session the firmware has not left: a Ctrl-C 2 ms before a lift, fuzz round 46)
        live = t_lift in v.open_lifts and any(a <= t < b for a, b in spans)
        sensed = bool(before) and live and (_running_at(tr, t) or min(abs(s[1]) for s in before) >= 0.5)
        if sensed and not _running_at(tr, t):
            # the output ended by itself within a sample of the lift (a pause's last code of its
            # ramp-down, 2 ms before a lift the 10 ms samples could not show): nothing flowed
            # into the open load for the firmware to see (a sweep of stalls in pauses)
            # (and stayed off: a pause of `lift` dithers between codes 1 and 0, sample to sample, and
            # a firmware that went on driving the open load was excused by one 0: review)
            after = next((s for s in smp if s[0] >= t_lift), None)
            till = min([x for x in backs if x > t_lift] + [t_lift + TOLD_MAX_MS + SAMPLE_SLACK_MS])
            sensed = not (after is not None and after[0] - t_lift < tr.sample_ms
                          and all(s[2] == 0 for s in smp if t_lift <= s[0] < till))
        if not judgeable and not sensed:
            continue  # nothing was flowing when it was lifted
        if any(t - 30 <= f <= t for f in v.faults):
            continue
        # The output can only go to zero once it next drives current into the
        # open load: count that from there.
        drive = next((s[0] for s in smp if s[0] >= t and _nominal_ua(v, s) > probe_max), None)
        if any(t_lift < x <= (t if sensed else drive or t) for x in backs):
            continue  # contact was back before anything could sense the lift (a flap; inside a loop stall)
        if not sensed:
            if drive is None:
                continue
            t = drive
        nxt = min([x for x in backs if x > t] + [x for x, _ in tr.resets if x > t] + [tr.end_ms])
        if drive is not None and drive < nxt:
            # output to zero: the DAC back to nothing or the probe
            z = next((s[0] for s in smp if s[0] >= drive and _nominal_ua(v, s) <= probe_max), None)
            if z is None or z > nxt:
                if nxt - drive > LIFT_MAX_MS + SAMPLE_SLACK_MS:
                    bad.append("SR-06: lifted at %d ms, the output never went to zero" % drive)
                continue
            lift_ms.append(z - drive)
            if z - drive > LIFT_MAX_MS + SAMPLE_SLACK_MS:
                bad.append("SR-06: lifted at %d ms, output at zero only after %d ms" % (drive, z - drive))
        # the user told: an LED/tone pattern not seen in the 2 s before (since
        # contact last came back: the no-contact pattern of a lift just before
        # is not what the wand showed while it ran; fuzz seed 3550187617)
        # (a return under a sample before the lift shows nothing: contact flapping 1 ms on, 1 ms off after a
        # lift and a return 1.6 s before left no window, and the 2 s one held that lift's pattern: fuzz round 64)
        since = max([t - 2000] + [x for x in v.returns + v.fw_returns if x <= t - tr.sample_ms])
        seen = {(s[3], s[4], s[5]) for s in smp if since <= s[0] < t} or \
            {(s[3], s[4], s[5]) for s in smp if t - 2000 <= s[0] < t}
        told = next((s[0] for s in smp if s[0] >= t and (s[3], s[4], s[5]) not in seen), None)
        if told is not None and told <= nxt:
            told_ms.append(told - t)
            # (a loop stall that began after the lift held the firmware that long: a 150 ms one 9 ms
            # after a lift, told 8 ms after it ended, read 168 ms; a sweep of stalls in pauses)
            if told - t - _held(stalls, t, told) > TOLD_MAX_MS + SAMPLE_SLACK_MS:
                bad.append("SR-06: lifted at %d ms, the user was told only after %d ms" % (t, told - t))
        elif nxt - t - _held(stalls, t, nxt) > TOLD_MAX_MS + SAMPLE_SLACK_MS:
            bad.append("SR-06: lifted at %d ms, the user was never told" % t)
    for t in v.shorts:
        t_short = t
        # judged from the first instant a judgeable current flows into it (the
        # lowest setpoint, clamped: 85 uA of command; a ramp paused below it
        # shows the sense nothing to judge)
        first = next((s[0] for s in smp if s[0] >= t and _nominal_ua(v, s) >= SHORT_JUDGE_UA
                      and abs(s[1]) >= 1.0), None)
        if first is None:
            continue
        t = first
        end = _ended_at(tr, t_short, _is_short,
                        lambda act, a: act == "inject" and a and a[0] in ("short=off", "clear")
                        or act in ("load", "power_cut", "contact"))
        if end <= t:
            continue  # the short was gone before any current flowed into it
        # Judged on the time the output drove a judgeable current into it (a
        # pulse train's gaps, a pause, a ramp below 85 uA show the sense
        # nothing), summed over the whole short: a pause does not restart the
        # count. The fault must come within SHORT_MAX_MS of that drive; a
        # short the output stopped driving (the user paused or stopped, the
        # short went away) before SHORT_MAX_MS of it needs none.
        fault = next((f for f in v.faults if t - 20 <= f <= end + 50), None)
        stop = fault if fault is not None else end
        drive = sum(v.dt for s in smp if t <= s[0] < stop and _nominal_ua(v, s) >= SHORT_JUDGE_UA
                    and abs(s[1]) >= 1.0)
        if fault is None:
            if any(t < x <= end for x in v.disturb if x != t_short):
                continue  # something else (a lift, a load step) ended it
            if drive > SHORT_MAX_MS + SAMPLE_SLACK_MS:
                bad.append("SR-06: a short at %d ms was driven for %d ms and never stopped the session with "
                           "a fault" % (t, drive))
                short_ms.append(end - t)
            continue
        short_ms.append(fault - t)
        short_drive.append(drive)
        if drive > SHORT_MAX_MS + SAMPLE_SLACK_MS:
            bad.append("SR-06: a short at %d ms stopped the output after %d ms (%d ms of drive)"
                       % (t, fault - t, drive))
    # overshoot after contact returns
    for t_on in v.returns:
        lifts = [x for x in v.lifts if x < t_on]
        if not lifts:
            continue
        t_off = lifts[-1]
        # the setpoint before the lift: the peak over one polarity period of
        # the slowest program (a pulse train's negative block runs at its mean)
        pre = v.env_between(t_off - 6500, t_off - 20)
        if not pre or max(pre) < 20:
            continue
        presses = [x for x, act, a in tr.actions if act in ("press", "hold", "release") and t_off - 6500 <= x]
        nxt = min([x for x in v.disturb if x > t_on] + presses + [t_on + 15000, tr.end_ms])
        if any(x <= t_on for x in presses if x >= t_off - 6500):
            continue
        if any(t_off - 6500 <= x < t_off for x in v.disturb):
            continue  # something else moved the current before the lift
        post = v.env_between(t_on + 10, nxt - 10)
        if not post:
            continue
        a0 = max(pre)
        o = (max(post) - a0) / a0
        overs.append(o)
        if max(post) > a0 * (1 + OVERSHOOT_MAX) + 2.5:
            bad.append("SR-06: after contact returned at %d ms the current reached %.1f uA, %.1f %% over "
                       "the %.1f uA before the lift" % (t_on, max(post), o * 100, a0))
    n = len(lift_ms) + len(short_ms) + len(overs)
    return _clause(not bad, n, lifts=len(lift_ms), lift_to_zero_max_ms=max(lift_ms, default=0),
                   lift_to_told_max_ms=max(told_ms, default=0), shorts=len(short_ms),
                   short_to_fault_max_ms=max(short_ms, default=0),
                   short_drive_to_fault_max_ms=max(short_drive, default=0), returns=len(overs),
                   overshoot_max_pct=round(max(overs, default=0.0) * 100, 2)), bad


def sr07(v: _View, sess):
    tr = v.tr
    bad = []
    planned = min(v.eff["session_min"] * 60, SESSION_HARD_S)
    worst = 0.0
    for s in sess:
        on = sum(b - a for a, b in _flow_runs(v, s["start"], s["end"] + 500, probes=False)) / 1000.0
        s["current_s"] = round(on, 2)
        worst = max(worst, on)
        if on > SESSION_HARD_S or on > planned + 5:
            bad.append("SR-07: a session gave %.1f s of current (planned %d s, hard limit 1200 s)" % (on, planned))
    # idle auto-off: the LEDs go dark (deep sleep) within idle_off_s of the
    # last activity (a button, current, a boot), unless in bench mode
    idle_s = v.eff["idle_off_s"]
    benches = bench_spans(tr)
    bench = bool(benches)
    asked = [(a, b) for a, b, why in benches if why is None]  # (one not asked for is SR-09's, and idles off)
    act = [0] + [t for t, a, _ in tr.actions if a in ("press", "hold", "release", "power_on")]
    # (a reset restarts the firmware's idle clock; but a watchdog reset that
    # follows another within idle_off_s is no new activity: a loop of them
    # kept a faulted wand awake for ever, red team rt4)
    last_wdt = None
    for t, cause in tr.resets:
        if not woken_by_a_press(tr, t, cause):
            continue  # (a wake by a button held since before the sleep is no activity: red team rt7)
        if cause == "wdt":
            if last_wdt is not None and t - last_wdt < idle_s * 1000:
                last_wdt = t
                continue
            last_wdt = t
        act.append(t)
    flows = _flow_runs(v, 0, tr.end_ms, 200)
    act += [r[1] for r in flows]
    act.sort()
    lit = [s[0] for s in tr.samples if s[3] or s[4] or s[5]]
    import bisect

    idle_worst = 0.0
    idle_n = 0
    if lit:
        for i, t in enumerate(act):
            nxt = act[i + 1] if i + 1 < len(act) else tr.end_ms
            # the last lit instant before the next activity
            k = bisect.bisect_left(lit, nxt) - 1
            if k < 0 or lit[k] < t:
                continue
            awake = lit[k] - t
            if nxt - t < idle_s * 1000 + 8000:
                continue  # not idle long enough to judge
            if any(a < nxt and b > t for a, b in flows):
                continue  # current flowed in between: a session, not idling
            if any(a < nxt and b > t for a, b in asked):
                continue  # bench mode: no idle auto-off
            idle_n += 1
            idle_worst = max(idle_worst, awake / 1000.0)
            if awake > idle_s * 1000 + 8000:
                bad.append("SR-07: still on %d s after the activity at %d ms (idle off after %d s)"
                           % (awake // 1000, t, idle_s))
    return _clause(not bad, len(sess) + idle_n, sessions=len(sess), current_max_s=round(worst, 2),
                   planned_s=planned, idle_judged=idle_n, awake_after_idle_max_s=round(idle_worst, 1),
                   idle_off_s=idle_s, bench=bench), bad
