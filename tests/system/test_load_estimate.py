"""The firmware's load estimate (Regulator.load_ohms, shown by `status`, `monitor`, the sim summary)
against the simulated plant's true resistor, at several loads, levels and programs.

It once read a 2 kOhm load as 3.0 kOhm: a time-averaged voltage was divided by one tick's
current (wrong whenever the current moved: ramps, probe dips, the end of a session), the
load-voltage sense's zero was taken as nominal (a 1 % ADC gain error on its 200 mV offset is
22 mV at the probes), and the last, worst value stayed on show after the current stopped.
"""

from __future__ import annotations

import statistics

import pytest
from harness import press, simulate


def _estimates(ohms, level, program="lift", seconds=30, seed=1):
    rec = []

    def patch(w, run, g):
        import wand.regulator as regulator

        orig = regulator.Regulator.update
        if getattr(orig, "_recording", False):
            orig = orig._orig

        def update(self, expected):
            load = orig(self, expected)
            rec.append((self.load_ohms, expected))
            return load

        update._recording = True
        update._orig = orig
        regulator.Regulator.update = update

    simulate([press(1.0)], seconds=seconds, seed=seed, load_ohms=ohms,
             settings={"level": level, "program": program}, before_main=patch)
    return [e for e, expected in rec[-1500:] if e > 0 and expected > 0]  # the last 15 s with current


@pytest.mark.parametrize("ohms", [2000, 10000])
@pytest.mark.parametrize("program", ["lift", "pulse"])
def test_load_estimate_follows_the_resistor_at_level_5(ohms, program):
    est = _estimates(ohms, 5, program)
    assert len(est) > 200
    assert abs(statistics.median(est) - ohms) <= 0.03 * ohms, statistics.median(est)
    worst = max(abs(e - ohms) for e in est)
    assert worst <= 0.10 * ohms, (min(est), max(est))


def test_load_estimate_at_the_lowest_level_is_within_10_percent_at_2k():
    est = _estimates(2000, 1)
    assert abs(statistics.median(est) - 2000) <= 200, statistics.median(est)


@pytest.mark.parametrize("seed", [1, 9, 11])
def test_a_2k_load_is_not_read_as_3k_at_any_tick_of_a_session_with_its_ramp_down(seed):
    """The old estimate peaked at the end of the ramp-down (falling current, lagging voltage).
    At level 3 (about 120 uA) the sense's noise moves single ticks: over 12 seeds the extremes
    were 1485 and 2566 Ohm (one seed's 1600..2400 held by luck), never near 3 kOhm."""
    est = _estimates(2000, 3, seconds=14, seed=seed)
    assert est and max(est) < 2700 and min(est) > 1300, (min(est), max(est))
