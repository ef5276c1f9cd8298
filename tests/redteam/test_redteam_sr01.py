"""SR-01 red team: the TRUE load current against min(user_max_ua, 500 µA).

Found: every setting the validator accepts must keep the ceiling, but a
calibration 15 % low in gain (and matching sense, as a calibration against a
wrong resistor produces) lets the DAC clamp use its 6 % "part tolerance"
headroom over the nominal gain; a stage-gain drift at the lowest user limit is
below every check (drift check from 20 µA, trim from 30 µA, monitor margin
+10 µA = +50 % at a 20 µA limit)."""

import pytest
from harness import max_consecutive_above, press
from rt import G_NOM, S_NOM, FakeSerial, peak, simulate

# A calibration that believes the stage and the sense are 15 % weaker than they
# are (both within the validator's +-20 %): what `calibrate 11700` says about a
# real 10 kOhm resistor.
K = 0.85
LOW_CAL = {"cal_gain_na": int(G_NOM * K), "cal_sense_uv_per_ua": int(S_NOM / K)}


def test_sr01_redteam_accepted_low_calibration_exceeds_hard_ceiling():
    run = simulate([press(1.0)], seconds=10, settings=dict(LOW_CAL, user_max_ua=500, level=10))
    assert not run.faults()
    # measured on the load, whole run
    assert run.stats()["peak_ua"] <= 500.0, (run.stats()["peak_ua"], max_consecutive_above(run.samples, 500))


def test_sr01_redteam_accepted_low_calibration_exceeds_user_limit():
    run = simulate([press(1.0)], seconds=6, settings=dict(LOW_CAL, user_max_ua=100, level=10))
    assert run.stats()["peak_ua"] <= 100.0, run.stats()["peak_ua"]


def test_sr01_redteam_calibrate_against_wrong_resistor_then_full_level():
    from appboard import SimApp

    ser = FakeSerial()
    sim = SimApp(ser, bench=True, usb=True)
    w = sim.world
    sim.app.open_console()
    w.act_load(10000)  # the resistor really is 10 kOhm, the builder types 11700
    ser.send("calibrate 11700")
    for _ in range(900):  # (a calibration ramps to each point and back down: about 6.5 s)
        sim.tick()
    cal = [r for r in ser.replies() if r.startswith('ok {"ohms"')]
    assert cal, ser.replies()  # the wrong calibration was accepted and stored
    w.act_load("skin")
    for cmd in ("set user_max_ua 500", "set level 10", "start"):
        ser.send(cmd)
    w.plant.reset_stats()
    above = 0
    for _ in range(900):  # 9 s: ramp to the top level and stay there
        sim.tick()
        if abs(w.load_current()) * 1e6 > 500.0:
            above += 1
    # (on this board the monitor trips OVERCURRENT only after seconds above 500)
    assert w.stats()["peak_ua"] <= 500.0, (w.stats()["peak_ua"], "ticks above 500 uA", above, sim.app.fault_records)


def test_sr01_redteam_gain_drift_at_lowest_user_limit():
    """Found at user_max_ua=20 (31 uA sustained, no fault: the checks need 20 uA). The
    settings now refuse a limit below 100 uA (SR-06); at the lowest accepted one the
    monitor and the drift check hold."""
    run = simulate([press(1.0), (5.0, "inject", "gain_drift=1.6")], seconds=9,
                   settings=dict(user_max_ua=100, level=10))
    over = max_consecutive_above(run.samples, 100 * 1.10 + 10)
    assert over <= 2, ("10 ms samples in a row above the trip level", over, "peak", peak(run), run.faults())
    assert run.faults(), "a 60 % gain drift is a fault (SR-08)"


def test_sr01_redteam_gain_drift_within_trim_range_at_hard_ceiling():
    """SR-01: a stage drift x1.15 from the start, trimmed down: the aim is capped at 98 % of the limit."""
    run = simulate(
        [(0.5, "inject", "gain_drift=1.15"), press(1.0)], seconds=10, settings=dict(user_max_ua=500, level=10)
    )
    assert run.stats()["peak_ua"] <= 500.0, run.stats()["peak_ua"]


# Passing coverage: every single calibration field at its accepted extreme,
# at the hard ceiling and at the lowest user limit, never exceeds the limit
# (it may fault, which is allowed).
@pytest.mark.parametrize(
    "cal",
    [
        {"cal_gain_na": G_NOM * 8 // 10},
        {"cal_gain_na": G_NOM * 12 // 10},
        {"cal_offset_na": -5000},
        {"cal_offset_na": 5000},
        {"cal_sense_offset_uv": 160000},
        {"cal_sense_offset_uv": 240000},
    ],
)
@pytest.mark.parametrize("user_max", [500, 100])  # 100: the lowest user_max_ua settings accept (SR-06)
def test_sr01_redteam_single_calibration_extremes_keep_the_limit(cal, user_max):
    run = simulate([press(1.0)], seconds=7.5, settings=dict(cal, user_max_ua=user_max, level=10))
    assert run.stats()["peak_ua"] <= user_max, (cal, run.stats()["peak_ua"], run.faults())
