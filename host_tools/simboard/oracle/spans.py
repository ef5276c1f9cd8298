"""The time spans the clauses judge over: the sessions (each named by what
ended it), the injected loop stalls and hardware-fault windows, the runs of
flowing current, and whether contact is open at an instant. Judges no clause
itself.
"""

from __future__ import annotations

from simboard.oracle.cycles import _stage_gains
from simboard.oracle.limits import HW_FAULTS, SENSE_FAULTS
from simboard.oracle.trace import Trace, _compliance_v, _firmware
from simboard.oracle.view import _View


def sessions(v: _View):
    """The sessions, each always named: (start, end, program, ended_by).
    A session cut by a reset or a power cut says so; one still running when
    the run ended says `run_end`."""
    tr = v.tr
    marks = []
    for t, k, a in tr.events:
        if k == "session_start":
            marks.append((t, 0, "start", a))
        elif k == "session_end":
            marks.append((t, 1, "end", a))
    cuts = {t for t, act, _ in tr.actions if act == "power_cut"}
    for t, c in tr.resets:
        marks.append((t, 2, "reset", [c]))
    for t in cuts:
        marks.append((t, 2, "reset", ["power_cut"]))
    # a Ctrl-C leaves the firmware's loop (output off, the REPL): the session
    # ends there, whatever the firmware had time to log (fuzz seed 4103032514)
    for t, act, _ in tr.actions:
        if act in ("interrupt", "soft_reset"):
            marks.append((t, 2, "reset", [act]))
    marks.sort(key=lambda m: (m[0], m[1]))
    out = []
    cur = None
    for t, _o, kind, a in marks:
        if kind == "start":
            if cur is not None:
                out.append(dict(cur, end=t, ended_by="restarted"))
            cur = {"start": t, "program": a[0] if a else "?", "level": a[1] if len(a) > 1 else "?"}
        elif kind == "end" and cur is not None:
            why = a[0] if a else ""
            out.append(dict(cur, end=t, ended_by=why or "", delivered_s=int(a[1]) if len(a) > 1 else -1))
            cur = None
        elif kind == "reset" and cur is not None:
            name = {"wdt": "watchdog_reset", "power_on": "power_cut", "power_cut": "power_cut",
                    "interrupt": "interrupt", "soft_reset": "soft_reset"}.get(a[0], a[0] + "_reset")
            out.append(dict(cur, end=t, ended_by=name))
            cur = None
    if cur is not None:
        out.append(dict(cur, end=tr.end_ms, ended_by="run_end"))
    return out


def _stalls(tr: Trace):
    """(start, end) of every loop stall the scenario injects (ms). One asked
    for while another runs starts after that one ends, at the loop's next
    sleep, up to a 10 ms tick later: the simulator adds them up (two 300 ms
    stalls asked for 10 ms apart held the loop from 172 to 472 and from 482
    to 782 ms, and a lift at the end of the second was judged as seen by
    the firmware: fuzz round 36)."""
    out = []
    end = None
    for x, act, a in sorted((r for r in tr.actions if r[1] == "stall"), key=lambda r: r[0]):
        d = float(a[0]) if a else 3000.0
        s = x if end is None or x >= end else end + 10
        out.append((s, s + d))
        end = s + d
    return out


def _held(stalls, a, b):
    """ms of [a, b) that loop stalls beginning in it held the firmware for."""
    return sum(min(end, b) - x for x, end in stalls if a <= x < b)


def _fault_windows(tr: Trace):
    """(t0, t1, kind) where a hardware fault (stage gain or sense) was injected."""
    out = []
    active = {}
    for t, act, args in tr.actions:
        if act != "inject" or not args:
            continue
        key, _, val = args[0].partition("=")
        if key == "clear":
            for k, t0 in active.items():
                out.append((t0, t, k))
            active = {}
        elif key in HW_FAULTS + SENSE_FAULTS:
            if key in ("gain_drift", "sense_gain") and val and abs(float(val) - 1.0) < 1e-9:
                if key in active:
                    out.append((active.pop(key), t, key))
                continue
            active.setdefault(key, t)
    for k, t0 in active.items():
        out.append((t0, tr.end_ms + 1, k))
    return out


def _flow_runs(v: _View, a, b, gap=1000, probes=True):
    """Spans with current between a and b (gaps up to `gap` ms bridged);
    probes=False leaves out the contact probe's pulses while the firmware
    says no contact (SR-06 allows them; they are not stimulation)."""
    runs = []
    probe_max = v.probe_ua * 1.5 + 3
    spans = v.probing
    for s in v.tr.samples:
        if s[0] < a or s[0] > b or abs(s[1]) < 0.5:
            continue
        if not probes and abs(s[1]) <= probe_max and any(x <= s[0] < y for x, y in spans):
            continue
        if runs and s[0] - runs[-1][1] <= gap:
            runs[-1][1] = s[0] + v.dt
        else:
            runs.append([s[0], s[0] + v.dt])
    return runs


def _nominal_ua(v, s):
    return s[2] * v.ua_per_code


def _setpoint_ua(v: _View, t=None):
    """The level's setpoint at t: the settings' level, or the last level the
    firmware reported (`level` events) by then (a level pressed up to where a
    100 kOhm load is past the compliance made the firmware call it no contact,
    and the oracle, at the settings' level, judged the session's end: fuzz
    round 18)."""
    eff = v.eff
    level = eff["level"]
    if t is not None:
        for x, kind, a in v.tr.events:
            if x > t:
                break
            if (kind == "level" and a) or (kind == "session_start" and len(a) > 1):
                try:
                    level = int(a[0] if kind == "level" else a[1])
                except (TypeError, ValueError):
                    pass
    return min(eff["user_max_ua"], max(100, eff["user_max_ua"] * level // 10))


def _pushed_ua(v: _View, t):
    """What the stage pushes for the level's setpoint at t: the firmware sets
    its codes by the stored stage gain, and the stage's own gain (with a
    gain_drift injected by then) carries them. (A stage x2 from boot made a
    200 kOhm load past the compliance at the 100 uA setpoint, 40 V, and the
    firmware rightly saw no contact to pay a debt into; judged at 20 V, the
    oracle asked for the payment: fuzz round 39.)"""
    settings, _, _ = _firmware()
    try:
        f = settings.defaults()["cal_gain_na"] / v.eff["cal_gain_na"]
    except (KeyError, ZeroDivisionError, TypeError):
        f = 1.0
    g = 1.0
    for x, new in _stage_gains(v.tr):
        if x > t:
            break
        g = new
    # the trim takes a stage that pushes more back by up to 15 % (regulator.TRIM_MIN;
    # it raises one that pushes less by at most 4 %): judged at the least it can push
    fg = f * g
    return _setpoint_ua(v, t) * (fg * 870 / 1024 if fg * 870 / 1024 > 1.0 else min(fg, 1.0))


def _contact_open_at(v: _View, t):
    """No contact at t: the last lift after the last return, or a return onto
    a resistor the stage cannot drive the setpoint into (a lift, SR-06)."""
    last = None
    for x in v.lifts:
        if x <= t:
            last = ("off", x) if last is None or x >= last[1] else last
    for x in v.returns:
        if x <= t and (last is None or x >= last[1]):
            last = ("on", x)
    # (no lift or return yet: the run's starting load, when a resistor; a run
    # started on one past the compliance was judged as in contact, red team rt2)
    ohms = getattr(v.tr, "load_ohms", None) if last is None else \
        (v.return_ohms.get(last[1]) if last[0] == "on" else None)
    if ohms is not None and ohms * _pushed_ua(v, t) * 1e-6 >= 0.95 * _compliance_v():
        return True
    return last is not None and last[0] == "off"


def _ended_at(tr: Trace, t, is_start, is_end):
    """When what an action at t began (the first there that is_start(act,
    args)) was ended by an action that is_end(act, args): after it in time,
    or at the same instant listed after it (the simulator applies a script's
    actions of one instant in its order: a sense fault injected and cleared
    at 0 ms never was one, fuzz round 29). The run's end if none."""
    acts = tr.actions
    i = next((j for j, (x, act, a) in enumerate(acts) if x == t and is_start(act, a)), -1)
    return min([x for j, (x, act, a) in enumerate(acts) if (x > t or x == t and j > i) and is_end(act, a)]
               + [tr.end_ms])


# SR-09: bench mode is the level button held at power-up (power applied, or the power button's wake from the idle
# auto-off): pressed within the firmware's first 150 ms and still held at 1 s.
_POWER_UPS = ("power_on", "deepsleep")
_BENCH_HELD_FROM_MS = 200  # after the boot: the firmware's 150 ms and a debounce
_BENCH_WINDOW_MS = 900  # its bench event comes at least the 1 s window after its boot (less the 20 us clock steps)


def _pressed_spans(tr: Trace, button):
    """The spans [a, b) in which the button was held, from the run's inputs."""
    held, since = [], None
    for t, act, args in sorted(tr.actions, key=lambda x: x[0]):
        if not args or args[0] != button:
            continue
        if act == "press":
            held.append((t, t + int(float(args[1]) * 1000) if len(args) > 1 else t + 200))
        elif act == "hold" and since is None:
            since = t
        elif act == "release" and since is not None:
            held.append((since, t))
            since = None
    if since is not None:
        held.append((since, tr.end_ms + 1))
    return held


def bench_spans(tr: Trace):
    """When the firmware was in bench mode (from its `bench` event to the next reset or power cut), each as
    (start, end, why_not): why_not is None for bench mode the user asked for, else what was wrong with it."""
    boots = [(0, "power_on")] + sorted(tr.resets) + [(t, "power_cut") for t, act, _ in tr.actions if act == "power_cut"]
    boots.sort()
    held = _pressed_spans(tr, "level")
    out = []
    for t, k, _a in tr.events:
        if k != "bench":
            continue
        # its boot: the last one a bench window (1 s) before it; a reset in the same millisecond after it, a
        # watchdog's as the window closed, is the next one (fuzz round 68)
        boot_t, cause = max([b for b in boots if b[0] <= t - _BENCH_WINDOW_MS] or boots[:1], key=lambda b: b[0])
        end = min([b[0] for b in boots if b[0] > boot_t] + [tr.end_ms])
        why = None
        if cause not in _POWER_UPS or not woken_by_a_press(tr, boot_t, cause):
            why = "after a %s reset, not a power-up" % cause
        elif not any(a <= boot_t + _BENCH_HELD_FROM_MS and b >= t - 50 for a, b in held):
            why = "without the level button held from the power-up at %d ms" % boot_t
        out.append((t, end, why))
    return out


def woken_by_a_press(tr: Trace, t, cause):
    """A deep-sleep wake at t is a power-up only if a press of the power button woke it: one held since before the
    sleep began (the switch-off's own long press, a stuck button) woke the chip at once (red team rt7)."""
    if cause != "deepsleep":
        return True
    slept = max([x for x, k, a in tr.events if k == "leave" and x <= t] + [0])
    return not any(a <= slept and b >= t for a, b in _pressed_spans(tr, "power"))
