"""SR-04 (charge balance, no DC residue) and SR-05 (soft transitions) red team,
measured on the true load current.

Found:
- a lift that precedes or coincides with the end of a session leaves the
  unpaid half-phase as DC: `Session.stop()` in NO_CONTACT and
  `Session.step()` (RAMP_DOWN + LOAD_OPEN) call `_finish()`, which drops
  `_owed`, even when contact returns a second later;
- during a ramp, the negative half of `lift` and `pulse` is played at the
  MEAN of the positive half (waveform.OutputEngine.step) while the session
  envelope keeps rising, so the next positive half starts with a step
  (lift: +137.6 µA at a reversal; pulse: 118 -> 499 µA from one pulse to the next).
"""

import pytest
from harness import press, verdict
from rt import peak, pulses, simulate


def _residue(run):
    st = run.stats()
    return abs(st["net_charge_uc"]) / st["phase_charge_max_uc"], st


def test_sr04_redteam_lift_then_stop_leaves_dc_residue():
    """SR-04: stop while lifted, contact back 1.5 s later: the debt is paid softly, no DC left."""
    script = [press(1.0), (12.7, "contact", "off"), (14.0, "press", "power", 2.0), (17.0, "contact", "on")]
    # the debt is paid under a soft rise and fall (about 2 x 2.3 s at 90 uA/s) once contact is back
    run = simulate(script, seconds=25, settings=dict(level=10, user_max_ua=400))
    assert run.first("session_end") is not None
    ratio, st = _residue(run)
    assert ratio <= 0.01, ("net charge after the session", st["net_charge_uc"], "phase", st["phase_charge_max_uc"])


def test_sr04_redteam_lift_during_ramp_down_leaves_dc_residue():
    """SR-04: a 0.9 s lift during the end ramp-down: the session waits for contact and pays the debt."""
    script = [press(1.0), (12.0, "press", "power", 2.0), (14.6, "contact", "off"), (15.5, "contact", "on")]
    run = simulate(script, seconds=23, settings=dict(level=10, user_max_ua=400))
    assert run.first("session_end") is not None
    ratio, st = _residue(run)
    assert ratio <= 0.01, ("net charge after the session", st["net_charge_uc"], "phase", st["phase_charge_max_uc"])


def test_sr04_redteam_lift_and_return_mid_session_pays_back():
    """Passing: lift at a phase end, contact back, then stop: balanced (<= 1 % of a phase)."""
    script = [press(1.0), (12.7, "contact", "off"), (14.0, "contact", "on"), (17.0, "press", "power", 2.0)]
    run = simulate(script, seconds=27, settings=dict(level=10, user_max_ua=400))
    ratio, st = _residue(run)
    assert ratio <= 0.01, st


@pytest.mark.parametrize("program", ["smooth", "pulse", "lift"])
def test_sr04_redteam_loop_stall_just_below_watchdog_leaves_no_dc(program):
    """Passing: a 975 ms loop stall (the output holds its last value for a
    second: one DC block of up to I x 1 s, e.g. 235 uC on `smooth` at level 6,
    which no firmware can prevent) is paid back: no reset, no DC once the
    session has ended."""
    script = [press(1.0), (8.003, "stall", 975), (11.0, "press", "power", 2.0)]
    run = simulate(script, seconds=20, settings=dict(level=6, program=program), sample_ms=5)
    assert not run.result.get("resets"), run.result.get("resets")
    st = run.stats()
    assert abs(st["net_charge_uc"]) <= 0.01 * st["phase_charge_max_uc"], st


@pytest.mark.parametrize("level", [10, 6])
def test_sr05_redteam_pulse_amplitude_jumps_after_first_polarity_period(level):
    """Was: on `pulse` the positive pulses of the start ramp rose to 234 uA,
    the negative block played their mean, 118 uA, for 3 s, and the next
    pulse was at 469 (761 uA/s pulse to pulse); at the end the negative
    block played the falling block's mean above it (up to 220 uA/s, and the
    session's last pulse at 400 uA). Now a negative block under a risen
    envelope pays in the fewest whole pulses at one rate and ends where its
    next pulse would begin; the envelope waits through negative blocks; a
    falling positive block ends after a pulse. Pulse to pulse at most about
    100 uA/s through the start, a level press and the end."""
    script = [press(1.0), (13.0, "press", "level", 0.2), (22.0, "press", "power", 2.0)]
    run = simulate(script, seconds=40, settings=dict(level=level, user_max_ua=500, program="pulse"))
    end = run.first("session_end")
    assert end is not None and end[2][0] == "button"
    p = pulses(run)
    assert len(p) >= 50
    worst = max(abs(b[2] - a[2]) / ((b[0] - a[0]) / 1000.0) for a, b in zip(p, p[1:], strict=False))
    assert worst <= 120.0, ("pulse-to-pulse amplitude change, uA/s", worst, [(x[0], round(x[2])) for x in p])
    assert p[-1][2] <= 60, p[-6:]  # the last pulse is the end of the ramp-down
    v = verdict(run)
    assert v["SR-04"]["ok"] and v["SR-05"]["ok"] and v["SR-07"]["ok"], v["violations"]


def test_sr05_redteam_lift_half_wave_steps_at_reversal_during_ramp():
    """Was: |I| stepped by 137.6 uA at the -/+ reversal of `lift`'s start ramp
    (1440 uA/s over 100 ms): the negative half played the positive half's mean
    while the envelope went on rising. It now follows the envelope (about
    190 uA/s over 100 ms, every slot)."""
    run = simulate([press(1.0)], seconds=8, settings=dict(level=10, user_max_ua=500))
    st = run.stats()
    assert st["ramp_max_ua_per_s"] <= 200.0, (st["ramp_max_ua_per_s"], st["ramp_max_at_ms"])


@pytest.mark.parametrize("program", ["tone", "smooth"])
def test_sr05_redteam_fast_programs_ramp_softly_at_full_scale(program):
    """Passing: 0 -> 500 µA start, a level change and the end, plant envelope <= 200 µA/s."""
    script = [press(1.0), (7.0, "press", "level", 3.0), (10.0, "press", "power", 2.0)]
    run = simulate(
        script,
        seconds=17,
        settings=dict(level=10, user_max_ua=500, program=program),
        sample_ms=1 if program == "smooth" else 10,
    )
    assert run.stats()["ramp_max_ua_per_s"] <= 200.0, run.stats()["ramp_max_ua_per_s"]
    assert peak(run, 10300, 10600) > 50  # the end was a ramp, not a cut


@pytest.mark.xfail(
    strict=True,
    reason="SR-04, open (docs/safety.md, residual risks: a load that changes in the middle of a tick): smooth, 8 "
    "lifts of 0.6 s with contact back each time, then a normal stop: 0.36 uC DC left, 16 % of a 2.31 uC phase "
    "(4.08 uC, 166 %, when found). The firmware cannot know where in its 5 ms tick each lift came and books half "
    "the tick; the oracle allows that half tick, this test's plain 1 % does not",
)
def test_sr04_redteam_lifts_with_return_leave_dc_on_fast_programs():
    script = [press(1.0)]
    for k in range(8):
        t = 9.0 + k * 1.7
        script += [(t, "contact", "off"), (t + 0.6, "contact", "on")]
    script.append((25.0, "press", "power", 2.0))
    run = simulate(script, seconds=33, settings=dict(level=10, user_max_ua=500, program="smooth"))
    assert run.first("session_end") is not None
    ratio, st = _residue(run)
    assert ratio <= 0.01, ("net charge after the session", st["net_charge_uc"], "phase", st["phase_charge_max_uc"])
