"""SR-06 (contact, short) and SR-07 (session limits) red team, on the true
load current.

Found:
- pausing (power short press) ramps the current down over up to 5.5 s while
  the session timer is stopped (`Session.step` counts only `st != HOLD`):
  toggling pause/resume nearly doubles the current time of a session, past
  the hard 20 minutes;
- a setpoint under 8 µA (`regulator._JUDGE_MIN_UA`; user_max_ua 20..79 at
  low levels) is never judged: the load stays UNKNOWN, the timer never counts
  (it needs LOAD_OK), so the session never ends, a lift is never detected or
  told, and the device never idles off;
- a short is judged only from 50 µA (`Regulator.update`: expected_ua >= 50);
- in a `pulse` gap nothing is judged: a lift is told up to 421 ms later;
- light contact above the stage's compliance is treated as COMPLIANCE (not a
  lift) down to half the setpoint; when contact firms up the current snaps up
  by 133 µA in one tick instead of ramping from zero.
"""

import pytest
from harness import press, verdict
from rt import flowing_s, peak, simulate


def _hold_toggles(t_end):
    script, t = [press(1.0)], 8.0
    while t < t_end:
        script.append(press(t))  # pause / resume
        t += 5.0
    return script


def test_sr07_redteam_pause_resume_outlasts_the_session_time():
    """SR-07: pause/resume every 5 s; every second of current (HOLD's ramp-down too) is timed."""
    run = simulate(_hold_toggles(110.0), seconds=116, settings=dict(level=10, user_max_ua=400, session_min=1))
    end = run.first("session_end")
    assert end is not None
    # 60 s of session plus the final ramp-down (400 uA at 90 uA/s: 4.5 s)
    assert flowing_s(run, 0, end[0]) <= 65.0, flowing_s(run, 0, end[0])


def test_sr07_redteam_tiny_setpoint_session_never_ends():
    run = simulate([press(1.0)], seconds=75, settings=dict(user_max_ua=20, level=1, session_min=1))
    assert peak(run, 70000, 75000) == 0.0, ("still flowing at 70..75 s", peak(run, 70000, 75000), run.states())


def test_sr06_redteam_tiny_setpoint_lift_never_told():
    run = simulate([press(1.0), (6.0, "contact", "off")], seconds=8, settings=dict(user_max_ua=50, level=1))
    lost = run.first("contact_lost")
    assert lost is not None and lost[0] <= 6100, (lost, run.states())


def test_sr06_redteam_short_below_50ua_setpoint_not_detected():
    run = simulate([press(1.0)], seconds=5, settings=dict(user_max_ua=40, level=10), load_ohms=10)
    assert 6 in run.faults(), (run.faults(), peak(run, 4000, 5000))


@pytest.mark.parametrize("ohms", [190, 100, 10])
@pytest.mark.parametrize("user_max", [100, 500])
def test_sr06_redteam_short_at_or_above_50ua_is_a_fault(ohms, user_max):
    """Passing: loads under 200 ohm at 100 and 500 uA end the session with SHORT."""
    run = simulate([press(1.0)], seconds=5, settings=dict(user_max_ua=user_max, level=10), load_ohms=ohms)
    assert run.faults()[:1] == [6], run.faults()
    assert peak(run, run.first("fault")[0] + 10) == 0.0


@pytest.mark.parametrize("t", [9.82, 9.41, 10.05, 12.3, 13.7])
def test_sr06_redteam_lift_in_pulse_gap_told_within_100_ms(t):
    """Was a strict xfail: a lift in a gap of `pulse` was seen only at the next
    pulse, told up to 421 ms late (nothing was judged while the code was 0).
    The gaps carry a 2 uA sense current of the block's polarity now
    (programs.SENSE_UA), which shows an open load by its compliance voltage
    within 3 ticks, in positive and negative blocks alike (9.41..10.05 s is a
    positive block, 12.3 and 13.7 s negative ones)."""
    run = simulate(
        [press(1.0), (t, "contact", "off"), (t + 1.5, "contact", "on")],
        seconds=t + 6.0,
        settings=dict(level=8, user_max_ua=500, program="pulse"),
    )
    lost = run.first("contact_lost")
    assert lost is not None and lost[0] - t * 1000 <= 100, ("ms from lift to contact_lost", lost)
    v = verdict(run)
    assert v["ok"], v["violations"]
    assert v["SR-06"]["lift_to_told_max_ms"] <= 100, v["SR-06"]


@pytest.mark.parametrize("program,t_lift", [("lift", 9.33), ("lift", 9.99), ("tone", 9.02), ("smooth", 9.001)])
def test_sr06_redteam_lift_at_any_phase_detected_and_soft_return(program, t_lift):
    """Passing: continuous programs detect a lift within 100 ms, the output is
    zero while lifted, the timer pauses and the return overshoots <= 5 %."""
    script = [press(1.0), (t_lift, "contact", "off"), (t_lift + 1.5, "contact", "on")]
    run = simulate(script, seconds=t_lift + 8, settings=dict(level=8, user_max_ua=500, program=program))
    lost = run.first("contact_lost")
    assert lost is not None and lost[0] - t_lift * 1000 <= 100, lost
    assert not run.faults()
    assert peak(run, t_lift * 1000 + 1500, t_lift * 1000 + 8000) <= 400 * 1.05


def test_sr06_redteam_light_contact_then_firm_snaps():
    """Fixed (was: light contact at 80 kOhm, above compliance for 400 uA, was
    driven as COMPLIANCE at 269 uA; firm contact snapped it to 402 uA within
    10 ms). A load the stage cannot drive the setpoint into is a lift (SR-06):
    no contact within 100 ms of the first judgeable current, output at zero
    (the 10 uA probe only), and firm contact ramps up from zero."""
    run = simulate(
        [press(1.0), (12.0, "load", "skin")], seconds=16, settings=dict(level=8, user_max_ua=500), load_ohms=80000
    )
    # judged from the first tick with 5 uA, about 60 ms into the ramp from zero
    start = run.first("session_start")[0]
    lost = run.first("contact_lost")
    assert lost is not None and lost[0] - start <= 160, (start, lost)
    assert peak(run, lost[0] + 20, 11990) <= 15.0  # the probe pair, nothing more
    before = peak(run, 11500, 11990)
    after = peak(run, 12000, 12100)
    # contact regained: from zero at <= 200 uA/s (20 uA per 100 ms), or at least no step
    assert after - before <= 20.0, ("uA before", before, "within 100 ms after", after, run.kinds("contact_lost"))
    assert run.first("contact_back") is not None and peak(run, 15000, 16000) > 250


def test_sr07_redteam_accepted_offset_calibration_makes_an_endless_session():
    script = [press(1.0), (30.0, "contact", "off"), (31.0, "contact", "on")]
    run = simulate(
        script, seconds=75, settings=dict(user_max_ua=20, level=1, session_min=1, cal_offset_na=-5000), sample_ms=50
    )
    assert peak(run, 70000, 75000) == 0.0, (peak(run, 5000, 29000), run.kinds("contact_lost"), run.states())


def test_sr06_redteam_contact_return_with_low_reading_sense_overshoots():
    """Fixed (was: a sense reading 16 % low, under the 20 % drift check, let
    the trim settle 15 % high: 230 uA for a 200 uA setpoint after contact
    returned). The trim raises the code by at most 4 % now."""
    script = [(0.5, "inject", "sense_gain=0.84"), press(1.0), (10.0, "contact", "off"), (11.5, "contact", "on")]
    run = simulate(script, seconds=19, settings=dict(user_max_ua=400, level=5))
    assert not run.faults()
    assert peak(run, 11500, 19000) <= 200 * 1.05, peak(run, 11500, 19000)
