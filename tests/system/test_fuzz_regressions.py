"""Full-board replays of the violation classes `wandctl fuzz` found on the real
firmware, each judged by the trace oracle (simboard/oracle/). The pure-core
halves run on both interpreters in tests/unit/test_sr_fuzz_regressions.py."""

import json
from pathlib import Path

import pytest
from harness import press, simulate, verdict

# seed 296: the board with the highest real stage gain of seeds 0..299
# (DAC x stage = +3.4 %), the worst case for the ceiling
HOT_BOARD = 296


def test_sr01_ceiling_holds_with_the_lowest_accepted_calibration_on_a_hot_board():
    """Found: a calibration at the validator's lowest gain (-20 %) let the
    clamp allow nominal codes +6 %; on a board whose real gain is +3.4 % the
    load got ~9.7 % over the limit, under the monitor's trip level. The
    clamp now assumes the worst real gain."""
    from wand import settings

    lo = settings.INT_FIELDS["cal_gain_na"][1]
    for user_max in (100, 333, 500):
        run = simulate([press(1.0)], seconds=12, seed=HOT_BOARD, load_ohms=2000,
                       settings={"level": 10, "user_max_ua": user_max, "cal_gain_na": lo})
        v = verdict(run)
        assert v["SR-01"]["ok"], v["violations"]
        # (the calibration says 20 % less than flows: SR-08 may trip on the
        # mismatch, which is fine; the ceiling holds either way)
        assert v["SR-01"]["n"] > 1000 and 0 < v["SR-01"]["peak_ua"] <= user_max, v["SR-01"]


@pytest.mark.parametrize("load", [199, 100, 50])
def test_sr06_short_at_the_lowest_setpoint_stops_with_a_fault(load):
    """Found: at level 1 (40 uA) a short never stopped the session (the
    detector needed 50 uA of command), and at 50 uA a 199 ohm load was missed
    while a 500 ohm one tripped. Now the lowest setpoint is 100 uA and the
    short is judged on the auto-zeroed, signed 16-tick load-voltage average."""
    run = simulate([press(1.0), (6.0, "load", load)], seconds=10, settings={"level": 1})
    v = verdict(run)
    assert v["SR-06"]["shorts"] == 1 and v["SR-06"]["ok"], v["violations"]
    assert run.faults()[:1] == [6], run.faults()  # faults.SHORT


@pytest.mark.parametrize("text", [
    "[" * 5000 + "]" * 5000,
    '{"a":' * 3000 + "1" + "}" * 3000,
    '{"level": 3, "pad": "' + "x" * 200000 + '"}',
    '{"user_max_ua": 50}',
])
def test_sr10_sr11_hostile_settings_boot_to_defaults_and_a_session_runs(text, tmp_path):
    """Found: a deeply nested settings file raised RecursionError at every boot
    (a reset loop, no session possible)."""
    Path(tmp_path, "settings.json").write_text(text)
    run = simulate([press(1.0)], seconds=6, flash=str(tmp_path))
    assert run.result["exceptions"] == [], run.result["exceptions"]
    assert run.first("session_start") is not None
    v = verdict(run)
    assert v["ok"], v["violations"]
    assert v["SR-01"]["limit_ua"] == 400  # the default, not the file's 20
    stored = Path(tmp_path, "settings.json").read_text()
    assert stored == text or json.loads(stored)


def test_sr04_contact_flapping_at_the_start_is_paid_back():
    """Found (fuzz seed 4242): contact flapping every 12 ms just after a
    session started left 3.5 % of a phase unpaid for good: a lift too short
    for any tick to declare was booked whole. Each tick is now booked at the
    mean of what the samples at its two ends saw the load take."""
    script = [(0.0, "hold", "level"), (1.5, "release", "level"), (1.8, "press", "power", 0.2),
              (3.133, "flap", "contact", 8, 12)]
    run = simulate(script, seconds=15, seed=31)
    v = verdict(run)
    assert v["SR-04"]["ok"], v["violations"]


def test_sr04_sr06_a_load_past_compliance_is_a_lift_and_stays_balanced():
    """Found (property test, seed 530): on `smooth` at 300 uA a 150 kOhm load
    (the stage caps the current at ~143 uA) netted 15 % of every phase: the
    tick that followed a capped one was booked as if all of its code had
    flowed, and the capped output went on. Now capped ticks are booked at
    what flowed, and a load the stage cannot drive the setpoint into is a lift
    (SR-06): no contact within three ticks, the debt paid once contact is
    back, every full cycle within 1 %."""
    script = [press(1.0), (16.36, "load", 150000), (21.0, "load", "skin")]
    run = simulate(script, seconds=33, seed=530, sample_ms=5,
                   settings={"user_max_ua": 300, "level": 6, "program": "smooth"})
    v = verdict(run)
    assert v["SR-04"]["ok"] and v["SR-06"]["ok"], v["violations"]
    lost = [e[0] for e in run.events if e[1] == "contact_lost"]
    assert lost and 16360 <= lost[0] <= 16360 + 100, lost
    assert run.first("contact_back") is not None and v["SR-04"]["lifts_rebalanced"] >= 1, v["SR-04"]


@pytest.mark.parametrize("back_s", [1.0, 3.0])
def test_sr04_a_session_started_lifted_owes_nothing_for_its_first_ticks(back_s):
    """Found (fuzz seeds 31337 and 27182, both interpreters): a bench session
    started with the wand lifted booked its first ramp ticks, under the 8 uA
    from which the load is judged, as if they had flowed; once contact came
    back it "paid" them, 71 % of a phase of real DC. An open load shows the
    compliance voltage whatever the current: those ticks book nothing now."""
    script = [(0.0, "hold", "level"), (1.5, "release", "level"), (0.3, "press", "power", 0.2),
              (0.0, "contact", "off"), (back_s, "contact", "on")]
    run = simulate(sorted(script, key=lambda a: a[0]), seconds=back_s + 12, seed=0)
    v = verdict(run)
    assert v["SR-04"]["ok"], v["violations"]
    assert v["SR-04"]["lifts_rebalanced"] >= 1, v["SR-04"]


def test_a_ctrl_c_while_the_chip_is_unpowered_is_lost():
    """Found (fuzz seed 27182, MicroPython): a Ctrl-C 0.1 ms after power came
    back, while the chip was still held in reset, escaped the simulator as a
    KeyboardInterrupt (exit 130). The UART is not read while the chip is off,
    asleep or resetting: the byte is lost, and the board boots as usual."""
    script = [press(0.3), (1.0, "power_cut"), (1.2, "power_on"), (1.2001, "interrupt"), (1.25, "interrupt")]
    run = simulate(script, seconds=4)
    assert [name for _, name in run.result["resets"]][-1:] == ["power_on"], run.result["resets"]
    assert verdict(run)["ok"], verdict(run)["violations"]


def test_sr06_a_lift_while_a_pause_ramps_down_is_told_and_the_pause_kept():
    """Found (fuzz seed 8675309): lifted while the user's pause was still
    ramping down, the wand did not notice (a pause was not watched for lifts)
    and told nothing. Now it is contact lost within 100 ms; when contact
    returns the wand goes back to the pause, not to the session: after a
    soft rise that only pays the lift's debt (SR-04, fuzz seed 874132115)."""
    script = [press(0.3), (1.0, "press", "power", 0.05), (1.1, "contact", "off"), (1.6, "contact", "on")]
    run = simulate(script, seconds=6, settings={"level": 6})
    v = verdict(run)
    assert v["SR-06"]["ok"] and v["SR-04"]["ok"], v["violations"]
    lost = run.first("contact_lost")
    assert lost is not None and lost[0] - 1100 <= 100, run.events
    states = [e[2][0] for e in run.events if e[1] == "state" and e[0] > 1100]
    assert states[0] == "no_contact" and states[-1] == "hold" and "running" not in states, states
    assert set(states) <= {"no_contact", "ramp_up", "hold"}, states


def test_sr04_a_debt_left_after_contact_returns_is_spread_over_cycles():
    """Found (fuzz seed 1618033, MicroPython): after contact returned, what was
    left below one tick of the debt was paid in the first full cycle (8.3 % of
    its phase on `tone`). A carried residue is now paid at most 1/128 of a
    phase per cycle."""
    script = [(0.0, "hold", "level"), (1.5, "release", "level"), (0.1, "press", "power", 0.2),
              (1.671, "contact", "off"), (1.701, "contact", "on")]
    run = simulate(sorted(script, key=lambda a: a[0]), seconds=8, seed=500, settings={"program": "tone"})
    v = verdict(run)
    assert run.first("contact_back") is not None
    assert v["SR-04"]["ok"], v["violations"]


def test_sr06_a_lift_during_a_short_stall_is_seen_once_the_loop_runs():
    """A lift inside a 500 ms stall (no watchdog reset) is detected within
    100 ms of the stall's end, which is when the oracle judges it from."""
    script = [press(1.0), (8.0, "stall", 500), (8.1, "contact", "off"), (9.5, "contact", "on")]
    run = simulate(script, seconds=12, settings={"level": 6})
    v = verdict(run)
    assert v["SR-06"]["ok"], v["violations"]
    lost = run.first("contact_lost")
    assert lost is not None and 8500 <= lost[0] <= 8600, lost


def test_sr07_a_level_button_left_pressed_does_not_keep_a_paused_wand_on():
    """Found (fuzz seed 1759846167): chatter that left the level button
    pressed repeated "level down" every 600 ms for ever, each repeat counted as
    activity, and a paused session never reached its idle auto-off."""
    script = [press(0.3), (1.29, "press", "power", 0.05), (3.347, "hold", "level")]
    run = simulate(script, seconds=45, settings={"idle_off_s": 30, "level": 1, "user_max_ua": 100})
    v = verdict(run)
    assert v["SR-07"]["ok"], v["violations"]
    end = run.first("session_end")
    assert end is not None and end[2][0] == "idle" and end[0] < 3347 + 30000 + 8000, end


def test_sr07_leaving_for_the_repl_turns_the_leds_and_tone_off():
    """Found (fuzz seed 1759846167): after a Ctrl-C the REPL kept the LEDs in
    the running pattern for ever (a wand that looks on, and never idles off);
    leave() turns them and the tone off with the output."""
    run = simulate([press(0.3), (8.436, "interrupt")], seconds=50, settings={"idle_off_s": 30})
    v = verdict(run)
    assert v["SR-07"]["ok"], v["violations"]
    after = [s for s in run.samples if s.t > 8436 + 20]
    assert after and all(s.g == 0 and s.r == 0 and s.tone == 0 and abs(s.ua) < 0.5 for s in after)


def test_sr06_a_resistor_that_takes_the_setpoint_is_contact_from_the_start():
    """Found (fuzz seed 1759846167): 47 kOhm at 400 uA needs 18.8 V, inside
    the 21.5 V compliance, yet a bench session started 0.4 s after boot (the
    load-voltage sense's zero not learned yet) called it a light contact: at
    5 uA the sense's offset was a tenth of the reading. Below 20 uA the
    projection keeps a margin now."""
    script = [(0.0, "hold", "level"), (0.437, "press", "power", 0.2), (1.5, "release", "level")]
    run = simulate(script, seconds=8, load_ohms=47000, settings={"level": 10, "user_max_ua": 400})
    assert run.first("contact_lost") is None, run.events
    assert verdict(run)["ok"], verdict(run)["violations"]


def test_sr04_a_later_session_cut_by_a_fault_is_not_booked_to_the_one_before():
    """Found (fuzz seed 1759846167): the phase still open when the run ended
    (a second session cut by a fault) was counted as the first session's DC
    residue (an oracle defect: 100 % of a phase)."""
    script = [press(0.3), (1.5, "press", "power", 2.0), (10.0, "press", "power", 0.2),
              (10.3, "inject", "gain_drift=1.6")]
    run = simulate(script, seconds=12)
    v = verdict(run)
    assert run.first("fault") is not None and len(v["sessions"]) == 2, v["sessions"]
    assert v["SR-04"]["ok"], v["violations"]


def test_sr04_a_plain_tone_session_ends_without_dc():
    """Found (fuzz seed 1045043899, MicroPython): a one-minute `tone` session
    ended with 0.28 uC of DC (2.75 % of a phase): the SR-08 probe's dip on a
    phase's first tick met the reversal's break-before-make gap (the DAC held
    at 0 for tens of microseconds that no tick books) on 4 codes fewer than
    the other phase's first tick, a lopsided few nC every cycle. The probe
    skips a phase's first tick now (the 100 Hz program's one-tick phases
    start alike anyway)."""
    run = simulate([press(0.3)], seconds=64, settings={"program": "tone", "session_min": 1})
    v = verdict(run)
    assert v["SR-04"]["ok"], v["violations"]
    s = v["sessions"][0]
    assert s["ended_by"] == "timer" and abs(s["dc_residue_uc"]) <= 0.1, s


def test_sr05_sr10_a_calibration_offset_that_would_start_with_a_step_is_refused():
    """Found (fuzz seed 1769700688, MicroPython): a stored offset of -20 uA
    (accepted then) put every ramp's first code 20 uA up: 257 uA/s at the
    start of `tone`. Settings refuse offsets past +-5 uA now, and at the
    edge the start is soft."""
    from wand import settings

    with pytest.raises(settings.SettingsError):
        settings.validate_field("cal_offset_na", -20000)
    run = simulate([press(0.3)], seconds=6, settings={"program": "tone", "cal_offset_na": -5000})
    v = verdict(run)
    assert v["SR-05"]["ok"] and v["SR-05"]["max_ramp_ua_per_s"] <= 200, v["violations"]


def test_sr04_contact_back_inside_a_probe_pulse_is_within_one_probe_tick():
    """Found (fuzz seed 2023337256, MicroPython): contact came back 1 ms before
    a 10 uA contact-probe pulse ended; the sample before the pulse saw the
    output off, so the whole pulse was booked and its opposite paid in full:
    0.098 uC left, within the one probe tick the re-balance allows
    (docs/safety.md, residual risks)."""
    script = [(0.0, "hold", "level"), (0.0, "contact", "off"), (0.23, "press", "power", 0.05),
              (1.5, "release", "level"), (12.0, "contact", "on")]
    run = simulate(script, seconds=30, seed=0)
    v = verdict(run)
    assert run.first("contact_back") is not None
    assert v["SR-04"]["ok"] and v["SR-04"]["lifts_rebalanced"] >= 1, (v["SR-04"], v["violations"])


def test_sr05_a_one_minute_pulse_session_ends_softly():
    """Found (fuzz seed 2058034038): the microsecond booking correction, applied
    inside a pulse train's gates, upset the end ramp (268 uA/s). It applies to
    continuous phases only."""
    run = simulate([(0.0, "hold", "level"), (0.3, "press", "power", 0.2), (1.5, "release", "level")],
                   seconds=70, seed=0, settings={"program": "pulse", "session_min": 1})
    v = verdict(run)
    assert v["SR-05"]["ok"] and v["SR-04"]["ok"], v["violations"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sr12_a_press_begun_before_the_fault_does_not_acknowledge_it(seed):
    """Found (fuzz seed 192): the power button pressed 1 ms after power-up and
    held 1.7 s, a sensor open at boot: the press's chatter hid it from the boot
    read, so its 1.5 s mark acknowledged the fault and a later press started a
    session with nobody having acknowledged anything. Only a press begun after
    the fault acknowledges it; one already going on must be released first."""
    script = [(0.0, "hold", "level"), (1.5, "release", "level"), (0.001, "press", "power", 1.7),
              (0.001, "inject", "sense_open"), (0.149, "inject", "clear"), (1.529, "press", "power", 0.2)]
    run = simulate(script, seconds=8, seed=seed)
    v = verdict(run)
    assert v["SR-12"]["faults"] == 1 and v["SR-12"]["ok"], v["violations"]
    assert run.first("fault_cleared") is None and run.first("session_start") is None
    # a deliberate long press afterwards still acknowledges it, and a session can start
    run = simulate(script + [(3.0, "press", "power", 1.7), (6.0, "press", "power", 0.2)], seconds=10, seed=seed)
    assert run.first("fault_cleared") is not None and run.first("session_start") is not None
    assert verdict(run)["ok"], verdict(run)["violations"]


def test_sr12_a_fault_while_the_power_button_is_held_is_not_acknowledged_by_that_hold():
    """A fault that trips while the user holds power (to stop the session)
    must not be acknowledged when that same hold reaches 1.5 s."""
    script = [(0.0, "hold", "level"), (1.5, "release", "level"), press(1.8),
              (5.0, "press", "power", 3.0), (5.3, "inject", "sense_stuck")]
    run = simulate(script, seconds=10)
    assert run.faults(), run.events
    assert run.first("fault_cleared") is None
    assert verdict(run)["SR-12"]["ok"]


def test_sr04_a_stall_inside_a_negative_half_then_pause_and_stop_leaves_no_dc():
    """Found (fuzz seed 192): the loop froze 900 ms inside a negative half of
    `lift`; the release seen after the stall paused the session and a long
    press stopped it: -14.0 uC (21 % of a phase) was left. The excess of
    negative charge is now paid back by the positive half before the engine
    counts as settled; the pause's envelope waits while it is paid, so the
    payment is at the envelope, not a trickle at the smallest code (the
    session then ended 5 s after the stop: now 1.5 s, the envelope no longer
    catching the stall up in one step)."""
    script = [(0.0, "hold", "level"), (1.5, "release", "level"), (0.093, "press", "power", 0.9),
              (2.718, "press", "power", 0.2), (2.741, "stall", 900), (3.644, "press", "power", 1.7)]
    run = simulate(script, seconds=15, seed=0)
    v = verdict(run)
    assert v["SR-04"]["sessions_judged"] == 1 and v["SR-04"]["ok"], v["violations"]
    end = run.first("session_end")
    assert end is not None and end[0] < 7000, end  # the stop's long press ends at 5.34 s
    assert v["ok"], v["violations"]


def test_sr04_a_lift_in_a_pulse_half_is_rebalanced_within_10_s():
    """Found (fuzz seed 31631, MicroPython; replays on CPython too): a 300 ms
    lift inside a 2.6 s positive half of `pulse`: the debt was paid at the
    envelope down to less than one tick of it (1.5 uC, 2.5 % of the phase),
    and that residue was then spread at 1/128 of a phase per 5.2 s cycle:
    best 1.33 % of a phase after 10 s. The residue of a debt is now paid whole
    by the next negative half, in the cycle after the disturbance."""
    script = [(0.0, "hold", "level"), (1.5, "release", "level"), press(0.99),
              (4.043, "contact", "off"), (4.343, "contact", "on")]
    run = simulate(script, seconds=15, seed=5920,
                   settings={"program": "pulse", "user_max_ua": 500, "cal_sense_uv_per_ua": 3536})
    v = verdict(run)
    assert v["SR-04"]["lifts_rebalanced"] == 1 and v["SR-04"]["ok"], v["violations"]
    assert v["SR-04"]["rebalance_worst_pct"] < 1.0


def _pausing_every_0_8_s(load_action, until=40.0):
    script = [(0.0, "hold", "level"), (1.5, "release", "level"), load_action, press(2.0)]
    t = 3.35
    while t < until:
        script.append(press(round(t, 2)))
        t += 0.8
    return script


@pytest.mark.parametrize("seed", [1, 2])
def test_sr06_a_pause_does_not_restart_the_short_judgement(seed):
    """Found (fuzz round 7): the short judge restarted whenever the command
    dipped below 70 uA, so a pause inside its ~1 s judgement left the short
    unreported, and pausing every 0.8 s kept a short at level 1 unjudged for
    37 s (4 s of drive at a judgeable current). Now a dip holds the judgement
    and its averages (which take only currents it judges at); a lift or a new
    session restarts it."""
    run = simulate(_pausing_every_0_8_s((1.9, "inject", "short")), seconds=42, seed=seed,
                   settings={"level": 1})
    v = verdict(run)
    assert v["SR-06"]["ok"] and v["SR-06"]["shorts"] == 1, v["violations"]
    assert run.faults()[:1] == [6] and v["SR-06"]["short_drive_to_fault_max_ms"] <= 1000, v["SR-06"]


@pytest.mark.parametrize("seed", [4, 7, 32])
def test_sr06_pausing_on_a_500_ohm_load_is_no_short(seed):
    """The held averages must not turn the sense's noise at the lowest
    setpoint into a short: 500 Ohm (the test load) with a pause every 0.8 s
    for 40 s (seeds where averages that took the 70..85 uA ticks of each
    ramp called it a short)."""
    run = simulate(_pausing_every_0_8_s((1.9, "load", 500)), seconds=42, seed=seed, settings={"level": 1})
    assert 6 not in run.faults(), run.faults()
    assert verdict(run)["ok"], verdict(run)["violations"]


def test_sr04_a_consistent_calibration_error_books_capped_ticks_right():
    """Found (fuzz seed 1211230815): a stored calibration with the stage's
    gain and the sense's both 10 % off (each accepted, and consistent, so the
    trim, which stops at +4 %, could not follow) booked every tick in
    compliance at 83 % of what flowed: 7.7 % of a phase left after loads
    stepped past the compliance and back. Capped ticks are now booked
    against what the sense shows of a code that all flows."""
    settings = {"program": "tone", "level": 10, "session_min": 1, "cue_s": 0, "user_max_ua": 213,
                "idle_off_s": 30, "mute": True, "cal_gain_na": 2372, "cal_sense_uv_per_ua": 3850}
    script = [(0.0, "hold", "level"), (1.5, "release", "level"), press(0.334), (0.28, "load", 2000),
              (1.002, "load", 26500), (1.724, "load", 51000), (2.446, "load", 75500), (3.168, "load", 100000),
              (14.173, "load", 500), (14.285, "load", 10375), (14.397, "load", 20250), (14.509, "load", 30125),
              (14.621, "load", 40000), (65.535, "load", 199), (65.928, "load", "skin")]
    run = simulate(script, seconds=75, seed=280, load_ohms=250, settings=settings)
    v = verdict(run)
    assert v["SR-04"]["lifts_rebalanced"] == 2 and v["SR-04"]["ok"], v["violations"]
    # the contact probe while the load is past the compliance is no session time (SR-07)
    assert v["SR-07"]["ok"] and v["SR-07"]["current_max_s"] <= 61, v["SR-07"]


@pytest.mark.parametrize("seed", [0, 1])
def test_sr04_the_contact_probe_is_balanced_into_a_load_near_the_compliance(seed):
    """Found (fuzz seeds 2602512212, 2807414747): the contact probe (10 uA) was
    booked by what the sense saw, so into 100 kOhm (past the compliance for
    400 uA, a lift) its negative pulses paid what the sense's noise let
    through: 0.53 uC after 40 s; with a sense frozen at zero there were no
    negative pulses at all (5.3 uC). The probe is booked whole now: each
    negative pulse mirrors its positive one."""
    script = [press(0.3), (0.0, "load", 500), (0.1, "load", 50250), (0.2, "load", 100000)]
    run = simulate(script, seconds=20, seed=seed, settings={"level": 10, "idle_off_s": 30}, sample_ms=1)
    probes = [s.ua for s in run.samples if s.t > 1500 and abs(s.ua) > 0.3]
    assert len(probes) > 200
    assert abs(sum(probes)) * 0.001 < 0.12  # at most one probe pulse (0.11 uC) in flight
    frozen = [(0.0, "hold", "level"), (1.5, "release", "level"), (0.283, "load", 2e6),
              (0.519, "inject", "sense_frozen"), press(2.999), (8.75, "press", "power", 2.5)]
    run = simulate(frozen, seconds=25, seed=seed)
    pulses = [s.ua for s in run.samples if s.t > 4000 and abs(s.ua) > 0.3]
    # (or the frozen sense is a fault first: since round 45 a light contact's start ramp judges it, SR-08)
    faulted = [e for e in run.kinds("fault") if e[0] < 4000]
    assert (pulses or faulted) and abs(sum(pulses)) * 0.01 < 0.12, (sum(pulses) * 0.01, faulted)


def test_sr04_a_lift_in_a_pulse_trains_gap_is_judged_with_the_half_it_cut():
    """Found (fuzz seed 2602512212), an oracle defect: a lift in the gaps after
    a negative block's last pulse cut that half short, and the cycle was
    judged as a full one (17 % of a phase) because it ended at its last pulse
    with current; the debt was paid after contact came back."""
    script = [press(0.464), (6.132, "contact", "off"), (6.212, "contact", "on")]
    run = simulate(script, seconds=25, seed=0, settings={"program": "pulse"})
    v = verdict(run)
    assert v["SR-04"]["ok"] and v["SR-04"]["lifts_rebalanced"] == 1, v["violations"]


def test_sr06_a_contact_off_in_the_instant_the_probes_are_shorted_is_no_lift():
    """Found (fuzz seed 2807414747), an oracle defect: `contact off` and
    `inject short` at the same instant counted as a lift when the script
    listed the contact first; the short is judged instead (a fault)."""
    script = [(0.0, "hold", "level"), (1.5, "release", "level"), press(0.3),
              (12.531, "contact", "off"), (12.531, "inject", "short"), (12.831, "contact", "on")]
    run = simulate(script, seconds=15, seed=0)
    v = verdict(run)
    assert v["SR-06"]["ok"] and v["SR-06"]["lifts"] == 0, v["violations"]
    assert 6 in run.faults()


def test_sr09_a_stall_right_after_usb_appears_delays_the_cut_by_its_length():
    """Found (fuzz seed 874132115, MicroPython), an oracle defect: USB power
    at 281 ms, a 50 ms loop stall 5 ms later; the firmware cut the output 3
    ticks after its loop ran again (60 ms of current), and the oracle allowed
    50 ms whatever the stall."""
    settings = {"program": "smooth", "cue_s": 0, "user_max_ua": 100, "idle_off_s": 30}
    script = [(0.03, "press", "power", 0.05), (0.281, "usb", "on"), (0.286, "stall", 50), (4.556, "usb", "off")]
    run = simulate(script, seconds=8, seed=0, settings=settings)
    v = verdict(run)
    assert run.first("session_start") is not None and run.faults()[:1] == [10], run.faults()
    assert v["SR-09"]["ok"] and v["SR-09"]["current_with_usb_max_ms"] <= 50 + 50 + 10, v["SR-09"]


def test_sr04_a_lift_during_a_pause_is_paid_back_within_10_s():
    """Found (fuzz seed 874132115, MicroPython): lifted for 1 s while a pause
    ramped down, then back: the wand went back to the pause and paid the debt
    (24 uC) at the smallest DAC code (2.2 uA): 3.77 % of a phase was still
    owed 10 s later. Now the debt is paid under a soft rise, then the wand
    goes back to the pause."""
    script = [(0.0, "hold", "level"), (1.5, "release", "level"), (0.002, "press", "power", 0.05),
              (1.424, "press", "power", 0.2), (3.376, "contact", "off"), (4.376, "contact", "on")]
    run = simulate(script, seconds=16, seed=0)
    v = verdict(run)
    assert v["SR-04"]["lifts_rebalanced"] == 1 and v["SR-04"]["ok"], v["violations"]
    assert v["ok"], v["violations"]
    states = [e[2][0] for e in run.events if e[1] == "state" and e[0] > 4000]
    assert states[:2] == ["ramp_up", "hold"], states  # paid, then the pause again


@pytest.mark.parametrize("cal_gain_na", [2157, 2588])
@pytest.mark.parametrize("t_stuck", [1.3, 1.45])
def test_sr08_a_sense_stuck_at_zero_on_pulse_is_a_fault_within_one_pulse(cal_gain_na, t_stuck):
    """Found (fuzz seed 3276014853): on `pulse` (100 ms pulses every 500 ms)
    a sense stuck at its zero reading took 560 ms: the stuck and drift counts
    restarted at every gap, and a pulse of 10 ticks never reached the 10 a
    drift takes. The counts now survive the gaps, and a reading under half
    the command counts 4. (Found at 0 s, before the session; since round 30
    a reading stuck that long is a fault with the output off, so it is stuck
    here in a gap, under 250 ms before the next pulse.)"""
    script = [(0.0, "hold", "level"), (1.5, "release", "level"), press(0.3), (t_stuck, "inject", "sense_stuck")]
    run = simulate(script, seconds=6, seed=0, settings={"program": "pulse", "cal_gain_na": cal_gain_na})
    v = verdict(run)
    assert v["SR-08"]["ok"] and v["SR-08"]["injected"] == 1, v["violations"]
    assert v["SR-08"]["onset_to_fault_max_ms"] <= 100, v["SR-08"]


def test_sr04_a_sessions_dc_is_judged_without_the_next_sessions_phases():
    """Found (fuzz seed 161898526, MicroPython), an oracle defect: a session
    stopped at 3.2 s and a new one started 1.1 s later; the oracle counted the
    new session's first phase as the old one's DC (43 uC, 100 % of a phase)."""
    script = [(0.0, "hold", "level"), (1.5, "release", "level"), press(0.3), (4.222, "press", "power", 0.05),
              (0.0, "contact", "off"), (1.0, "contact", "on")]
    script += [(0.484 + k * 0.001, "hold" if k % 2 == 0 else "release", "power") for k in range(19)]
    run = simulate(script, seconds=15, seed=0)
    v = verdict(run)
    assert len([e for e in run.events if e[1] == "session_start"]) == 2
    assert v["SR-04"]["ok"] and v["SR-04"]["sessions_judged"] >= 1, v["violations"]


@pytest.mark.parametrize("t_stall,ms,t_stuck", [(1.746, 990, 2.209), (2.061, 900, 2.472)])
def test_sr08_a_sensor_fault_during_a_loop_stall_is_judged_from_the_stalls_end(t_stall, ms, t_stuck):
    """Found (fuzz seeds 1885321789, 3167224417), an oracle defect: a sense
    stuck inside a 0.9..1 s loop stall was a fault 14..39 ms after the loop ran
    again, and the oracle counted the stall against the 500 ms."""
    script = [(0.0, "hold", "level"), (1.5, "release", "level"), press(0.3), (t_stall, "stall", ms),
              (t_stuck, "inject", "sense_stuck")]
    run = simulate(script, seconds=8, seed=0)
    v = verdict(run)
    assert v["SR-08"]["ok"] and v["SR-08"]["injected"] == 1, v["violations"]
    # counted from the stall's end (the stall alone is 900 ms): 14..109 ms, under SR-08's 500
    assert v["SR-08"]["onset_to_fault_max_ms"] <= 200, v["SR-08"]


def test_sr05_a_level_change_in_a_negative_half_of_lift_steps_at_the_reversal():
    """Found (fuzz seed 2017937677): a level press inside a negative half of
    `lift`; that half played the positive half's mean while the envelope rose,
    so the next positive half started 39 uA higher (258 uA/s between the
    per-cycle peaks). A negative half now follows a rising envelope and ends
    once paid (waveform._follow)."""
    script = [(0.0, "hold", "level"), (1.5, "release", "level"), (1.279, "press", "power", 0.2),
              (11.096, "press", "level", 0.05)]
    run = simulate(script, seconds=15, seed=1)
    v = verdict(run)
    assert v["SR-05"]["ok"], (v["SR-05"], v["violations"])


def test_sr05_the_envelope_does_not_catch_up_a_loop_stall_in_one_step():
    """Found (fuzz seed 2017937677): a 900 ms loop stall 3 ms after the power
    press; the next tick raised the envelope by the ramp's 900 ms worth at once
    (81 uA: 277 uA/s). A rise now takes at most two ticks' worth per tick."""
    script = [(0.0, "hold", "level"), (1.5, "release", "level"), (0.518, "press", "power", 0.2),
              (0.521, "stall", 900)]
    run = simulate(script, seconds=15, seed=0)
    v = verdict(run)
    assert v["SR-05"]["ok"], (v["SR-05"], v["violations"])
    assert v["ok"], v["violations"]


def test_sr04_a_session_started_lifted_and_stopped_leaves_no_dc():
    """Found (fuzz seed 2017937677): started lifted, stopped while lifted,
    touched 9 s later. The contact probe's negative pulse went into the
    returned contact, whose positive one had gone into the open load, and
    contact back is judged on the second pulse that flows: booked whole, the
    probe's cycle looked balanced, and the session ended with -0.109 uC of
    DC (62 % of its only phase). Contact back now carries the probe's charge
    as it flowed (OutputEngine.probe_flowed)."""
    script = [(0.0, "hold", "level"), (1.5, "release", "level"), (1.421, "press", "power", 0.2),
              (0.588, "contact", "off"), (12.588, "contact", "on"), (1.622, "press", "power", 1.7)]
    import tempfile

    flash = tempfile.mkdtemp(prefix="wand-flash-")
    Path(flash, "settings.json").write_bytes(b"")  # an empty settings file: the defaults
    run = simulate(script, seconds=15, seed=0, flash=flash)
    v = verdict(run)
    assert v["SR-04"]["ok"], (v["SR-04"], v["violations"])


def test_sr04_a_session_cut_by_ctrl_c_is_not_asked_to_rebalance():
    """Found (fuzz seeds 4103032514, 3550187617), oracle defects: a Ctrl-C
    (or a USB fault) 2 s after contact returned cut the session before its
    debt was paid, and the oracle still asked for the re-balance within 10 s
    (34 %, 70 % of a phase). The output must go off at once there (SR-03,
    SR-09, SR-12); like the DC at such an end, it is not judged. A Ctrl-C ends
    the oracle's session."""
    script = [(0.0, "hold", "level"), (1.5, "release", "level"), press(0.549), (3.581, "load", 250),
              (5.671, "interrupt")]
    run = simulate(script, seconds=15, seed=0, settings={"program": "pulse"})
    v = verdict(run)
    assert [s["ended_by"] for s in v["sessions"]] == ["interrupt"], v["sessions"]
    assert v["SR-04"]["ok"], v["violations"]


def test_sr06_a_second_lift_soon_after_a_first_is_told():
    """Found (fuzz seed 3550187617, MicroPython), an oracle defect: muted, the
    session started lifted (no-contact pattern), contact came back, and 1.8 s
    later a 2 MOhm load lifted it again; the LEDs showed no contact 30 ms
    later, but the oracle took that pattern as already seen in the 2 s before
    and said the user was never told. It now looks since contact came back."""
    script = [(0.0, "hold", "level"), (1.5, "release", "level"), press(0.3), (0.0, "contact", "off"),
              (1.0, "contact", "on"), (2.971, "load", 2e6)]
    run = simulate(script, seconds=15, seed=0, settings={"idle_off_s": 30, "mute": True})
    v = verdict(run)
    assert v["SR-06"]["ok"] and v["SR-06"]["lift_to_told_max_ms"] <= 100, (v["SR-06"], v["violations"])


def test_sr08_a_sense_stuck_before_a_sub_judgeable_negative_half_is_a_fault_within_500_ms():
    """Found (fuzz seed 4103032514): a sense stuck at 37 uA during the start
    ramp of `lift`; the negative half then played the positive half's mean,
    17.6 uA, under the 20 uA the sense checks judged, for its whole second:
    the fault came 1160 ms after the onset. A bit-identical reading is now
    judged at any current (the sense's noise moves a live one every tick)."""
    script = [(0.0, "hold", "level"), (1.5, "release", "level"), (0.474, "press", "power", 0.2),
              (1.4, "inject", "sense_stuck")]
    script += [(0.548 + k * 0.025, "hold" if k % 2 == 0 else "release", "power") for k in range(20)]
    run = simulate(script, seconds=6, seed=4768)
    v = verdict(run)
    assert v["SR-08"]["ok"] and v["SR-08"]["onset_to_fault_max_ms"] <= 500, (v["SR-08"], v["violations"])


def test_sr04_smooth_near_the_compliance_balances_each_cycle():
    """Found (fuzz seed 2796639976; rounds 20 and 21 again, on `tone` too):
    `smooth` at 100 uA into 200 kOhm (18 V of the 21.5 V compliance). The
    projection to the target flickered past 95 % of the compliance, each such
    tick was booked as capped, from the sense (2..4 % short through its
    noise): cycles netted 0.021 uC, 4.6 % of a 0.45 uC phase. A tick is
    booked as capped now only with the load's voltage at the compliance."""
    script = [(0.0, "hold", "level"), (1.5, "release", "level"), press(0.3)]
    run = simulate(script, seconds=15, seed=9, settings={"program": "smooth", "user_max_ua": 100},
                   load_ohms=200000)
    v = verdict(run)
    assert v["SR-04"]["ok"], (v["SR-04"], v["violations"])


def test_sr08_a_miscalibrated_sense_with_a_small_gain_step_is_a_fault_within_500_ms():
    """Found (fuzz seed 2796639976): a stored sense calibration 20 % low in
    gain and 40 mV high in offset, with the stage 5 % high: the firmware saw
    the current about 30 % high at 400 uA but, through the offset, near the
    20 % band at low currents, and the drift was a fault after 1840 ms. The
    boot check now holds the stored offset to 4 uA of the idle sense (8
    readings averaged): this calibration is refused at boot."""
    script = [(0.0, "hold", "level"), (1.5, "release", "level"), press(0.3), (0.0, "inject", "gain_drift=1.05")]
    run = simulate(script, seconds=6, seed=0,
                   settings={"cal_sense_offset_uv": 240000, "cal_sense_uv_per_ua": 2800})
    v = verdict(run)
    assert v["SR-08"]["ok"], (v["SR-08"], v["violations"])
    assert run.faults()[:1] == [5] and run.first("session_start") is None  # BOOT_SENSE


@pytest.mark.parametrize("offset_uv,sense,drift,gain", [(184000, 3850, 0.95, 2588), (176000, 4200, 1.05, 2588),
                                                         (224000, 3150, 1.15, 2157), (196000, 2800, 1.05, 1726)])
def test_sr08_calibrations_at_the_edges_with_a_gain_step(offset_uv, sense, drift, gain):
    """Calibrations the settings accept, each near the edge of its range, and
    a stage step on top: refused at boot, or the drift the firmware can see
    past its band is a fault within 500 ms (a sweep of 252 such cases)."""
    script = [(0.0, "hold", "level"), (1.5, "release", "level"), press(0.3), (0.0, "inject", "gain_drift=%s" % drift)]
    run = simulate(script, seconds=6, seed=0, settings={"cal_sense_offset_uv": offset_uv,
                                                        "cal_sense_uv_per_ua": sense, "cal_gain_na": gain})
    v = verdict(run)
    assert v["SR-08"]["ok"], (v["SR-08"], v["violations"])


def test_sr04_a_phase_running_on_into_the_next_session_counts_for_it():
    """Found (fuzz round 17, seed 1776462733), an oracle defect: a session cut
    by a soft reset 20 ms in left one 2 uA millisecond, which the plant merged
    with the next session's first positive half (one phase, 141..1873 ms). The
    oracle took a session's phases by where they began, left that half out,
    and judged a later lift's re-balance 38 % off. Phases now count for every
    session they overlap."""
    script = [(0, "hold", "level"), (1.5, "release", "level"), (0.664, "press", "power", 0.2),
              (0.054, "press", "power", 0.05), (6.479, "contact", "off"), (6.509, "contact", "on"),
              (0.142, "soft_reset")]
    run = simulate(script, seconds=25, seed=0)
    assert len(run.kinds("session_start")) == 2
    v = verdict(run)
    assert v["SR-04"]["ok"] and v["SR-04"]["lifts_rebalanced"] == 1, v["violations"]


def test_sr06_a_lift_at_the_end_of_a_pulse_is_told():
    """Found (fuzz round 18, seed 2365549362): in `pulse`, a 300 ms lift 8 ms
    before a pulse's end and back before the next one. The open load showed
    on one tick (the judgement takes three), then the gap without current
    kept it pending, and the user was never told. An open reading pending
    when the output stops is judged a lift now."""
    script = [(0.0, "hold", "level"), (1.5, "release", "level"), (1.228, "press", "power", 0.2),
              (2.012, "contact", "off"), (2.312, "contact", "on")]
    run = simulate(script, seconds=15, seed=0, settings={"program": "pulse"})
    v = verdict(run)
    assert v["SR-06"]["ok"], v["violations"]


def test_oracle_a_level_pressed_up_past_the_compliance_of_the_load_is_no_contact():
    """Found (fuzz round 18, seed 300396345), an oracle defect: on 100 kOhm a
    level press to 5 (250 uA: 25 V, past the compliance) made the firmware call
    the load no contact; the oracle judged contact by the settings' level 4
    (20 V) and asked the session that idled off lifted for its DC (70 uC)."""
    script = [(0.3, "press", "power", 0.2), (3.092, "press", "level", 0.05), (0, "load", 500),
              (0.1, "load", 50250), (0.2, "load", 100000)]
    run = simulate(script, seconds=45, seed=0,
                   settings={"level": 4, "session_min": 1, "user_max_ua": 500, "idle_off_s": 30})
    assert run.first("session_end")[2][0] == "idle"
    v = verdict(run)
    assert v["SR-04"]["ok"], v["violations"]


def test_sr06_a_short_at_the_lowest_setpoint_with_low_calibrations_is_a_fault():
    """Found (fuzz round 19, seed 18944): user_max_ua 100 with the stage and
    sense calibrations both stored 7 % low; the calibration expected 84 uA of
    the code the trim had raised to deliver 93, under the 85 uA the short is
    judged from: driven 11.7 s, never a fault. The short is judged from the
    current the code aims at (the expectation through the trim) now."""
    script = [(0.0, "hold", "level"), (1.5, "release", "level"), press(0.3), (0.0, "inject", "short")]
    run = simulate(script, seconds=15, seed=0,
                   settings={"user_max_ua": 100, "cal_gain_na": 2006, "cal_sense_uv_per_ua": 3255})
    v = verdict(run)
    assert v["SR-06"]["ok"], v["violations"]


def test_sr06_a_199_ohm_load_at_the_lowest_setpoint_stops_in_time():
    """Found (fuzz round 21, seed 21749): user_max_ua 100, 199 ohm from a
    session started 0.5 s after boot: driven 6.05 s. The load-voltage zero
    was learned from 64 idle ticks only, so this session judged with the
    nominal 200 mV offset, whose ADC gain error read 199 ohm as about 390.
    The zero is read at boot now (32 readings, output off)."""
    script = [(0.0, "hold", "level"), (1.5, "release", "level"), press(0.3), (0.0, "load", 199)]
    run = simulate(script, seconds=15, seed=0, settings={"user_max_ua": 100})
    v = verdict(run)
    assert v["SR-06"]["ok"], v["violations"]


def test_sr05_pulse_at_level_10_after_a_lift_ramps_softly():
    """Found (fuzz round 21, seed 21749): `pulse` at level 10 after a lift,
    a negative half at the clamp's code could not pay a carried residue in
    its planned pulses and paid it in a pulse of its own, one tick at 206 uA
    after pulses of 374 (336 uA/s pulse to pulse). The rest is paid in the
    pulse going on now (a longer last pulse, the same height)."""
    script = [(0.0, "hold", "level"), (1.5, "release", "level"), press(0.3), (27.101, "contact", "off"),
              (28.101, "contact", "on")]
    run = simulate(script, seconds=45, seed=1, settings={"program": "pulse", "level": 10})
    v = verdict(run)
    assert v["SR-05"]["ok"], v["violations"]


def test_sr06_a_lift_while_a_debt_is_paid_at_a_few_microamps_is_told():
    """Found while fixing the pulse-end lift: a debt paid at 4 uA (under the
    8 uA the load is judged from) during a pause's ramp-down went on into a
    lifted wand, unseen until contact came back. An open load shows the
    compliance voltage at any current: that is a lift now."""
    script = [(0.0, "hold", "level"), (1.5, "release", "level"), (0.002, "press", "power", 0.05),
              (1.424, "press", "power", 0.2), (3.376, "contact", "off"), (4.376, "contact", "on")]
    run = simulate(script, seconds=8, seed=0)
    lost = run.first("contact_lost")
    assert lost is not None and 3376 <= lost[0] <= 3376 + 100, run.events
    v = verdict(run)
    assert v["SR-06"]["ok"] and v["SR-04"]["ok"], v["violations"]


def test_sr04_a_phase_cut_by_a_reset_is_the_cut_sessions_not_the_next_ones():
    """Found (fuzz seed 14320), an oracle defect: a soft reset 11 ms into a
    positive half (a button pressed as it came), then a session started by
    the press and paused, idled off: the plant merged the cut half's 1.18 uC
    with the next session's first positive half (the output was off between
    them), and the oracle asked that session for it: 2.6 % of a phase. A
    phase ends at every chip reset now (the firmware balancing it is gone)."""
    script = [(0, "hold", "level"), (1.5, "release", "level"), (1.5, "press", "power", 0.2),
              (4.202, "press", "power", 0.05), (3.134, "press", "power", 0.05), (3.152, "soft_reset")]
    run = simulate(script, seconds=40, seed=0, settings={"idle_off_s": 30})
    assert len(run.kinds("session_start")) == 2 and run.first("session_end")[2][0] == "idle"
    cut = [p for p in run.phase_records if p[0] < 3152 < p[1] + 1]
    assert cut and cut[-1][1] <= 3152, run.phase_records  # the phase ended at the reset
    v = verdict(run)
    assert v["SR-04"]["ok"], v["violations"]


def test_sr04_a_return_inside_a_probe_pulse_is_allowed_its_half_tick():
    """Found (fuzz seed 14320), an oracle defect: a session started lifted,
    contact back 3 ms into the contact probe's 10 ms pulse, and a stop 20 ms
    after the firmware saw it: the firmware booked the whole pulse as flowed,
    7 ms did (0.034 uC, 31 % of the probe's tiny phase). The oracle allows
    each return half a tick at the amplitude around it; it took the one
    before it only, which for a return from an open load is zero."""
    script = [(0, "hold", "level"), (1.5, "release", "level"), (0.389, "press", "power", 0.2),
              (0.445, "contact", "off"), (3.445, "contact", "on"), (0.592, "press", "power", 1.7)]
    run = simulate(script, seconds=8, seed=0)
    assert run.first("contact_lost") and run.first("contact_back")
    v = verdict(run)
    assert v["SR-04"]["ok"], v["violations"]
    assert abs(v["SR-04"]["dc_residue_max_pct"]) < 50  # judged, and under half a tick of the probe


def test_sr04_a_load_changed_while_lifted_is_no_return():
    """Found (Hypothesis, seed 626), an oracle defect: lifted, stopped, then
    a `load 10000` while still lifted. The plant drives the open air until
    contact is back (a load changes only what the probes touch); the oracle
    took the load as a return and asked the session, which ended lifted
    after its 10 s wait, for its debt (28 uC, the documented residual of a
    stop while lifted)."""
    script = [(1.0, "press", "power", 0.2), (2.0, "contact", "off"), (4.21, "press", "power", 2.0),
              (13.64, "load", 10000), (16.22, "contact", "on")]
    run = simulate(script, seconds=20, seed=626, settings={"user_max_ua": 100, "level": 9, "program": "lift"})
    assert run.first("contact_back") is None or run.first("contact_back")[0] > 16220
    v = verdict(run)
    assert v["SR-04"]["ok"], v["violations"]


def test_sr05_a_ramp_downs_negative_half_stays_at_the_waiting_envelope():
    """Found (fuzz round 24, seed 28799, MicroPython; CPython the same): a
    stop on `lift` at level 3; the first negative half of the ramp-down paid
    flat at the waiting envelope (53 codes) until the trim moved the code to
    54, no longer under the half's start: then its plan's rate, q over the
    ticks left, 258 codes on its last tick (375 uA, clamped, on a 118 uA
    envelope; on the morning's firmware the same turn came earlier, at 72
    codes). Once flat, a half stays flat, longer."""
    script = [(0, "hold", "level"), (1.5, "release", "level"), (1.693, "press", "power", 0.2),
              (6.742, "press", "power", 1.7)]
    run = simulate(script, seconds=12, seed=1641)
    v = verdict(run)
    assert v["SR-05"]["ok"], v["violations"]
    assert max(abs(s.ua) for s in run.samples if s.t > 7000) < 125


def test_oracle_sr09_a_stall_after_a_usb_span_takes_nothing_off_its_allowance():
    """Found (fuzz round 24, seed 24600), an oracle defect: USB chattering
    for 12 ms, then a 900 ms stall beginning 41 ms after the last span; the
    stall's overlap with the span, negative, was added to the 50 ms allowed,
    which became 9 ms, and 10 ms of current with USB present failed."""
    script = [(0, "hold", "level"), (1.5, "release", "level"), (0.3, "press", "power", 0.2), (0.762, "stall", 900)]
    script += [(0.711 + k * 0.002, "usb", "on" if k % 2 == 0 else "off") for k in range(6)]
    run = simulate(sorted(script, key=lambda a: a[0]), seconds=15, seed=0)
    v = verdict(run)
    assert v["SR-09"]["ok"], v["violations"]


def test_oracle_sr05_a_pulse_groups_end_is_looked_for_over_a_whole_gap():
    """Found (fuzz round 24, seed 24600), an oracle defect: `pulse` ramping
    down for a low battery, each block one pulse, then a 300 ohm load judged
    a short 440 ms after the last block: the oracle looked 300 ms past the
    group's last cycle, saw no current (the pulse gap is 400 ms) and read a
    fall to zero, 251 uA/s. It looks 600 ms now, as long as a gap inside a
    group may last."""
    script = [(0, "hold", "level"), (0, "load", 500), (0.1, "load", 400), (0.2, "load", 300),
              (0.3, "press", "power", 0.2), (1.5, "release", "level"), (2.888, "inject", "battery_low"),
              (3.079, "stall", 300)]
    run = simulate(script, seconds=12, seed=9176, settings={"program": "pulse", "user_max_ua": 500})
    assert run.faults()[:1] == [6]
    v = verdict(run)
    assert v["SR-05"]["ok"], v["violations"]


def test_sr04_smooth_at_level_1_after_a_short_stall_ends_balanced():
    """Found (fuzz round 25, seed 28954, MicroPython; CPython the same):
    `smooth` at level 1, a 5 ms loop stall in the start ramp left a negative
    excess of one tick at 18 codes, which 1/128 of a 20-code one-tick phase
    cannot pay in whole codes: carried 59 s, then paid at once as the
    ramp-down met its level (a cycle at 50 % of its phase). A residue is paid
    at one code for one tick per cycle where 1/128 of a phase is less (the
    output's resolution, the per-cycle check's floor); what is left under
    that when the session ends is within it."""
    script = [(0, "hold", "level"), (1.5, "release", "level"), (0.3, "press", "power", 0.2), (0.976, "stall", 5)]
    run = simulate(sorted(script, key=lambda a: a[0]), seconds=75, seed=0,
                   settings={"program": "smooth", "level": 1, "session_min": 1, "cue_s": 0}, sample_ms=5)
    v = verdict(run)
    assert v["SR-04"]["ok"], v["violations"]


def test_sr06_a_short_at_the_lowest_setpoint_with_a_stage_calibration_20_pct_low_is_a_fault():
    """Found (fuzz round 25, seed 13234; the same on the morning's firmware):
    user_max_ua 100, stored stage gain 1725 nA/code (20 % low) and sense
    4200 uV/uA (20 % high): the clamp's code gives 93 uA, the calibration
    expected 74 and the trim 71, under the 85 uA a short is judged from: a
    100 ohm load driven 11.9 s. The short is judged at the stage's nominal
    gain too now."""
    script = [(0, "hold", "level"), (0, "load", 100), (0.3, "press", "power", 0.2), (1.5, "release", "level")]
    run = simulate(script, seconds=15, seed=0, settings={"user_max_ua": 100, "cal_gain_na": 1725,
                                                         "cal_sense_offset_uv": 200000,
                                                         "cal_sense_uv_per_ua": 4200})
    v = verdict(run)
    assert v["SR-06"]["ok"] and run.faults()[:1] == [6], v["violations"]


def test_sr04_pulse_with_a_lift_and_a_flapping_level_button_balances_each_cycle():
    """Found (fuzz round 25, seed 28954), an oracle defect: `pulse`, a lift
    and the level button flapping every 25 ms: a cycle after contact came back
    netted one DAC code for one 10 ms tick (1.52 % of its phase, within the
    output's resolution), judged against a 5 ms tick because the contact
    probe's 10 ms pulse shows 9 ms long on the plant and the oracle took a
    phase under 10 ms for `smooth`'s. The line is 8 ms now."""
    script = [(0.0, "press", "power", 1.7), (2.999, "press", "power", 0.2), (4.764, "contact", "off"),
              (5.764, "contact", "on")]
    script += [(3.075 + k * 0.025, "hold" if k % 2 == 0 else "release", "level") for k in range(7)]
    run = simulate(sorted(script, key=lambda a: a[0]), seconds=15, seed=355, settings={"program": "pulse"})
    v = verdict(run)
    assert v["SR-04"]["ok"], v["violations"]


def test_sr06_contact_gone_5_ms_inside_a_negative_tick_does_not_snap():
    """Found (fuzz round 27, seed 17901, CPython): `lift`, contact gone for
    5 ms inside a tick 30 ms before a negative half's end, too short to be a
    lift; the half paid the tick that did not flow in the two it had left:
    179 uA on a 119 uA setpoint (50 % over). Paid on at the plan's rate now."""
    script = [(0, "hold", "level"), (1.5, "release", "level"), (1.682, "press", "power", 0.2),
              (49.317, "contact", "off"), (49.322, "contact", "on")]
    run = simulate(script, seconds=53, seed=0, sample_ms=1)
    v = verdict(run)
    assert v["SR-06"]["ok"] and v["SR-06"]["returns"] == 1, v["violations"]
    assert v["SR-04"]["ok"] and v["SR-05"]["ok"], v["violations"]
    assert max(abs(s.ua) for s in run.samples if s.t > 49000) < 125, "a snap past the 119 uA setpoint"


def test_sr05_a_level_up_late_in_a_negative_half_of_lift_does_not_step():
    """Found (fuzz round 28, seed 6031, MicroPython; CPython the same): bench
    mode, `lift` at level 5, a level up 630 ms into a negative half: the half
    paid flat at 196 uA while the envelope rose to 229, 281 uA/s from one
    cycle to the next."""
    script = [(0, "hold", "level"), (0.883, "press", "power", 0.2), (1.5, "release", "level"),
              (9.725, "press", "level", 0.3)]
    run = simulate(script, seconds=15, seed=0, settings={"level": 5})
    v = verdict(run)
    assert run.kinds("level") and v["SR-05"]["ok"], v["violations"]
    assert v["SR-05"]["max_ramp_ua_per_s"] <= 200 and v["ok"], v["SR-05"]


def test_oracle_sr04_a_phase_that_runs_on_into_the_next_session_is_split_between_them():
    """Found (fuzz round 28, seed 14131), an oracle defect: `tone` at 100 uA,
    a session stopped by a long press, the next started 2.4 s later by a 2 ms
    press. The plant's positive phase ran on through the idle gap (no current
    of the other polarity came) from the first session's last tick into the
    second's first half, and the whole of it, 0.11 uC, was booked as the
    first session's DC (2.25 % of a phase). Each session gets its part now."""
    script = [(0, "hold", "level"), (0.3, "press", "power", 0.2), (1.487, "press", "power", 1.7),
              (1.5, "release", "level"), (6.435, "hold", "power"), (6.437, "release", "power")]
    run = simulate(script, seconds=15, seed=778, settings={"program": "tone", "user_max_ua": 100}, sample_ms=1)
    v = verdict(run)
    assert len(run.kinds("session_start")) == 2, run.kinds("session_start")
    assert v["SR-04"]["ok"] and v["SR-04"]["sessions_judged"] == 2, v["violations"]
    assert v["SR-04"]["dc_residue_max_pct"] < 1.0, v["SR-04"]


def test_oracle_sr04_a_return_inside_a_tick_may_leave_half_a_tick_too():
    """Found (fuzz round 29, a search of `tone` at 100 uA), an oracle
    defect: contact gone for 13 ms across two ticks of a negative half. The
    firmware books each of those ticks by what its samples at both ends saw
    (half of each), so the lift's tick and the return's each left up to half
    a tick at the amplitude (docs/safety.md, residual risks): 12.5 % of a
    phase. The re-balance check allowed the lift's half tick only."""
    script = [(0, "hold", "level"), (0.339, "press", "power", 0.2), (1.5, "release", "level"),
              (4.969, "contact", "off"), (4.982, "contact", "on")]
    run = simulate(script, seconds=15, seed=0, settings={"program": "tone", "user_max_ua": 100, "level": 1},
                   sample_ms=1)
    v = verdict(run)
    assert v["SR-04"]["ok"] and v["SR-04"]["lifts_rebalanced"] == 1, v["violations"]
    # what is left stays within the two half ticks (97 uA x 5 ms each), not more
    assert v["SR-04"]["rebalance_worst_pct"] < 20, v["SR-04"]


@pytest.mark.parametrize("t_stuck", [0.0, 3.0])
def test_sr08_a_sense_stuck_at_zero_read_as_no_contact_is_a_fault_within_500_ms(t_stuck):
    """Found (fuzz round 30, both interpreters): `pulse` into 200 kOhm with
    the sense stuck at its zero reading from the start. The firmware read no
    contact and cut the output; the stuck check counted only ticks with the
    output on, its 10 uA contact probes, and the fault came 3.4 s later. A
    reading that does not move is counted with the output off too: at boot,
    and in a session waiting for contact (stuck at 3 s: 4.8 s before)."""
    script = [(0, "load", 200000), (t_stuck, "inject", "sense_stuck"), (0, "hold", "level"),
              (0.0, "press", "power", 0.05), (0.06, "press", "power", 0.05), (0.12, "press", "power", 0.05),
              (0.3, "press", "power", 0.2), (1.5, "release", "level")]
    run = simulate(script, seconds=6, seed=0, settings={"program": "pulse"})
    v = verdict(run)
    assert v["SR-08"]["ok"] and v["ok"], v["violations"]
    if t_stuck:
        assert run.kinds("contact_lost") and run.kinds("contact_lost")[0][0] < t_stuck * 1000
    # (no judgeable current flows into 200 kOhm: the oracle has nothing to time)
    faults = [(e[0], e[2][1]) for e in run.events if e[1] == "fault"]
    assert len(faults) == 1 and faults[0][1] == "sense_stuck", faults
    assert faults[0][0] - t_stuck * 1000 <= 500, faults


def test_sr04_a_stall_on_smooth_is_booked_for_the_time_each_code_flowed():
    """Found (fuzz round 30): `smooth`, a 5 ms stall 1.3 s into a session
    stopped 0.4 s later. Its one-tick halves booked no correction for the
    delay from a tick's start to its write; the stall moved that delay by
    81 us once, and 0.0138 uC (1.3 codes for one tick) were left when the
    session ended. Each code is booked for the time it flowed now."""
    script = [(0, "hold", "level"), (1.5, "release", "level"), (2.047, "press", "power", 0.2),
              (3.703, "press", "power", 1.7), (3.303, "stall", 5), (0, "press", "power", 0.05)]
    run = simulate(script, seconds=8, seed=0, settings={"program": "smooth", "cal_sense_offset_uv": 208501})
    v = verdict(run)
    assert v["SR-04"]["ok"] and v["SR-04"]["sessions_judged"] == 1, v["violations"]
    assert v["SR-04"]["dc_residue_max_pct"] < 1.0, v["SR-04"]


def test_sr04_smooths_booking_of_a_cycle_before_is_carried_not_paid_at_once():
    """Found by a review of the fix above: the pair of corrections booked at
    a positive tick is the cycles' before, but it was booked after step() had
    set what is carried, so the next negative half paid all of it at once: a
    31 ms stall in the start ramp (the stall's excess paid over several
    positive ticks, whose last starts with no reversal gap) netted 2.06 % of
    a cycle. It is carried now, paid as any carried residue."""
    script = [press(0.5), (3.0039, "stall", 31), (4.5, "press", "power", 1.7)]
    run = simulate(script, seconds=9, seed=0, settings={"program": "smooth", "level": 10})
    v = verdict(run)
    assert v["SR-04"]["ok"], v["violations"]
    # within one code for one tick (0.011 uC; it was 0.0217)
    assert v["SR-04"]["net_per_cycle_max_uc"] < 0.012, v["SR-04"]


def test_oracle_sr04_stalls_asked_for_during_a_stall_run_after_it():
    """Found (fuzz round 36), an oracle defect: two 300 ms stalls asked for
    10 ms apart. The simulator adds them up, so the loop was held from 172
    to 472 and again from 482 to 782 ms; the oracle took the second as
    182..482 and judged a lift at 791 ms, which the firmware's first look
    after the stall could not place, as seen within a tick: the half of the
    stalled interval the firmware booked for it (1.36 uC, the documented
    residual of a lift in a stall) read as a re-balance that never came."""
    from simboard.oracle.spans import _stalls

    script = [(0, "hold", "level"), (1.5, "release", "level"), (0.3, "press", "power", 0.2),
              (0.791, "contact", "off"), (0.821, "contact", "on"), (0.182, "stall", 300), (0.172, "stall", 300),
              (0, "press", "power", 0.05), (0, "press", "power", 0.05)]
    run = simulate(script, seconds=15, seed=0)
    v = verdict(run)
    assert v["SR-04"]["ok"] and v["SR-04"]["lifts_rebalanced"] == 1, v["violations"]

    class Tr:
        actions = [(182, "stall", ("300",)), (172, "stall", ("300",)), (2000, "stall", ("50",))]

    assert _stalls(Tr()) == [(172, 472.0), (482.0, 782.0), (2000, 2050.0)]


def test_sr05_sr08_a_stage_five_times_too_strong_from_boot_is_a_fault_in_the_start_ramp():
    """Found (fuzz round 38, both interpreters): the stage x5 from boot, with
    contact flapping. The drift band is judged from 20 uA of command, and the
    start ramp, five times too steep, ran at 550 uA/s to 99 uA before the
    command reached it: the envelope read 499 uA/s. Under 20 uA a reading over
    twice the command and 10 uA more is a drift now, a fault in the ramp."""
    script = [(0, "inject", "gain_drift=5"), (0, "flap", "contact", 1, 2), (0, "hold", "level"),
              (1.024, "press", "power", 0.05), (1.071, "press", "power", 0.2), (1.5, "release", "level")]
    run = simulate(script, seconds=4, seed=0, settings={"idle_off_s": 30})
    v = verdict(run)
    assert v["ok"], v["violations"]
    faults = [(e[0], e[2][1]) for e in run.events if e[1] == "fault"]
    start = run.first("session_start")
    assert start is not None and faults and faults[0][1] == "gain_drift", faults
    assert faults[0][0] - start[0] <= 150, (start, faults)


def test_sr06_a_lift_soon_after_a_usb_refusal_is_told_muted():
    """Found (fuzz round 38, both interpreters): muted, a start refused while
    USB power was there, then a session started once it was gone. The
    refusal's pattern (red, 3 s) stayed over the session's, and a lift 300 ms
    later showed the same red: told 270 ms late. A start ends the refusal's
    pattern, and no contact shows over it."""
    script = [(0, "hold", "level"), (0.008, "press", "power", 0.9), (0.349, "press", "power", 0.2),
              (0.515, "usb", "on"), (0.842, "usb", "off"), (1.231, "contact", "off"), (1.5, "release", "level"),
              (2.231, "contact", "on")]
    run = simulate(script, seconds=4, seed=0, settings={"mute": True})
    v = verdict(run)
    assert v["ok"], v["violations"]
    assert run.kinds("usb_refused") and v["SR-06"]["lifts"] == 1, v["SR-06"]
    assert v["SR-06"]["lift_to_told_max_ms"] <= 30, v["SR-06"]


def test_oracle_sr04_a_load_past_the_compliance_for_what_the_stage_pushes_is_no_contact():
    """Found (fuzz round 39), an oracle defect: a stage x2 from boot, a sense
    calibration 20 % high, a 200 kOhm load. The firmware's codes for the
    100 uA setpoint push 200 uA through that stage, 40 V: past the
    compliance, so the firmware rightly never saw contact to pay the start
    ramp's 1.28 uC into. The oracle judged the load at the setpoint, 20 V,
    and asked for the payment after a 30 ms lift. It now takes what the stage
    pushes for the setpoint (the stored stage gain and the injected drift)."""
    from simboard.oracle.spans import _pushed_ua

    script = [(0, "load", 200000), (0, "inject", "gain_drift=2"), (0, "hold", "level"), (1.5, "release", "level"),
              (0.3, "press", "power", 0.2), (2.855, "contact", "off"), (2.885, "contact", "on")]
    run = simulate(script, seconds=15, seed=0, settings={"user_max_ua": 100, "cal_sense_uv_per_ua": 4200})
    v = verdict(run)
    assert v["SR-04"]["ok"] and v["SR-04"]["lifts_rebalanced"] == 0, v["violations"]

    class Tr:
        events = []
        actions = [(0, "inject", ("gain_drift=2",)), (5000, "inject", ("clear",)),
                   (6000, "inject", ("gain_drift=0.5",))]

    class View:
        eff = {"level": 3, "user_max_ua": 100, "cal_gain_na": 2157 * 4 // 5}
        tr = Tr()

    # the stored gain 20 % low pushes x1.25, the drift x2 on top; the trim takes
    # up to 15 % back off what pushes more, and raises what pushes less by 4 % at
    # most: judged at the least (x0.85 over the setpoint, x1 under it)
    f = 2157 / (2157 * 4 // 5)
    assert [round(_pushed_ua(View(), t), 1) for t in (-1, 0, 5000, 7000)] == \
        [round(100 * f * 870 / 1024, 1), round(200 * f * 870 / 1024, 1), round(100 * f * 870 / 1024, 1),
         round(100 * f * 0.5, 1)]


def test_sr04_a_residue_carried_into_a_pause_is_kept_not_paid_in_its_last_small_cycle():
    """Found (fuzz round 33): `pulse` at 100 uA paused 11 s in. Its 55.9 uC
    half left 0.27 uC (0.47 %) carried; the pause's ramp-down judged it by the
    falling envelope's code (4 at the last reversal), read it as a stall's
    excess and paid it at once: 3.87 % of the last, 5.1 uC cycle. A carry is
    judged by the highest envelope it was carried under now, paid at 1/256 of
    a half a cycle, none at a zero envelope, and a pause keeps the rest."""
    script = [(0, "hold", "level"), (1.5, "release", "level"), (0.3, "press", "power", 0.2),
              (11.007, "press", "power", 0.9)]
    run = simulate(script, seconds=15, seed=0, settings={"program": "pulse", "user_max_ua": 100})
    v = verdict(run)
    assert v["SR-04"]["ok"] and v["SR-04"]["net_per_cycle_max_pct"] < 1.0, v["violations"]
    assert run.kinds("state")[-1][2] == ("hold",), run.kinds("state")[-3:]


def test_sr05_a_lifts_debt_is_paid_to_its_last_tick_before_a_stop():
    """Found (fuzz round 34's searches): `tone`, a lift's debt paid at the
    envelope down to under a tick of it; that residue was paid whole by the
    next negative half, the stop's first, 44 uA after a 36 uA positive one,
    and the envelope fell at 236 uA/s. A debt of a continuous program is paid
    to its last tick now, cut to what is owed."""
    script = [(0.5, "press", "power", 0.2), (8.6258, "stall", 13), (15.51, "contact", "off"),
              (15.662, "press", "power", 1.7), (16.393, "contact", "on")]
    run = simulate(script, seconds=21, seed=1, settings={"program": "tone", "level": 6, "user_max_ua": 400})
    v = verdict(run)
    assert v["ok"], v["violations"]
    assert v["SR-05"]["max_ramp_ua_per_s"] <= 200 and run.first("session_end") is not None, v["SR-05"]


def test_sr04_a_stalls_excess_in_a_ramp_down_is_paid_before_the_session_ends():
    """Found by a sweep of this change before it landed: a 60 ms stall in a
    `tone` ramp-down. Carried as a residue and spread at a code for a tick a
    cycle, the stall's negative excess was not paid when the envelope reached
    zero: 1.94 % of a phase of DC at the end. The excess is paid at the
    envelope to its last tick now, right after the stall."""
    script = [press(0.5), (4.4339, "stall", 60), (4.872, "press", "power", 1.7), (2.896, "press", "power", 0.9)]
    run = simulate(script, seconds=10, seed=128, settings={"program": "tone", "level": 3, "user_max_ua": 500})
    v = verdict(run)
    assert v["SR-04"]["ok"] and v["SR-04"]["sessions_judged"] == 1, v["violations"]
    assert v["SR-04"]["dc_residue_max_pct"] < 1.0, v["SR-04"]


@pytest.mark.parametrize("script,seconds,level", [
    ([press(0.5), (5.065, "stall", 8), (5.2, "press", "power", 1.7)], 12, 4),
    ([press(0.5), (5.065, "stall", 8), (5.2, "press", "power", 0.9), (9.0, "press", "power", 0.9),
      (12, "press", "power", 1.7)], 20, 4),
    ([press(0.5), (8.063, "stall", 8), (8.1, "press", "power", 1.7), (13.59, "stall", 20)], 20, 10),
])
def test_sr04_a_stalls_excess_under_a_tick_is_paid_at_once_and_a_pause_keeps_its_residue(script, seconds, level):
    """Found by a review of the carried-residue change before any fuzz round:
    an 8 ms stall in a `tone` negative half overpaid 0.8 of a tick at the
    envelope. Under a tick, it was carried as a residue, paid at a code for a
    tick a cycle, and a stop 135 ms later ended with 6.9 % of a phase of DC;
    a later stall under the carry's old ref was carried too (10.8 %); and the
    residue a pause kept was overwritten on the pause's next tick (7.9 %). A
    half's own negative excess over a code for a tick and 0.5 % of its phase
    is paid at once now, to its last tick; the pause keeps its residue once."""
    run = simulate(script, seconds=seconds, seed=1, settings={"program": "tone", "level": level, "user_max_ua": 500})
    v = verdict(run)
    assert v["SR-04"]["ok"] and v["SR-04"]["sessions_judged"] == 1, v["violations"]
    assert v["SR-04"]["dc_residue_max_pct"] < 0.5, v["SR-04"]


def test_oracle_sr06_a_lift_that_ends_on_a_short_is_judged_as_the_short():
    """Found (fuzz round 41), an oracle defect: a load sliding from 500 to
    100 Ohm, with an 11 ms lift (2 MOhm) just before the slide's 100 Ohm step.
    The firmware never saw the lift (under a tick) and cut the short with its
    fault 341 ms later; the oracle, which ended a lift only at a return, read
    a lift whose output went to zero only after 850 ms. A short ends the lift
    too: the short's own clause judges what follows."""
    script = [(0, "hold", "level"), (1.5, "release", "level"), (0.3, "press", "power", 0.2),
              (0, "press", "power", 0.05), (0, "press", "power", 0.05), (0, "press", "power", 0.05),
              (0.263, "load", 500), (0.413, "load", 420), (0.563, "load", 340), (0.713, "load", 260),
              (0.863, "load", 180), (1.002, "load", 2e6), (1.013, "load", 100)]
    run = simulate(script, seconds=15, seed=0)
    v = verdict(run)
    assert v["SR-06"]["ok"], v["violations"]
    assert run.faults()[:1] == [6] and v["SR-06"]["short_to_fault_max_ms"] <= 2000, (run.faults(), v["SR-06"])


@pytest.mark.parametrize("script,seconds,settings", [
    ([press(0.5), (4.03, "stall", 60), (4.11, "stall", 8), (4.33, "press", "power", 1.7)], 14, {}),
    ([press(0.5), (4.03, "stall", 60), (4.11, "stall", 8), (4.33, "press", "power", 0.9),
      (7.5, "press", "power", 1.7)], 14, {}),
    ([press(0.5), (58.03, "stall", 60), (58.11, "stall", 8)], 70, {"session_min": 1}),
])
def test_sr04_a_paybacks_overshoot_is_no_residue_to_carry(script, seconds, settings):
    """Found by a second review of the carried-residue change: a 60 ms stall
    in a `tone` negative half, paid back at the envelope, and an 8 ms stall
    in that payback's last tick, which then overshot by 0.77 of a tick at
    the envelope. Counted as a residue (up to a tick at the envelope), it was
    spread at a code for a tick a cycle, and a stop, a pause and a stop, or
    the timer's end left 3.4 %, 4.3 % and 4.5 % of a phase of DC. A residue
    is at most 1/128 of the largest half it was carried under, or
    carry.floor() (5 code-ticks on `tone`) now; more is paid by the next
    negative half, as a stall's is."""
    run = simulate(script, seconds=seconds, seed=1,
                   settings=dict({"program": "tone", "level": 3, "user_max_ua": 500}, **settings))
    v = verdict(run)
    assert v["SR-04"]["ok"] and v["SR-04"]["sessions_judged"] == 1, v["violations"]
    assert v["SR-04"]["dc_residue_max_pct"] < 1.0 and v["ok"], (v["SR-04"], v["violations"])


def test_sr07_a_lifts_debt_at_a_20_minute_sessions_end_is_paid_before_it_ramps_down():
    """Found by a search of long sessions: `pulse` at level 1 for 20 minutes,
    a lift at 1185 s and contact back 2.2 s later. The timer's ramp-down
    began while the lift's debt was being paid; the envelope fell to zero and
    the debt went on at one code through the pulse train's gaps: 1236 s of
    current at the run's end, and rising. The envelope now waits while a debt
    is paid, as it does for a stall's, and past 3 s over its time a session
    drops a debt as it drops a stall's (SR-07 over SR-04)."""
    script = [press(0.5), (1185.075, "contact", "off"), (1187.238, "contact", "on"), (1191.414, "press", "power", 0.9)]
    run = simulate(script, seconds=1240, seed=41,
                   settings={"program": "pulse", "level": 1, "session_min": 20, "user_max_ua": 500})
    v = verdict(run)
    assert v["SR-07"]["ok"] and v["ok"], v["violations"]
    end = run.first("session_end")
    assert end is not None and end[0] < 1200000 and end[2][0] == "timer", end


def test_oracle_sr05_a_pulse_a_stall_made_the_train_miss_does_not_restart_it_from_zero():
    """Found by a sweep, an oracle defect (the same on the firmware before
    this round): `pulse` at level 10, a 31 ms stall at 5.19 s. The stall hid
    the instant a paid negative block ends at, so the next block began one
    pulse later; the 900 ms without current split the train into two groups,
    and the oracle read the second's first block, at 265..319 uA, as a rise
    from zero: 544 uA/s. A gap a stall fell in does not start a group from
    zero now (a return, a reset or a new session still do)."""
    script = [press(0.5), (5.1921, "stall", 31), (5.4292, "stall", 1), (5.386, "press", "power", 0.9),
              (8.386, "press", "power", 0.9), (13.386, "press", "power", 1.7)]
    run = simulate(script, seconds=28, seed=208, settings={"program": "pulse", "level": 10, "user_max_ua": 500})
    v = verdict(run)
    assert v["SR-05"]["ok"] and v["SR-05"]["pulses"] > 20, (v["violations"], v["SR-05"])
    assert v["SR-05"]["max_ramp_ua_per_s"] < 150, v["SR-05"]


def test_oracle_sr04_a_return_inside_a_probe_pulse_may_leave_that_pulse_at_a_sessions_end():
    """Found (fuzz round 42), an oracle defect: a session started lifted and
    stopped while lifted waits 10 s for contact to pay what it owes; contact
    came back 81 ms before that wait ran out, inside a -10 uA contact probe
    pulse, and the session ended with that pulse's -0.11 uC. Nothing tells
    the firmware where in the pulse the load took it; the re-balance check
    already allowed one probe tick per return, the DC check at a session's
    end does too now."""
    script = [(0, "hold", "level"), (1.5, "release", "level"), (0.309, "press", "power", 0.2),
              (0, "contact", "off"), (12.0, "contact", "on"), (0, "press", "power", 0.05),
              (0.53, "press", "power", 1.7)]
    run = simulate(script, seconds=15, seed=0)
    v = verdict(run)
    assert v["SR-04"]["ok"] and v["SR-04"]["sessions_judged"] == 1, v["violations"]
    end = run.first("session_end")
    assert end is not None and 12000 < end[0] < 12200, end  # the wait ran out after the return


def test_oracle_sr06_a_short_that_ends_while_lifted_is_a_lift_again():
    """A review of the oracle's fix above: a short now ends a lift, so a short
    injected while lifted and cleared still lifted must start a new lift, or
    what the output did into the open air after it was never judged."""
    from simboard import oracle
    from simboard.oracle.view import _View

    acts = [(1000, "contact", ("off",)), (1100, "inject", ("short",)), (1300, "inject", ("short=off",)),
            (2000, "contact", ("on",))]
    tr = oracle.Trace(samples=[], phases=[], slots=[], actions=acts, resets=[], events=[], settings_bytes=None,
                      files={}, end_ms=3000, sample_ms=10, plant={}, exceptions=[], load_ohms=None)
    v = _View(tr)
    assert v.lifts == [1000, 1300] and v.shorts == [1100] and v.returns == [2000], (v.lifts, v.shorts, v.returns)


@pytest.mark.parametrize("level,user_max,seed,script", [
    # a pause's ramp-down with a 5 ms stall in it, then a stop from the pause
    (3, 100, 7, [press(0.5), (5.207, "press", "power", 0.9), (6.186, "stall", 5), (8.818, "press", "power", 1.7)]),
    (2, 400, 282, [press(0.5), (6.79, "press", "power", 0.9), (7.919, "stall", 6), (10.29, "press", "power", 1.7)]),
    # a stop's ramp-down with a 13 ms stall in it
    (10, 100, 160, [press(0.5), (8.521, "press", "power", 1.7), (10.126, "stall", 13)]),
])
def test_sr04_a_residue_left_at_a_sessions_end_is_paid_to_under_a_code_for_a_tick(level, user_max, seed, script):
    """Open residual until this round (docs/safety.md): none of a residue is
    paid at a zero envelope, so what a `tone` ramp-down's last cycles carried
    was left as the session's DC: 1.12 to 1.16 DAC codes for a tick in these
    (a sweep of stalls in ramp-downs and pauses), and carry.floor() bounds it
    at 5 code-ticks on `tone`, 50 on `smooth`, more than SR-04's 1 % at the
    lowest setpoint. A session now pays a residue of a code for a tick or more
    at one code, to its last tick, before it ends: 0.13 to 0.17 here."""
    from wand import board

    run = simulate(script, seconds=16, seed=seed, settings={"program": "tone", "level": level, "user_max_ua": user_max})
    v = verdict(run)
    assert v["ok"], v["violations"]
    assert [s["ended_by"] for s in v["sessions"]] == ["button"], v["sessions"]
    code_tick_uc = board.STAGE_UA_PER_CODE * 10 / 1000.0
    assert abs(v["sessions"][0]["dc_residue_uc"]) < code_tick_uc, (v["sessions"], code_tick_uc)


def test_sr08_a_sense_frozen_at_zero_on_a_light_contact_is_a_fault():
    """Found (fuzz round 45, MicroPython; the same on CPython and on the
    firmware before): a sense frozen at zero from boot, `pulse` at level 10,
    bench mode, a 100 kOhm load. Past the compliance only at the setpoint, the
    load read as no contact after one tick at 45 uA, and the 10 uA contact
    probes (1 V across the load: current flowed) were never judged: 13.8 s of
    output with no fault. A light contact is judged now, and under 20 uA a
    reading under a third of the command is a drift: the fault in 420 ms."""
    from wand import faults

    script = [(0, "hold", "level"), (1.5, "release", "level"), (0.3, "press", "power", 0.2),
              (0.0, "inject", "sense_frozen"), (0.0, "load", 500), (0.1, "load", 50250), (0.2, "load", 100000)]
    run = simulate(script, seconds=4, seed=0, settings={"program": "pulse", "level": 10})
    v = verdict(run)
    assert v["SR-08"]["ok"] and v["SR-08"]["onset_to_fault_max_ms"] <= 500, (v["SR-08"], v["violations"])
    assert [e[2][0] for e in run.kinds("fault")] == [faults.GAIN_DRIFT], run.kinds("fault")


@pytest.mark.parametrize("settings,script", [
    # a lift's debt paid in the pulses of a negative block: its gaps were dark for seconds
    ({"program": "pulse", "level": 9, "user_max_ua": 100},
     [press(0.5), (6.985, "contact", "off"), (7.155, "contact", "on"), (8.745, "contact", "off"),
      (11.019, "contact", "on")]),
    # a 16 ms stall overpaid a negative block at a pulse's end: the rest of its 500 ms was dark
    ({"program": "pulse", "level": 6, "user_max_ua": 400},
     [press(0.5), (10.80, "stall", 16), (10.84, "contact", "off"), (11.9, "contact", "on"),
      (14, "press", "power", 1.7)]),
    # a 52 ms stall in the last gap
    ({"program": "pulse", "level": 5, "user_max_ua": 100},
     [press(0.5), (6.193, "stall", 52), (6.30, "contact", "off"), (7.5, "contact", "on"), (10, "press", "power", 1.7)]),
])
def test_sr06_a_pulse_trains_gaps_carry_the_sense_current_through_debts_and_stalls(settings, script):
    """Found by a review of the sense current: it flowed only while nothing
    was owed from a lift, and a negative block a stall had overpaid went dark
    to its next 500 ms boundary: lifts told 410..450 ms late. The gaps carry
    it while a debt is paid too, and a block paid in a gap hands over to the
    next one there, in its rhythm (its first pulse and its 3 s from the
    boundary): each lift told within 100 ms, every cycle balanced."""
    run = simulate(script, seconds=16, seed=1, settings=settings)
    v = verdict(run)
    assert v["ok"], v["violations"]
    lifts = [t for t, a, *r in script if a == "contact" and r[0] == "off"]
    lost = [e[0] for e in run.kinds("contact_lost")]
    assert len(lost) == len(lifts), (lifts, lost)
    assert all(0 < x - t * 1000 <= 100 for t, x in zip(lifts, lost, strict=True)), (lifts, lost)


def test_sr07_an_idle_stop_of_a_lifted_pause_is_not_held_by_its_residue():
    """Found by a review of the session-end payment (37f50fc): idle in a pause,
    lifted, the stop paid the pause's residue into the open electrodes, saw a
    lift, and waited 10 s for contact: off 38 s after the last activity, 30 s
    asked. A residue's payment at the end, and an idle stop, are not waited for."""
    script = [press(0.5), (5.207, "press", "power", 0.9), (6.186, "stall", 5), (8.0, "contact", "off")]
    run = simulate(script, seconds=60, seed=7,
                   settings={"program": "tone", "level": 3, "user_max_ua": 100, "idle_off_s": 30})
    v = verdict(run)
    assert v["ok"], v["violations"]
    end = run.first("session_end")
    assert end is not None and end[2][0] == "idle" and end[0] < 37000, end


@pytest.mark.parametrize("settings,script", [
    # a lift and its return both inside an 800 ms loop stall: nothing could see it
    ({"program": "tone", "level": 8, "user_max_ua": 400},
     [press(0.5), (5.0, "stall", 800), (5.3, "contact", "off"), (5.45, "contact", "on"), (9, "press", "power", 1.7)]),
    ({"program": "smooth", "level": 8, "user_max_ua": 400},
     [press(0.5), (5.0, "stall", 800), (5.3, "contact", "off"), (5.45, "contact", "on"), (9, "press", "power", 1.7)]),
    # the lowest stage offset the settings take: the sense current is 3 codes, no pulse for SR-05
    ({"program": "pulse", "level": 6, "user_max_ua": 400, "cal_offset_na": -3500},
     [press(0.5), (9, "press", "power", 1.7)]),
    # a 1 MOhm load: a lift, but the 2 uA sense current flows in it (2 V): seen at the next pulse
    ({"program": "pulse", "level": 6, "user_max_ua": 400},
     [press(0.5), (5.85, "load", "1e6"), (7.0, "load", "skin"), (9, "press", "power", 1.7)]),
])
def test_oracle_sr05_sr06_what_the_sense_current_can_and_cannot_show(settings, script):
    """A review of the oracle's change for the sense current: it judged a lift
    and return inside a loop stall (8 s, on every continuous program), a
    sense current of 3 codes as pulses (1626 uA/s), and a 1 MOhm load, which
    that current flows into, as a lift it should show at once. None fails now."""
    run = simulate(script, seconds=14, seed=1, settings=settings)
    v = verdict(run)
    assert v["ok"], v["violations"]


def test_oracle_sr06_a_lift_after_the_firmware_left_is_not_asked_to_be_told():
    """Found (fuzz round 46, an oracle defect of the sense-current change): a
    Ctrl-C 2 ms before a lift leaves the firmware at the REPL, the output off;
    the oracle took the session's last state, running, and asked for the lift
    to be told. A lift after the firmware left is judged as before (nothing
    drives the open load: nothing to tell)."""
    script = [(0, "hold", "level"), (1.5, "release", "level"), (0.3, "press", "power", 0.2),
              (1.782, "contact", "off"), (2.082, "contact", "on"), (0.0, "press", "power", 0.05), (1.780, "interrupt")]
    run = simulate(script, seconds=5, seed=0)
    v = verdict(run)
    assert v["SR-06"]["ok"], v["violations"]
    assert run.first("session_start") is not None and run.first("contact_lost") is None


def test_sr05_a_stall_that_overpays_a_debt_is_paid_back_at_the_envelope_not_in_one_half():
    """Found (fuzz round 46, MicroPython; the same before): `tone`, a 919 ms
    stall in a negative half left an excess paid at the envelope by the next
    positive half, and a 900 ms stall inside that payment overpaid it by 1304
    code-ticks. Carried whole into the next 50 ms negative half, it was paid
    at code 255 (clamped to the 400 uA limit): 117 to -384 uA, 2673 uA/s. The
    overpay is now the half's on-time at the envelope, paid back as a stall's
    is, at the rate from before, over as long."""
    script = [(0, "hold", "level"), (1.5, "release", "level"), (0.3, "press", "power", 0.2),
              (0.0, "press", "power", 0.05), (2.021, "stall", 919), (3.085, "stall", 39), (3.159, "stall", 900)]
    run = simulate(script, seconds=8, seed=0, settings={"program": "tone"})
    v = verdict(run)
    assert v["ok"], v["violations"]
    assert v["SR-05"]["max_ramp_ua_per_s"] <= 200 and max(abs(s.ua) for s in run.samples) < 130, v["SR-05"]


def test_sr08_two_lifts_in_a_ramps_first_microamps_are_no_gain_drift():
    """Found by a review of the SR-08 light-contact fix: a lift reads as the
    load it was for two ticks (the third judges it open), and two lifts in the
    10..19 uA of a ramp's start added 4 + 4 twice to the drift count, never
    cleared under 20 uA: a false GAIN_DRIFT latched. A reading that is right
    clears the count now, and a pending open reading is not judged."""
    script = [press(0.5), (0.835, "contact", "off"), (1.5, "contact", "on"), (2.025, "contact", "off"),
              (3.0, "contact", "on")]
    run = simulate(script, seconds=5, seed=1, settings={"program": "lift", "level": 6, "user_max_ua": 400})
    assert run.kinds("fault") == [] and len(run.kinds("contact_lost")) == 2, run.kinds("fault")
    assert verdict(run)["ok"]


@pytest.mark.parametrize("program", ["lift", "tone", "smooth", "pulse"])
def test_sr08_a_frozen_sense_on_a_light_contact_faults_within_500_ms_on_every_program(program):
    """The same review: on `lift` the fix above took 891 ms from the first
    current (the load was no contact at 8 uA, under the 10 uA the rule began
    at, and the first contact probe came 400 ms later). From 8 uA: 81 ms on
    the continuous programs, 481 ms on `pulse` (its next pulse)."""
    from wand import faults

    run = simulate([(0, "inject", "sense_frozen"), press(0.5)], seconds=4, seed=1, load_ohms=100000,
                   settings={"program": program, "level": 10, "user_max_ua": 400})
    first = next(s.t for s in run.samples if abs(s.ua) >= 1)
    f = run.kinds("fault")
    assert f and f[0][2][0] == faults.GAIN_DRIFT and f[0][0] - first <= 500, (first, f)


def test_sr04_a_debt_paid_in_a_pulse_gap_ends_its_half_at_the_boundary():
    """Found (fuzz round 49, CPython; a regression of the round's mid-gap
    hand-over): a lift's debt on `pulse` paid in a gap handed over to the
    positive block there, and the net charge never came back within 1 % of a
    phase after contact returned (3.7 % after 10 s). Only a block paid on its
    plan hands over in a gap; a debt's half ends at the boundary, as before."""
    settings = {"program": "pulse", "level": 1, "idle_off_s": 30}
    script = [(0, "hold", "level"), (1.5, "release", "level"), (0.3, "press", "power", 0.2),
              (1.412, "press", "power", 0.05), (0.399, "inject", "sense_frozen"), (1.265, "inject", "clear"),
              (35.621, "press", "power", 0.9), (0.031, "contact", "off"), (0.061, "contact", "on"),
              (4.469, "load", 200000), (4.469, "press", "power", 1.7)]
    run = simulate(script, seconds=75, seed=15, settings=settings)
    v = verdict(run)
    assert v["SR-04"]["ok"], v["violations"]


def test_sr07_loop_stalls_that_reset_the_chip_do_not_keep_it_awake():
    """Found (fuzz round 49, both interpreters): `lift`, two 3 s loop stalls at
    boot and 21.6 s, each a watchdog reset. Each boot restarted the idle clock,
    and the wand was still on 41 s after the last press, 30 s asked. The idle
    seconds are kept in RTC memory beside the latched fault, and a watchdog
    reset goes on from them."""
    script = [(0, "hold", "level"), (0, "press", "power", 0.05), (0, "stall", 3000), (1.5, "release", "level"),
              (2.946, "press", "power", 0.2), (21.633, "stall", 3000)]
    run = simulate(script, seconds=45, seed=0,
                   settings={"program": "lift", "level": 1, "session_min": 1, "cue_s": 0, "idle_off_s": 30})
    v = verdict(run)
    assert v["ok"], v["violations"]
    assert [c for _, c in run.result["resets"]] == ["wdt", "wdt"], run.result["resets"]
    assert v["SR-07"]["idle_judged"] == 1 and v["SR-07"]["awake_after_idle_max_s"] <= 31, v["SR-07"]
    # the watchdog's fault is still latched for the next wake (SR-12), beside the idle count
    assert run.world.rtc_mem.startswith(b"wand:f00007i"), run.world.rtc_mem


def test_a_long_press_with_a_loop_stall_over_its_mark_stops_the_session():
    """Found by a review: a 1.7 s press of the power button with an 847 ms
    loop stall over its 1.5 s mark read as a short press, and the session
    paused instead of stopping. Held 1.5 s by the clock at its release, it is
    a long press: the session stops."""
    script = [press(0.5), (5.0, "press", "power", 1.7), (5.9, "stall", 847)]
    run = simulate(script, seconds=12, seed=3, settings={"program": "tone", "level": 3})
    v = verdict(run)
    assert v["ok"], v["violations"]
    end = run.first("session_end")
    assert end is not None and end[2][0] == "button", end


_SR05_PULSE_STALLS = [
    "0 file settings.json " + json.dumps({"program": "pulse", "level": 4, "user_max_ua": 500}).encode().hex(),
    "0.5 press power 0.2", "6.8 press power 1.7", "8.525 stall 29", "9.421 stall 19", "9.726 stall 25"]
_SR07_RESET_STALLS = [
    "0 file settings.json " + json.dumps({"program": "lift", "level": 1, "session_min": 1, "cue_s": 0,
                                          "idle_off_s": 30}).encode().hex(),
    "0 hold level", "1.5 release level", "2.946 press power 0.2", "0 press power 0.05", "21.633 stall 3000",
    "0 stall 3000"]


@pytest.mark.parametrize("interpreter", ["cpython", "micropython"])
@pytest.mark.parametrize("name,lines,seed,seconds", [
    ("sr05", _SR05_PULSE_STALLS, 19, 16),
    ("sr07", _SR07_RESET_STALLS, 0, 45),
])
def test_sr05_sr07_this_rounds_cases_on_both_interpreters(name, lines, seed, seconds, interpreter, tmp_path):
    """The scripts as the fuzzer and a review wrote them, replayed by `wandctl
    sim` on each interpreter. SR-05 (a review): `pulse` stopped, three 19..29 ms
    loop stalls in its ramp-down; a stall cut a negative pulse 5 ms short, the
    plan's time was over by `_paid()`'s half tick but not by the pulse's own
    test, and the rest (0.9 uC) went into a pulse of one tick of its own: 196
    to 92 uA pulse to pulse, 218 uA/s. It is paid in the pulse going on now.
    SR-07: the round-49 case above."""
    from simboard import simrun

    script = tmp_path / (name + ".script")
    script.write_text("\n".join(lines) + "\n")
    res = simrun.run(simrun.SimOptions(script=str(script), seed=seed, seconds=seconds, interpreter=interpreter))
    v = simrun.verdict(res)
    assert v["ok"], v["violations"]
    if name == "sr05":
        assert 0 < v["SR-05"]["max_ramp_ua_per_s"] < 200 and v["SR-05"]["pulses"] > 20, v["SR-05"]
    else:
        assert v["SR-07"]["idle_judged"] == 1 and v["SR-07"]["awake_after_idle_max_s"] <= 31, v["SR-07"]


def _sweep_case(tp, stalls, mode, lift):
    """A script of the sweep of stalls and lifts in pauses and stops (this round's)."""
    sc = [press(0.5), (tp, "press", "power", 0.9), (tp + 8, "press", "power", 1.7)] if mode == "pause" \
        else [press(0.5), (tp, "press", "power", 1.7)]
    sc += [(round(tp + t, 3), "stall", ms) for t, ms in stalls]
    if lift:
        sc += [(round(tp + lift, 3), "contact", "off"), (round(tp + lift + 0.7, 3), "contact", "on")]
    return sorted(sc, key=lambda x: x[0])


@pytest.mark.parametrize("seed,level,um,tp,stalls,mode,lift", [
    # SR-05: a 13 ms stall cut a negative pulse 7 ms short; the rest went into a pulse of one tick, 326 uA/s
    (284, 10, 500, 7.784, [(0.732, 37), (1.433, 13), (4.228, 13)], "pause", 0),
    # SR-04: a pulse's first tick, held 150 ms by a stall, ran into a lift; its start sample was the gap's 2 uA
    # sense code, taken as all the load could take: 1 % booked, 21 % of a phase left at the stop's end
    (19, 4, 150, 7.339, [(1.365, 150), (0.488, 80), (2.955, 50), (2.32, 29)], "stop", 1.51),
    # SR-06: lifted 2 ms before a pause's last sense current ended; seen as it ended, never told
    (215, 3, 250, 5.146, [(0.196, 80), (0.324, 25), (4.726, 50)], "pause", 3.917),
    # oracle: the pause's last code ended 2 ms before the lift (the 10 ms samples could not show it)
    (226, 1, 400, 4.738, [(3.331, 80), (3.36, 3)], "pause", 3.548),
    # oracle: a 150 ms stall 9 ms after a lift held the telling (told 8 ms after it)
    (60, 6, 250, 6.557, [(3.976, 80), (2.193, 150), (0.377, 150)], "pause", 0.368),
])
def test_sr04_sr06_stalls_and_lifts_in_a_pulse_trains_pause_and_stop(seed, level, um, tp, stalls, mode, lift):
    """Found by a sweep of this round (1 to 4 stalls of 3 to 150 ms and a lift
    in `pulse`'s pauses and stops); each the same on the firmware before."""
    run = simulate(_sweep_case(tp, stalls, mode, lift), seconds=tp + 14, seed=seed,
                   settings={"program": "pulse", "level": level, "user_max_ua": um})
    v = verdict(run)
    assert v["ok"], v["violations"]
    if seed == 215:
        lost = run.first("contact_lost")
        assert lost is not None and 0 < lost[0] - (tp + lift) * 1000 < 100, lost


def test_sr07_a_loop_stalling_every_2_s_does_not_keep_it_awake():
    """A review of the round-49 fix: the idle seconds were kept rounded down,
    and each watchdog reset of a loop stalling every 1.98 s lost up to a
    second: awake 58 s after the last activity, 30 s asked (89 s, never
    asleep while the stalls went on, before the fix). Kept rounded up, with
    the boot's own time added, it sleeps on time."""
    script = [(0.3, "press", "power", 0.2), (3.0, "press", "power", 1.7)]
    script += [(round(8.0 + 1.98 * k, 3), "stall", 1200) for k in range(42)]
    run = simulate(script, seconds=100, seed=0, settings={"program": "tone", "level": 1, "idle_off_s": 30})
    v = verdict(run)
    assert v["ok"], v["violations"]
    leave = [e for e in run.events if e[1] == "leave"]
    assert leave and leave[0][2] == ("auto_off",) and leave[0][0] < 5700 + 30000 + 2000, leave


def test_sr07_sr12_a_count_an_earlier_wake_left_does_not_hide_a_watchdog_fault():
    """A review of the round-49 fix: idle off at 30 s, woken at 40 s, a session
    started half a second later kept the count at 0 and never rewrote the 31
    s the earlier wake left in RTC memory; a watchdog reset at 50 s resumed
    from it and slept at once, the fault never shown. The count is written at
    the first look after every boot."""
    script = [(40.0, "press", "power", 0.3), (40.5, "press", "power", 0.2), (50.0, "stall", 1500)]
    run = simulate(script, seconds=90, seed=0, settings={"program": "tone", "level": 1, "idle_off_s": 30})
    v = verdict(run)
    assert v["ok"], v["violations"]
    wdt = [t for t, c in run.result["resets"] if c == "wdt"]
    assert len(wdt) == 1, run.result["resets"]
    lit = [s.t for s in run.samples if s.t >= wdt[0] and (s.g or s.r)]
    assert lit and lit[-1] - wdt[0] >= 25000, (wdt, lit[-1:])  # the fault shown until idle off, 30 s on


def test_sr04_a_gaps_sense_code_is_cut_to_what_is_owed():
    """Found (fuzz round 51, both interpreters): `pulse` with the lowest stored
    stage offset (-5000 nA) and a gain of 1778 nA a code, paused 240 ms after
    its start. The sense current between the pulses is 4 codes there, and the
    last gap tick paid 4 codes where 2 were owed: 0.0433 uC, 1.07 % of the one
    cycle's 4.06 uC phase. A gap's code is cut to what is owed."""
    script = [(0, "hold", "level"), (0.25, "press", "power", 0.05), (0.3, "press", "power", 0.2),
              (1.5, "release", "level")]
    run = simulate(script, seconds=15, seed=0,
                   settings={"program": "pulse", "cal_gain_na": 1778, "cal_offset_na": -5000})
    v = verdict(run)
    assert v["ok"], v["violations"]
    assert abs(run.stats()["net_charge_uc"]) < 0.024, run.stats()  # under one code for one tick (0.0433 before)


@pytest.mark.parametrize("seed,level,um,tp", [(124, 1, 100, 2.515), (133, 6, 250, 2.51), (212, 3, 250, 4.246)])
def test_oracle_sr05_a_sense_current_of_4_codes_is_no_pulse(seed, level, um, tp):
    """Found by a sweep of calibrations at the validator's edges: a stored
    stage offset of -5000 nA and gain of 2000 nA a code make the sense current
    between `pulse`'s pulses 4 codes, 8.6 uA, over the oracle's fixed 8.5 uA,
    and the gaps read as pulses: 444..727 uA/s. The oracle takes the sense
    code from the stored calibration, as the firmware does."""
    run = simulate([press(0.5), (tp, "press", "power", 1.7)], seconds=tp + 9, seed=seed,
                   settings={"program": "pulse", "level": level, "user_max_ua": um, "cal_offset_na": -5000,
                             "cal_gain_na": 2000})
    v = verdict(run)
    assert v["ok"], v["violations"]
    assert v["SR-05"]["pulses"] > 5 and v["SR-05"]["max_ramp_ua_per_s"] < 200, v["SR-05"]


@pytest.mark.parametrize("seed,level,um,end,cal", [
    (283, 6, 250, 9.907, {"cal_gain_na": 1800, "cal_offset_na": -5000, "cal_sense_uv_per_ua": 4200}),
    (205, 10, 100, 6.731, {"cal_gain_na": 1726, "cal_offset_na": 5000, "cal_sense_uv_per_ua": 4200}),
    (219, 3, 250, 4.073, {"cal_gain_na": 1726, "cal_offset_na": 5000, "cal_sense_uv_per_ua": 4200}),
])
def test_sr05_a_stored_stage_gain_below_nominal_ramps_no_faster(seed, level, um, end, cal):
    """Found by a sweep of calibrations at the validator's edges: a stored
    stage gain 17..20 % under the real one (a calibration against a resistor
    of the wrong value) made the envelope's 90 uA/s in codes 112 real uA/s,
    and `tone`'s phases 212..216 uA/s apart. Under a stored gain below
    nominal the envelope ramps that much slower (session.ramp)."""
    settings = {"program": "tone", "level": level, "user_max_ua": um}
    settings.update(cal)
    run = simulate([press(0.5), (end, "press", "power", 1.7 if int(end * 1000) % 2 else 0.2)], seconds=end + 10,
                   seed=seed, settings=settings)
    v = verdict(run)
    assert v["ok"], v["violations"]
    assert 0 < v["SR-05"]["max_ramp_ua_per_s"] < 200, v["SR-05"]


@pytest.mark.slow  # a 20-minute session
def test_sr07_a_slower_ramps_reserve_holds_four_stalls_at_a_20_minute_end():
    """The review's case with four 950 ms stalls at a 20-minute `pulse`
    session's end under the lowest stored gain: 1192.0 s of current with the
    reserve grown for the slower ramp (the review read 1197.2 s with the 10 s
    one, with its stalls a little later)."""
    run = simulate([press(0.5)] + [(1180.0 + 2.0 * k, "stall", 950) for k in range(4)], seconds=1225, seed=1,
                   settings={"program": "pulse", "level": 10, "user_max_ua": 500, "session_min": 20,
                             "cal_gain_na": 1726, "cal_sense_uv_per_ua": 4200})
    v = verdict(run)
    assert v["ok"] and v["SR-07"]["current_max_s"] <= 1195, (v["SR-07"], v["violations"])


@pytest.mark.slow  # a 20-minute session
def test_sr07_the_hard_limit_holds_with_the_slower_ramp_of_a_low_stored_gain():
    """Was a strict xfail. A review of the slower ramp under a stored gain
    below nominal: `pulse` at 500 uA for 20 minutes with the lowest stored
    gain, 22 loop stalls of 950 ms near its end: 1202.4 s of current, each
    stall stretching the ramp-down past the 12.7 s reserve. A loop that
    stalls 950 ms of every 2 s is a broken loop, which no reserve bounds: the
    third such stall is a fault now (LOOP_STALL, wand.loopguard), the output
    cut there."""
    script = [press(0.5)] + [(round(1174.13 + 2.0 * k, 2), "stall", 950) for k in range(22)]
    run = simulate(script, seconds=1225, seed=1,
                   settings={"program": "pulse", "level": 10, "user_max_ua": 500, "session_min": 20,
                             "cal_gain_na": 1726, "cal_sense_uv_per_ua": 4200})
    v = verdict(run)
    assert v["ok"], v["violations"]
    assert v["SR-07"]["current_max_s"] <= 1190, v["SR-07"]
    assert run.faults() == [11], run.events  # LOOP_STALL, at the third stall


_SR07_STALLING_LOOP = [
    "0 file settings.json " + json.dumps({"program": "pulse", "level": 10, "user_max_ua": 500, "session_min": 1,
                                          "cal_gain_na": 1726, "cal_sense_uv_per_ua": 4200}).encode().hex(),
    "0.5 press power 0.2"] + ["%.2f stall 950" % (34.13 + 2.0 * k) for k in range(22)]


@pytest.mark.parametrize("interpreter", ["cpython", "micropython"])
def test_sr02_sr07_a_loop_that_keeps_stalling_under_the_watchdog_is_a_fault(interpreter, tmp_path):
    """The class of the case above in a 1-minute session, whose oracle allows
    5 s over the plan: 22 stalls of 950 ms, one every 2 s, from 26 s before
    its end gave 74 s of current (314 s for a 5-minute session), a stall's
    debt dropped at its end (SR-04), none of it a fault. The third stall
    trips LOOP_STALL: the output is cut, the user told by the fault's blink
    code (11) and tone, and the fault is logged and latched (SR-12)."""
    from simboard import simrun

    script = tmp_path / "stalls.script"
    script.write_text("\n".join(_SR07_STALLING_LOOP) + "\n")
    res = simrun.run(simrun.SimOptions(script=str(script), seed=1, seconds=90, interpreter=interpreter))
    v = simrun.verdict(res)
    assert v["ok"], v["violations"]
    assert v["SR-07"]["current_max_s"] <= 40, v["SR-07"]
    faults = [e for e in res.events if e[1] == "fault"]
    assert [e[2][1] for e in faults] == ["loop_stall"], res.events
    assert 38000 <= faults[0][0] <= 39200, faults  # the third stall, 34.13 + 4 s + its 950 ms


def test_oracle_sr05_a_gain_drift_raises_the_sense_current_it_takes():
    """A review: with the edge calibration above and a stage gain drift of
    x1.18 (inside SR-08's 20 %), the 4-code sense current is 10.15 uA, over
    the floor, and the gaps read as pulses: 951 uA/s. The floor takes a
    drift that raised the stage, as one code for one tick does (SR-04)."""
    run = simulate([(0, "inject", "gain_drift=1.18"), press(0.5)], seconds=20, seed=1,
                   settings={"program": "pulse", "level": 5, "user_max_ua": 250, "cal_gain_na": 2000,
                             "cal_offset_na": -5000, "cal_sense_uv_per_ua": 4200})
    v = verdict(run)
    assert v["ok"], v["violations"]
    assert v["SR-05"]["pulses"] > 20 and v["SR-05"]["max_ramp_ua_per_s"] < 200, v["SR-05"]


def test_sr06_a_lift_in_a_low_battery_ramp_down_is_told_apart_from_the_flash():
    """Found (fuzz round 55, CPython): `lift`, muted, ramping down for a low
    battery, lifted at 6.205 s. The firmware saw the lift in 26 ms and showed
    the no-contact pattern, steady red over green blinking; but the full red
    flash over the ramp's blinking had shown both those LED states in the 2 s
    before, so the user could not tell the lift apart (the oracle: never told).
    The flash is half-bright now, and the no-contact green blinks full and dim:
    states no other pattern shows under any overlay (tests/unit/test_ui.py)."""
    script = [(0.271, "press", "level", 0.9), (2.298, "press", "power", 0.2), (2.572, "inject", "battery_low"),
              (6.205, "contact", "off"), (7.205, "contact", "on")]
    run = simulate(script, seconds=15, seed=5)
    v = verdict(run)
    assert v["ok"], v["violations"]
    assert run.first("battery_low") and run.first("contact_lost"), run.events
    assert v["SR-06"]["lift_to_told_max_ms"] <= 100, v["SR-06"]


@pytest.mark.xfail(strict=True, reason="open (docs/safety.md, residual risks): a stage x2 hidden under 20 uA by a "
                   "sense calibration at its +20 % edge ramps at 205 uA/s until the drift band judges it")
def test_sr05_sr08_a_stage_too_strong_under_20_ua_ramps_too_fast_until_the_band_judges_it():
    """Found (fuzz round 51, both interpreters): `tone` with a stored sense
    gain of 4200 uV/uA (+20 %) and a stage x2 from boot. Under 20 uA of
    command the drift band cannot judge the stage, and the sense showed 1.67
    times the command, under the low-current rule's twice plus 10 uA: the
    start ramp ran at 205 uA/s until GAIN_DRIFT at 861 ms. Two fixes were
    tried and not kept (a slower ramp under 20 uA delays the fault of every
    drift from boot; a tighter low-current rule false-trips under a stored
    stage offset the settings accept): docs/safety.md."""
    script = [(0, "inject", "gain_drift=2"), (0, "hold", "level"), (0.3, "press", "power", 0.2),
              (1.5, "release", "level")]
    run = simulate(script, seconds=8, seed=0, settings={"program": "tone", "cal_sense_uv_per_ua": 4200})
    v = verdict(run)
    assert run.faults() == [4], run.events  # GAIN_DRIFT, at 20 uA
    assert v["ok"], v["violations"]


def test_sr01_a_hidden_stage_drift_cut_as_it_crosses_the_trip_level_is_what_the_monitor_does():
    """Found by a sweep of gain drifts: a stage x1.3 from boot under a stored
    sense gain of +20 % reads 1.08 times the command, inside the drift band;
    the start ramp rose through the 20 uA between the 100 uA limit and the
    monitor's 120 uA trip level for 200 ms, and the monitor cut it 40 ms
    after it crossed, as SR-01 asks. The oracle timed the excursion from the
    limit (a defect); it times one with a stage fault from the trip level."""
    script = [(0, "inject", "gain_drift=1.3"), (0, "hold", "level"), (0.3, "press", "power", 0.2),
              (1.5, "release", "level")]
    run = simulate(script, seconds=5, seed=1, settings={"program": "lift", "cal_sense_uv_per_ua": 4200,
                                                         "level": 1, "user_max_ua": 100})
    v = verdict(run)
    assert v["ok"], v["violations"]
    assert run.faults() == [1] and v["SR-01"]["peak_ua"] < 122, (run.events, v["SR-01"])  # OVERCURRENT


def _slow_loop(t0, t1, stall_ms, run_ms):
    """A loop that stalls stall_ms after every run_ms of running, from t0 to t1 (s): slow on every tick."""
    out, t = [], t0
    while t < t1:
        out.append((round(t, 3), "stall", stall_ms))
        t = round(t + (stall_ms + run_ms) / 1000.0, 3)
    return out


_SR04_SLOW_SMOOTH_END = ["0 file settings.json " + json.dumps(
    {"program": "smooth", "level": 10, "user_max_ua": 500, "session_min": 1}).encode().hex(), "0.5 press power 0.2"] \
    + ["%.3f stall %d" % (t, ms) for t, _, ms in _slow_loop(55.0, 65.0, 12, 5)]


@pytest.mark.parametrize("interpreter", ["cpython", "micropython"])
def test_sr04_sr07_a_loop_slow_on_every_tick_over_a_sessions_end_is_a_fault(interpreter, tmp_path):
    """Red team rt5: `smooth` (5 ms ticks) with every tick taking 17 ms over the timer's ramp-down. Each
    stretched positive half was a stall paid back while the envelope waited; 3 s past its time the session
    dropped the payback of every cycle: 266 uC of DC, 1597 % of a phase, and 66.5 s of current for a 1-minute
    session, no fault. Each tick loses 7 ms beyond two ticks: LOOP_STALL about 5 s in."""
    from simboard import simrun

    script = tmp_path / "slow.script"
    script.write_text("\n".join(_SR04_SLOW_SMOOTH_END) + "\n")
    res = simrun.run(simrun.SimOptions(script=str(script), seed=0, seconds=80, interpreter=interpreter))
    v = simrun.verdict(res)
    assert v["ok"], v["violations"]
    faults = [e for e in res.events if e[1] == "fault"]
    assert [e[2][1] for e in faults] == ["loop_stall"] and 59000 < faults[0][0] < 62000, res.events
    assert v["SR-07"]["current_max_s"] <= 61, v["SR-07"]


def test_sr12_an_acknowledged_loop_stall_does_not_trip_the_next_session_and_idle_stalls_do_not_count():
    """Red team rt5: the bucket kept the stalls after the fault was acknowledged, and the next session tripped
    LOOP_STALL 30 ms after it started; stalls with the output off (idle, a pause) filled it too. Only time lost
    with the output on counts, and an acknowledgement empties it."""
    script = [press(0.5), (8, "stall", 970), (9, "stall", 970), (10, "stall", 970), (12, "press", "power", 1.7),
              (16, "press", "power", 0.2), (30, "press", "power", 1.7)]
    script += [(round(36 + 1.1 * k, 2), "stall", 970) for k in range(4)] + [(42, "press", "power", 0.2)]
    run = simulate(script, seconds=52, seed=0, settings={"program": "tone", "level": 6})
    v = verdict(run)
    assert v["ok"], v["violations"]
    assert run.faults() == [11], run.events  # the first session's only
    starts = [e[0] for e in run.events if e[1] == "session_start"]
    assert len(starts) == 3, run.events  # after the acknowledgement, and after the idle stalls
    ends = [e for e in run.events if e[1] == "session_end"]
    assert [e[2][0] for e in ends] == ["fault", "button"], ends  # the third runs to the run's end


@pytest.mark.parametrize("program,level,um,stall_ms,run_ms,t1", [
    ("smooth", 10, 500, 1, 5, 61.0),  # 2.79 % before
    ("tone", 4, 100, 10, 11, 61.0),  # 1.31 %
    ("smooth", 10, 500, 6, 29, 10.0),  # 1.24 %
])
def test_sr04_a_loop_a_little_slow_on_every_tick_leaves_no_dc(program, level, um, stall_ms, run_ms, t1):
    """Red team rt5: stalls too short for the loop guard, on every tick or one in a few, left DC that grew
    with time: `smooth` at 500 uA with 1 ms lost every 5 ms tick for a minute, 0.13 uC, 2.8 % of a phase. A
    helper's root cause: the App books whole 100 us units and carries the rest to the next tick, at the next
    tick's code (on `smooth` the opposite sign), which the microsecond correction of the write did not see;
    and each stop read its time after output_off()'s four writes, 60 us late. Both are booked exactly now
    (0.04 %, 0.012 %, 0.064 %)."""
    run = simulate([press(0.5)] + _slow_loop(1.0, t1, stall_ms, run_ms), seconds=75, seed=0,
                   settings={"program": program, "level": level, "user_max_ua": um, "session_min": 1})
    v = verdict(run)
    assert v["ok"], v["violations"]
    assert run.faults() == [] and v["SR-04"]["dc_residue_max_pct"] < 0.2, v["SR-04"]


_SR04_SLOW_TONE = ["0 file settings.json " + json.dumps(
    {"program": "tone", "level": 4, "user_max_ua": 100, "session_min": 1}).encode().hex(), "0.5 press power 0.2"] \
    + ["%.3f stall %d" % (t, ms) for t, _, ms in _slow_loop(45.0, 61.0, 10, 11)]


def test_sr04_a_loop_a_little_slow_on_every_tick_leaves_no_dc_on_micropython(tmp_path):
    """The `tone` case above on the MicroPython unix port, its last 16 s (the runner holds the script in its heap)."""
    from simboard import simrun

    script = tmp_path / "slow.script"
    script.write_text("\n".join(_SR04_SLOW_TONE) + "\n")
    res = simrun.run(simrun.SimOptions(script=str(script), seed=0, seconds=75, interpreter="micropython"))
    v = simrun.verdict(res)
    assert v["ok"], v["violations"]
    assert v["SR-04"]["dc_residue_max_pct"] < 0.2, v["SR-04"]


@pytest.mark.parametrize("interpreter", ["cpython", "micropython"])
def test_oracle_sr06_a_flap_after_a_lift_and_return_is_told_from_the_running_pattern(interpreter, tmp_path):
    """Found (fuzz round 64, an oracle defect): `lift`, a lift at 5.43 s and a return, then contact flapping
    1 ms off, on, off at 7.70 s. The firmware showed the no-contact pattern 27 ms later; the oracle compared it
    with what was shown since the last return, 1 ms before the lift, which no sample showed, so it took the 2 s
    before, holding the first lift's pattern: "never told". A return under a sample before a lift opens no
    window now."""
    from simboard import simrun

    script = tmp_path / "flap.script"
    script.write_text("0.300 press power 0.2\n5.432 contact off\n5.462 contact on\n7.701 flap contact 1 3\n")
    res = simrun.run(simrun.SimOptions(script=str(script), seed=0, seconds=15, interpreter=interpreter))
    v = simrun.verdict(res)
    assert v["ok"], v["violations"]
    assert v["SR-06"]["lifts"] == 1 and 0 < v["SR-06"]["lift_to_told_max_ms"] <= 100, v["SR-06"]


@pytest.mark.parametrize("interpreter", ["cpython", "micropython"])
def test_oracle_sr10_sr07_a_settings_file_nested_too_deep_is_judged_as_the_firmware_reads_it(interpreter, tmp_path):
    """Found (fuzz round 65, an oracle defect): a settings file nesting an object 10 deep beside a valid
    `session_min: 1`. The firmware takes any file nested deeper than a flat object as corrupt (SR-10: defaults, a
    5-minute session); the oracle parsed it and planned 60 s, and called the 89.5 s of current an SR-07 violation.
    It applies the firmware's size and nesting rule now."""
    from simboard import simrun

    nested = '{"a": ' * 10 + "1" + "}" * 9 + ', "session_min": 1}'
    script = tmp_path / "nested.script"
    script.write_text("0 file settings.json %s\n0.300 press power 0.2\n" % nested.encode().hex())
    res = simrun.run(simrun.SimOptions(script=str(script), seed=0, seconds=90, interpreter=interpreter))
    v = simrun.verdict(res)
    assert v["ok"], v["violations"]
    assert v["SR-07"]["planned_s"] == 300 and v["SR-07"]["current_max_s"] > 80, v["SR-07"]


@pytest.mark.parametrize("interpreter", ["cpython", "micropython"])
def test_oracle_sr09_bench_mode_turned_on_as_the_watchdog_fires_belongs_to_its_power_up(interpreter, tmp_path):
    """Found (fuzz round 68, an oracle defect): the level held at power-up, two 990 ms loop stalls. The bench
    window closed and bench mode came on in the millisecond the watchdog reset the chip; the oracle took the reset
    as the boot of that bench mode ("after a wdt reset, not a power-up"). A bench event belongs to the last boot a
    whole window (1 s) before it."""
    from simboard import simrun

    script = tmp_path / "bench.script"
    script.write_text("0 hold level\n1.5 release level\n0.300 press power 0.2\n0.003 stall 990\n1.043 stall 990\n")
    res = simrun.run(simrun.SimOptions(script=str(script), seed=0, seconds=15, interpreter=interpreter))
    v = simrun.verdict(res)
    assert v["ok"], v["violations"]
    assert v["SR-09"]["bench"], v["SR-09"]


@pytest.mark.parametrize("interpreter", ["cpython", "micropython"])
def test_oracle_sr12_the_consoles_clear_in_bench_mode_is_a_deliberate_act(interpreter, tmp_path):
    """Found (fuzz round 68, an oracle defect): bench mode, a gain-drift fault latched, then `clear` and
    `calibrate 10000` typed on the console. The firmware cleared the fault as docs/console.md says (bench mode
    only) and calibrated; the oracle knew no act but a long press or a power cycle, and called the calibration's
    current "current after the fault with no deliberate act"."""
    from simboard import simrun

    script = tmp_path / "clear.script"
    script.write_text("0 file settings.json 7b2263616c5f6f66667365745f6e61223a202d353030307d\n0 hold level\n"
                      "1.5 release level\n1.200 line clear\n1.200 line calibrate 10000\n0.300 press power 0.2\n")
    res = simrun.run(simrun.SimOptions(script=str(script), seed=0, seconds=15, interpreter=interpreter))
    v = simrun.verdict(res)
    assert v["ok"], v["violations"]
    assert v["SR-12"]["faults"] == 1, v["SR-12"]


@pytest.mark.parametrize("interpreter", ["cpython", "micropython"])
def test_oracle_sr08_loop_stalls_after_a_sense_faults_onset_hold_its_detection(interpreter, tmp_path):
    """Found (fuzz round 69, an oracle defect): a stuck sense at 7.384 s under three 300 ms loop stalls (the
    third asked for during the second, so run after it). The firmware cut the output 1056 ms after the onset,
    having run 166 ms of them; the oracle took off only the stall the onset fell in and read 766 ms."""
    from simboard import simrun

    script = tmp_path / "stuck.script"
    script.write_text("0.300 press power 0.2\n7.384 stall 300\n7.734 stall 300\n1.800 stall 300\n7.800 stall 300\n"
                      "7.384 inject sense_stuck\n")
    res = simrun.run(simrun.SimOptions(script=str(script), seed=0, seconds=15, interpreter=interpreter))
    v = simrun.verdict(res)
    assert v["ok"], v["violations"]
    # (judged, and long in wall time: the stalls are what the oracle now takes off)
    assert v["SR-08"]["injected"] == 1 and v["SR-08"]["onset_to_fault_max_ms"] > 500, v["SR-08"]
