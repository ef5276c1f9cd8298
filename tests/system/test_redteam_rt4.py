"""Red team rt4 (a helper that did not write the firmware, about 1,600
hand-made and random runs on both interpreters): the firmware classes it
found, each fixed, and the oracle defects it found (docs/safety.md)."""

from harness import press, simulate, verdict


def test_sr07_sr12_a_stuck_sense_latches_and_idles_off_without_a_watchdog_loop():
    """Was: a sense stuck at a non-zero reading latched SENSE_STUCK, then no
    check passed again (the stuck reading looked like current with the output
    off): a watchdog reset every second for ever, no idle auto-off, no time
    for a long press to acknowledge, the log rotated by the resets. Now a
    sense fault makes its readings worthless while the output is off and
    latched: the loop lives, the fault stays, the wand idles off."""
    script = [(0, "load", "skin"), press(1.0), (5.3, "inject", "sense_stuck")]
    run = simulate(script, seconds=45, seed=254, settings={"program": "lift", "level": 9, "idle_off_s": 30})
    assert run.faults() == [2], run.faults()
    assert not [r for r in run.result.get("resets", []) if r[1] == "wdt"], run.result.get("resets")
    left = run.first("leave")
    assert left is not None and left[2][0] == "auto_off" and 29000 <= left[0] - run.first("fault")[0] <= 31000
    assert all(abs(s.ua) < 1 for s in run.samples if s.t > run.first("fault")[0] + 10)


def test_sr09_usb_power_chattering_faster_than_the_debounce_is_present():
    """Was: USB power chattering 10 ms on, 10 ms off: an up/down count never
    reached its 3 ticks, so a session started and ran with USB present half
    the time. Now present on 2 of the last 8 readings: refused."""
    script = [(0, "load", "skin"), press(2.0)]
    script += [(0.5 + k * 0.01, "usb", "on" if k % 2 == 0 else "off") for k in range(600)]
    run = simulate(script, seconds=10, seed=3, settings={"program": "lift", "level": 5})
    assert run.first("session_start") is None and run.first("usb_refused") is not None, run.events
    assert max(abs(s.ua) for s in run.samples) < 1


def test_sr09_a_one_tick_glitch_on_the_usb_sense_is_no_usb():
    script = [(0, "load", "skin"), press(1.0), (3.0, "usb", "on"), (3.009, "usb", "off")]
    run = simulate(script, seconds=6, seed=3, settings={"program": "lift", "level": 5})
    assert run.first("session_start") is not None and not run.faults(), run.events


def test_sr08_a_sense_gain_collapse_is_a_sense_fault_not_a_lift():
    """Was: the sense's gain fell to 20 % (or 30 %, or 40 % slowly): the load
    looked past the compliance by the projection from the sense's reading,
    so it was a lift, then contact back, every 1.1 s, and never an SR-08
    fault. The projection takes the code's aim when that is more now."""
    for program, gain in (("pulse", "0.2"), ("lift", "0.2"), ("smooth", "0.3"), ("tone", "0.4")):
        script = [(0, "load", "skin"), press(0.5), (4.0, "inject", "sense_gain=" + gain)]
        run = simulate(script, seconds=8, seed=5, settings={"program": program, "level": 8})
        assert run.faults()[:1] == [4], (program, gain, run.faults(), run.kinds("contact_lost"))
        v = verdict(run)
        assert v["SR-08"]["ok"], (program, v["violations"])


def test_sr04_sr07_a_pause_while_a_lifts_debt_is_paid_waits_for_it():
    """Was: on `pulse`, lifted, contact back, and a pause pressed 0.57 s into
    the return ramp: the debt was paid through the pause at one DAC code
    (2.1 uA pulses twice a second), 23 % of a phase still owed 10 s later,
    the trickle counted as session time and kept the wand from idling off.
    Now the pause begins once the debt is paid under the rise."""
    script = [(0, "load", "skin"), (0.521, "press", "power", 0.2), (3.866, "contact", "off"),
              (5.963, "press", "level", 0.2), (6.366, "contact", "on"), (6.936, "press", "power", 0.2)]
    run = simulate(script, seconds=45, seed=223,
                   settings={"program": "pulse", "level": 4, "user_max_ua": 200, "mute": True, "idle_off_s": 30})
    v = verdict(run)
    assert v["SR-04"]["ok"] and v["SR-07"]["ok"], v["violations"]
    assert "hold" in run.states() and run.first("session_end")[2][0] == "idle", run.events
    assert run.first("leave") is not None and run.first("leave")[0] < 40000


def test_sr04_a_lift_inside_a_stall_is_allowed_half_the_stall():
    """Where in a stall the wand was lifted no firmware can know: the oracle
    allows the charge of half the stall at the amplitude (88 % of a phase on
    `smooth`, docs/safety.md), as it allows half a tick."""
    script = [(0, "load", "skin"), press(0.5), (9.3, "stall", 990), (9.35, "contact", "off"), (12, "contact", "on")]
    run = simulate(script, seconds=20, seed=3, settings={"program": "smooth", "level": 10, "user_max_ua": 500},
                   sample_ms=5)
    v = verdict(run)
    assert v["SR-04"]["ok"], v["violations"]


def test_sr04_sr05_a_lift_inside_a_stall_payback_returns_softly():
    """Open since red team rt4: on `smooth` a lift during a stall's payback,
    then contact back. The debt's last residue, under a tick at the envelope,
    was paid whole by the next one-tick negative half (469 uA on a 256 uA
    envelope). A debt is paid to its last tick now, cut to what is owed:
    nothing of it is left for the next half."""
    for at, seed in ((10.5, 1), (9.35, 3)):
        script = [(0, "load", "skin"), press(0.5), (9.3, "stall", 990), (at, "contact", "off"), (12, "contact", "on")]
        run = simulate(script, seconds=20, seed=seed, settings={"program": "smooth", "level": 10, "user_max_ua": 500},
                       sample_ms=5)
        v = verdict(run)
        assert v["ok"], (at, v["violations"])
        assert max(abs(s.ua) for s in run.samples if 12500 < s.t < 15000) < 330, at  # the envelope there: < 300


def test_oracle_sr01_an_excursion_inside_a_loop_stall_is_timed_from_its_end():
    """An oracle defect: a stage gain x1.5 50 ms into a 900 ms stall held
    570 uA (the hardware limiter) until the loop ran again and the monitor
    tripped at once; the oracle allowed 50 ms from the injection. Nothing
    runs in a stall: timed from its end, as SR-06 and SR-08 are."""
    script = [(0, "load", "skin"), press(0.5), (9.3, "stall", 900), (9.35, "inject", "gain_drift=1.5")]
    run = simulate(script, seconds=12, seed=1, settings={"program": "tone", "level": 10, "user_max_ua": 500})
    assert run.faults()[:1] == [1] and 10200 <= run.first("fault")[0] <= 10260, run.faults()
    v = verdict(run)
    assert v["SR-01"]["ok"] and v["SR-01"]["peak_ua"] <= 600, v["violations"]


def test_oracle_sr08_the_ratio_the_firmware_sees_includes_the_stored_stage_offset():
    """An oracle defect: calibrations at the edges (stage gain 1725, sense
    4200, stage offset +5 uA, sense offset 208 mV) and a stage gain x1.25:
    the firmware sees about 1.22 (inside its 20 % band); the oracle left the
    stored stage offset out of that ratio and asked for an SR-08 fault."""
    script = [(0, "load", 2000), press(0.5), (4.0, "inject", "gain_drift=1.25")]
    settings = {"program": "pulse", "level": 10, "user_max_ua": 100, "cal_gain_na": 1725,
                "cal_sense_uv_per_ua": 4200, "cal_offset_na": 5000, "cal_sense_offset_uv": 208000}
    run = simulate(script, seconds=14, seed=7, settings=settings)
    v = verdict(run)
    assert v["SR-08"]["ok"] and v["SR-01"]["ok"], v["violations"]


def test_oracle_sr05_a_watchdog_cut_in_a_pulse_block_is_no_ramp():
    """An oracle defect: a 1200 ms stall in `pulse`'s first negative block
    (the watchdog cut it, a fault's cut): the oracle closed the cycle group
    with a zero right after its last pulse and read 444 uA/s."""
    script = [(0, "load", "skin"), press(1.0), (5.189, "stall", 1200)]
    run = simulate(script, seconds=12, seed=254, settings={"program": "pulse", "level": 9})
    assert [r for r in run.result.get("resets", []) if r[1] == "wdt"]
    v = verdict(run)
    assert v["SR-05"]["ok"], v["violations"]


def test_oracle_sr04_a_lift_within_the_10_s_cuts_the_rebalance_judged_later():
    """An oracle defect: on `pulse`, lifted 4.4 s after a return, inside the
    block paying the debt: the oracle judged that return's re-balance (5 %)
    though the lift cut the payment (a gap of 3, 5.5 or 7 s was not judged)."""
    script = [(0, "load", "skin"), (0.939, "press", "power", 0.2), (2.045, "contact", "off"),
              (10.045, "press", "power", 0.2), (12.873, "contact", "on"), (13.019, "press", "level", 0.2),
              (17.274, "contact", "off")]
    settings = {"program": "pulse", "level": 7, "idle_off_s": 30, "session_min": 1, "user_max_ua": 250,
                "cue_s": 0, "mute": True, "cal_offset_na": -5000}
    run = simulate(script, seconds=40, seed=196, settings=settings)
    v = verdict(run)
    assert v["SR-04"]["ok"], v["violations"]
