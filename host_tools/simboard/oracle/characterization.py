"""The output characterization (docs/safety.md): peak, r.m.s., phase charge,
net charge per cycle and frequency over a window, measured on the load.
Judges no clause.
"""

from __future__ import annotations

from simboard.oracle.current_limits import _trains
from simboard.oracle.cycles import _cycles
from simboard.oracle.trace import Trace, effective_settings
from simboard.oracle.view import sense_floor_ua


def output_figures(tr: Trace, t0: int, t1: int) -> dict:
    """The output characterization (docs/safety.md) over the whole cycles
    inside [t0, t1] ms, measured on the load: peak, r.m.s., largest phase
    charge, largest net charge of a cycle, mean amplitude while on (pulses only)."""
    cyc = [c for c in _cycles(tr) if c[0] >= t0 and c[1] <= t1]
    if cyc:
        a, b = cyc[0][0], cyc[-1][1]
    else:
        a, b = t0, t1
    env = [p for t, p in (tr.slots or [(s[0], abs(s[1])) for s in tr.samples]) if a < t <= b]
    smp = [s[1] for s in tr.samples if a <= s[0] < b]
    # (a pulse train's sense current between its pulses is not the output it regulates)
    train = [x for x in _trains(tr) if x[0] <= a]
    floor = sense_floor_ua(effective_settings(tr.settings_bytes), tr) if train and train[-1][1] else 0.5
    on = [abs(x) for x in smp if abs(x) >= floor]
    phases = [p for p in tr.phases if p[0] >= a and p[1] <= b]
    # phase durations: the on-time of each phase (a pulse train's block is
    # timed by its samples with current; a biphasic phase by its span)
    span_s = (b - a) / 1000.0
    return {
        "window_ms": [a, b],
        "cycles": len(cyc),
        "peak_ua": max(env + [abs(x) for x in smp] + [0.0]),
        "rms_ua": (sum(x * x for x in smp) / len(smp)) ** 0.5 if smp else 0.0,
        "mean_abs_ua": sum(abs(x) for x in smp) / len(smp) if smp else 0.0,
        "phase_charge_uc": max([abs(p[2]) for p in phases] + [0.0]),
        "phase_ms_max": max([p[1] - p[0] for p in phases] + [0]),
        "frequency_hz": len(cyc) / span_s if span_s > 0 else 0.0,
        "net_charge_per_cycle_uc": max([abs(c[2] + c[3]) for c in cyc] + [0.0]),
        "mean_on_ua": sum(on) / len(on) if on else 0.0,
    }
