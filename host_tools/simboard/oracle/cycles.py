"""Polarity phases and cycles of the output, measured on the plant: the
positive/negative phase pairs, the phase still open when the run ended, the
firmware's tick and the charge of one DAC code held for it, and the steps of
the stage's gain. Judges no clause itself (SR-04 and SR-05 build on it).
"""

from __future__ import annotations

import bisect

from simboard.oracle.trace import Trace, _firmware
from simboard.oracle.view import _View


def _close_open_phase(tr: Trace):
    """The plant closes a phase when the polarity changes: the last one is
    still open when the run ends (its charge is `open_phase_uc`)."""
    q = float(tr.plant.get("open_phase_uc", 0.0) or 0.0)
    if q != 0.0 and not getattr(tr, "_open_closed", False):
        t0 = tr.phases[-1][1] if tr.phases else 0
        # it began where current flowed again after the last closed phase (a
        # later session's, not the end of the one before)
        t0 = next((s[0] for s in tr.samples if s[0] >= t0 and abs(s[1]) >= 0.5), t0)
        last_flow = max([s[0] for s in tr.samples if abs(s[1]) >= 0.5] + [t0])
        tr.phases = list(tr.phases) + [(t0, max(t0, last_flow + tr.sample_ms), q)]
        tr._open_closed = True
        tr._open_t0 = t0


def _cycles(tr: Trace):
    """(t0, t1, q_pos, q_neg) from the exact phase records: a positive phase and
    the negative one after it."""
    ph = [p for p in tr.phases if p[2] != 0]
    out = []
    i = 0
    while i + 1 < len(ph):
        p, q = ph[i], ph[i + 1]
        if p[2] > 0 and q[2] < 0:
            out.append((p[0], q[1], p[2], q[2]))
            i += 2
        else:
            i += 1
    return out


def _tick_ms(v: _View, t):
    """The firmware's loop period for the program running at t: 5 ms for
    phases under 10 ms (programs.tick_ms_for), else 10. A phase of one 10 ms
    tick (a contact probe's pulse) shows 9 ms long on the plant, whose
    current leaves zero a little after the tick begins; one of `smooth`'s
    5 or 6 ms: the line is 8 (fuzz round 25, `pulse` judged at 5 ms)."""
    ends = _phase_ends(v.tr)
    if ends is None:
        ph = [p for p in v.tr.phases if p[1] <= t][-4:]
    else:  # (the same, by bisection: a 2-minute `smooth` session took 60 s to judge, a 20-minute one hours)
        k = bisect.bisect_right(ends, t)
        ph = v.tr.phases[max(0, k - 4):k]
    return 5 if ph and min(p[1] - p[0] for p in ph) < 8 else 10


def _phase_ends(tr: Trace):
    """The phases' end times, when they are in order (they are, from the plant), else None; kept with the
    phase list they were read from (`_close_open_phase` replaces it)."""
    ph = tr.phases
    key = (len(ph), ph[0] if ph else None, ph[-1] if ph else None)  # (a list changed in place: a review)
    c = getattr(tr, "_ends_cache", None)
    if c is None or c[0] is not ph or c[1] != key:
        ends = [p[1] for p in ph]
        c = (ph, key, ends if all(a <= b for a, b in zip(ends, ends[1:], strict=False)) else None)
        tr._ends_cache = c
    return c[2]


def _code_tick_uc(v: _View, t):
    """One DAC code held for one tick of the program at t (µC), at the stage's
    gain plus its 10 % tolerance, times a gain_drift in effect at t that
    raised it: the resolution of the output's charge (x1.09 made one code
    for a tick 1.2 nominal ones, a ramp-down's last cycle's residue: fuzz
    round 48)."""
    _, board, _ = _firmware()
    g = 1.0
    for x, new in _stage_gains(v.tr):
        if x <= t:
            g = new
    return board.STAGE_UA_PER_CODE * 1.1 * max(1.0, g) * _tick_ms(v, t) / 1000.0


def _stage_gains(tr: Trace):
    """The stage's gain over the run, as (t, gain) at each change in time
    order: a gain_drift injection sets it, a clear puts it back to 1."""
    c = getattr(tr, "_gains_cache", None)
    if c is not None and c[0] is tr.actions and c[1] == tr.actions:  # (the same list, unchanged in place)
        return c[2]
    out = []
    for t, act, args in sorted(tr.actions, key=lambda x: x[0]):
        if act != "inject" or not args:
            continue
        key, _, val = args[0].partition("=")
        if key == "clear":
            out.append((t, 1.0))
        elif key == "gain_drift":
            try:
                out.append((t, float(val) if val else 1.0))
            except ValueError:
                continue
    tr._gains_cache = (tr.actions, list(tr.actions), out)
    return out


def _gain_steps(v: _View, a, b):
    """The relative steps of the stage's gain (gain_drift injections) between
    a and b. The engine balances DAC codes; a step inside a half makes the
    codes after it carry a different current, which the firmware cannot tell
    from a sense that drifted (docs/safety.md, residual risks): up to the step
    times one phase is left, once."""
    g = 1.0
    total = 0.0
    for t, new in _stage_gains(v.tr):
        if a <= t <= b and new > 0 and g > 0:
            total += abs(new / g - 1.0)
        g = new
    return total
