"""wand.safety.Supervisor on its own: the clamp and the hard ceiling (SR-01),
the current monitor (SR-01 layer 2), sensor plausibility (SR-08) and the
fault latch (SR-12). A fake board records what reaches the output stage; time
is an argument. Runs on CPython and on the MicroPython unix port."""

from wand import faults
from wand.regulator import Calibration
from wand.safety import BOOT_ZERO_UA, CAL_ZERO_UA, GAIN_TOL_PCT, HARD_CEILING_UA, Supervisor

CAL = Calibration()  # board.json's nominal gains
# the nominal stage at the worst real gain the parts allow (nA per code)
WORST_NA_PER_CODE = CAL.gain_na * (100 + GAIN_TOL_PCT) / 100


class FakeBoard:
    """The four output calls the Supervisor makes, recorded.

    Not a board: a recorder of one narrow interface (Supervisor -> output stage),
    so each test can set the exact sense reading and instant it needs and see every
    DAC write. This file also runs on the MicroPython unix port. The Supervisor on
    the simulated board (chip, plant, virtual clock) is tested in tests/system."""

    def __init__(self):
        self.dac = 0
        self.dac_writes = []
        self.enabled = False
        self.polarity = 0
        self.offs = 0
        self.us = 0

    def ticks_us(self):
        self.us += 7
        return self.us

    def write_dac(self, code):
        self.dac = code
        self.dac_writes.append(code)

    def set_polarity(self, p):
        self.polarity = p

    def set_enable(self, on):
        self.enabled = bool(on)

    def output_off(self):
        self.offs += 1
        self.dac = 0
        self.enabled = False
        self.polarity = 0


def raw_for(ua, cal=CAL):
    """The current-sense ADC reading (µV) of `ua` by calibration `cal`."""
    return cal.sense_offset_uv + ua * cal.sense_uv_per_ua


def new(user_max_ua=400, cal=CAL):
    fired = []
    b = FakeBoard()
    sup = Supervisor(b, cal, user_max_ua, lambda t, code: fired.append((t, code)))
    return sup, b, fired


# --- SR-01 layer 1: the clamp and the hard ceiling ---------------------------


def test_sr01_hard_ceiling_is_500ua_and_set_user_max_cannot_raise_it():
    assert HARD_CEILING_UA == 500  # docs/safety.md SR-01 (hard)
    sup, _, _ = new(300)
    assert sup.limit_ua == 300
    top_500 = Supervisor(FakeBoard(), CAL, 500).clamp_code(255)
    for asked in (501, 600, 5000, 10**9):
        sup.set_user_max(asked)
        assert sup.limit_ua == HARD_CEILING_UA, asked
        assert sup.clamp_code(255) == top_500, asked
    sup.set_user_max(-40)
    assert sup.limit_ua == 0 and sup.clamp_code(255) == 0


def test_sr01_clamp_never_passes_a_code_over_the_active_limit():
    for lim in (100, 250, 400, 500):
        sup, _, _ = new(lim)
        last = 0
        for code in range(-5, 300):
            c = sup.clamp_code(code)
            assert 0 <= c <= 255, (lim, code, c)
            assert c <= code or code <= 0, (lim, code, c)
            assert c >= last, (lim, code)  # monotonic
            last = c
            # by the calibration, and at the worst real gain of the parts
            assert CAL.ua_for_code(c) <= lim, (lim, code, c)
            assert c * WORST_NA_PER_CODE <= lim * 1000, (lim, code, c)
        top = sup.clamp_code(255)
        # not over-restrictive: the top code is within a few percent of the limit
        assert top * CAL.gain_na >= lim * 1000 * 90 // 100, (lim, top)
        assert sup.clamp_code(top // 2) == top // 2


def test_sr01_a_calibration_claiming_a_weak_stage_cannot_raise_the_top_code():
    """A stored gain 20 % low (a wrong resistor in calibration) would let the
    calibration's clamp allow more codes; the nominal worst-gain cap holds."""
    weak = Calibration(CAL.gain_na * 8 // 10)
    sup, _, _ = new(500, weak)
    assert sup.clamp_code(255) * WORST_NA_PER_CODE <= 500 * 1000
    assert weak.code_for(500) > sup.clamp_code(255)  # the calibration alone would allow more


def test_sr01_apply_writes_only_clamped_codes_and_is_off_without_enable():
    sup, b, _ = new(200)
    top = sup.clamp_code(255)
    assert sup.apply(255, 1, True) == top
    assert b.dac == top and b.enabled and b.polarity == 1 and sup.output_on
    assert max(b.dac_writes) == top
    assert sup.expected_ua() == CAL.ua_for_code(top)
    # a reversal goes through 0 before the new polarity
    n = len(b.dac_writes)
    assert sup.apply(50, -1, True) == 50
    assert b.dac_writes[n:] == [0, 50] and b.polarity == -1
    # not enabled, or no polarity: the output goes off, code 0
    for code, pol, en in ((80, 1, False), (80, 0, True)):
        sup.apply(80, 1, True)
        offs = b.offs
        assert sup.apply(code, pol, en) == 0
        assert b.offs == offs + 1 and not b.enabled and b.dac == 0
        assert not sup.output_on and sup.code == 0 and sup.expected_ua() == 0


# --- SR-01 layer 2: the monitor ------------------------------------------------


def test_sr01_monitor_trips_overcurrent_after_2_samples_above_limit_plus_10pct_plus_10():
    lim = 300
    over = lim + lim // 10 + 10  # 340: the trip line of SR-01
    sup, b, fired = new(lim)
    sup.apply(sup.clamp_code(255), 1, True)
    raw = raw_for(280)  # what the sense reads (nominal gains: 296 µA at worst)
    # at the line: never
    for t in range(0, 500, 10):
        assert sup.check(t, raw + t % 20, over, False), t
    assert sup.fault == faults.NONE
    # one sample over, then one under: the count restarts
    assert sup.check(500, raw, over + 1, False)
    assert sup.check(510, raw + 1, over, False)
    assert sup.check(520, raw, over + 1, False) and sup.fault == faults.NONE
    # the second in a row trips at once
    offs = b.offs
    assert not sup.check(530, raw + 1, over + 1, False)
    assert sup.fault == faults.OVERCURRENT and sup.fault_ms == 530
    assert fired == [(530, faults.OVERCURRENT)]
    assert b.offs > offs and not b.enabled and b.dac == 0 and not sup.output_on


def test_sr01_monitor_also_reads_the_sense_with_the_nominal_gains():
    """A calibration whose sense reads 20 % low hides an overcurrent from the
    calibrated reading; the nominal reading (at the worst gain) still trips."""
    low = Calibration(0, 0, 0, CAL.sense_uv_per_ua * 12 // 10)
    sup, _, _ = new(300, low)
    sup.apply(sup.clamp_code(255), 1, True)
    raw = raw_for(345)  # 345 µA really flows (nominal sense)
    calibrated = low.sense_ua(raw)
    assert calibrated <= 300 + 30 + 10  # the calibrated reading alone looks fine
    sup.check(0, raw, calibrated, False)
    sup.check(10, raw + 1, calibrated, False)
    assert sup.fault == faults.OVERCURRENT


def test_sr01_sr08_current_with_the_output_off_trips():
    """Output off, the limit is zero: more than BOOT_ZERO_UA measured twice trips."""
    sup, _, _ = new(400)
    for t in range(0, 300, 10):
        assert sup.check(t, raw_for(BOOT_ZERO_UA * 100 // 106) + t // 10 % 2, 0, False)
    assert sup.fault == faults.NONE
    ua = BOOT_ZERO_UA + 3
    sup.check(300, raw_for(ua), ua, False)
    assert sup.fault == faults.NONE
    assert not sup.check(310, raw_for(ua) + 1, ua, False)
    assert sup.fault == faults.OVERCURRENT


# --- SR-08: boot check and plausibility ------------------------------------------


def test_sr08_boot_check_wants_a_reading_near_zero_above_the_dead_zone():
    for raw, ok, code in (
        (raw_for(0), True, faults.NONE),
        (raw_for(CAL_ZERO_UA), True, faults.NONE),
        (raw_for(-CAL_ZERO_UA), True, faults.NONE),
        (raw_for(CAL_ZERO_UA + 1), False, faults.BOOT_SENSE),
        (raw_for(-CAL_ZERO_UA - 1), False, faults.BOOT_SENSE),
        (100000, False, faults.SENSE_OPEN),  # the dead zone: an open sense path
        (0, False, faults.SENSE_OPEN),
    ):
        sup, b, fired = new()
        assert sup.boot_check(1234, raw) is ok, raw
        assert sup.fault == code, raw
        if not ok:
            assert fired == [(1234, code)] and b.offs >= 1


def test_sr08_boot_check_of_a_board_not_calibrated_yet_allows_its_offset_spread():
    # by the nominal offset (no calibration stored) the real one may be tens of mV off:
    # refused at CAL_ZERO_UA, a new board would not boot before its first calibration
    for raw, tol, ok in ((raw_for(CAL_ZERO_UA + 3), BOOT_ZERO_UA, True),
                         (raw_for(CAL_ZERO_UA + 3), CAL_ZERO_UA, False),
                         (raw_for(-BOOT_ZERO_UA - 1), BOOT_ZERO_UA, False)):
        sup, b, fired = new()
        assert sup.boot_check(0, raw, tol) is ok, (raw, tol)


def test_sr08_open_sense_path_trips_after_3_dead_zone_readings():
    sup, _, _ = new()
    sup.apply(100, 1, True)
    sup.check(0, 90000, 0, False)
    sup.check(10, 60000, 0, False)
    assert sup.fault == faults.NONE
    sup.check(20, 50000, 0, False)
    assert sup.fault == faults.SENSE_OPEN
    # interrupted by a good reading: no fault
    sup, _, _ = new()
    sup.apply(100, 1, True)
    for t in range(0, 400, 10):
        raw = 50000 if (t // 10) % 3 else raw_for(CAL.ua_for_code(100))
        sup.check(t, raw, 0, False)
    assert sup.fault == faults.NONE


def test_sr08_a_bit_identical_reading_while_current_is_commanded_is_stuck():
    sup, _, _ = new()
    sup.apply(100, 1, True)
    ua = sup.expected_ua()
    raw = raw_for(ua)
    # a live reading (1 µV of noise) never trips
    for t in range(0, 2000, 10):
        sup.check(t, raw + (t // 10) % 2, ua, True)
    assert sup.fault == faults.NONE
    # frozen: tripped well within SR-08's 500 ms, not on the first few ticks
    t0 = 2000
    t = t0
    while sup.fault == faults.NONE and t < t0 + 1000:
        sup.check(t, raw, ua, True)
        t += 10
    assert sup.fault == faults.SENSE_STUCK
    assert 100 <= t - t0 <= 500, t - t0


def test_sr08_a_bit_identical_reading_with_the_output_off_is_stuck_too():
    """Found (fuzz round 30): a sense stuck at its zero reading on `pulse`
    into 200 kOhm read as no contact; the output went off, and only the 10 uA
    contact probes (output on) were counted: the fault came 3.4 s later. The
    sense's noise moves every reading, current or not."""
    sup, _, _ = new()
    raw = raw_for(0)
    for t in range(0, 2000, 10):  # idle, live: never a fault
        assert sup.check(t, raw + (t // 10) % 2, 0, False)
    assert sup.fault == faults.NONE
    t0 = t = 2000
    while sup.fault == faults.NONE and t < t0 + 1000:
        sup.check(t, raw, 0, False)
        t += 10
    assert sup.fault == faults.SENSE_STUCK and sup.sense_bad
    assert 100 <= t - t0 <= 500, t - t0


def test_sr08_a_reading_that_does_not_follow_a_rising_command_is_stuck():
    def ramp(follow):
        sup, _, _ = new(500)
        code = 93
        for k in range(40):
            sup.apply(code, 1, True)
            ua = sup.expected_ua()
            # a sense frozen at a plausible, noisy value, or one that follows
            seen = ua if follow else 200
            sup.check(k * 10, raw_for(seen) + (k % 2) * 1000, seen, True)
            if sup.fault:
                return sup.fault, k
            code += 2  # about 4.3 µA a tick: 430 µA/s
        return sup.fault, 40

    assert ramp(True) == (faults.NONE, 40)
    fault, k = ramp(False)
    assert fault == faults.SENSE_STUCK and k * 10 <= 500, (fault, k)


def test_sr08_gain_drift_beyond_20_percent_trips_within_500ms():
    def run(pct, ratio_valid, ticks=100):
        sup, _, _ = new(500)
        sup.apply(100, 1, True)
        ua = sup.expected_ua() * pct // 100
        for k in range(ticks):
            sup.check(k * 10, raw_for(ua) + k % 2, ua, ratio_valid)
            if sup.fault:
                return sup.fault, k + 1
        return sup.fault, ticks

    assert run(100, True) == (faults.NONE, 100)
    assert run(81, True) == (faults.NONE, 100)  # inside 20 %
    assert run(119, True) == (faults.NONE, 100)
    for pct in (75, 125):
        fault, n = run(pct, True)
        assert fault == faults.GAIN_DRIFT and n * 10 <= 500, (pct, fault, n)
        assert n > 1, pct  # not on one reading
    # a reading under half the command trips sooner (inside one 100 ms pulse)
    fault, n = run(40, True)
    assert fault == faults.GAIN_DRIFT and n * 10 < 100, (fault, n)
    # a load in compliance cannot take the current: not a sensor fault
    assert run(40, False) == (faults.NONE, 100)


def test_sr08_a_reading_far_over_a_command_under_20_ua_is_a_drift():
    """Found (fuzz round 38): the stage x5 from boot, and a start ramp ran
    at 550 uA/s up to 99 uA; the drift band is judged from 20 uA of command
    only, which that ramp reached last. Under 20 uA a reading over twice the
    command and 10 uA more counts as a reading over twice the command does
    above it. A stored offset the boot check lets through (4 uA), a sense
    20 % high and the noise are far inside that."""

    def ramp(times, plus_ua):
        sup, _, _ = new(500)
        for k in range(40):
            sup.apply(1 + k // 2, 1, True)  # one code every 20 ms, as a ramp
            exp = sup.expected_ua()
            if exp >= 20:
                break
            ua = exp * times // 100 + plus_ua
            sup.check(k * 10, raw_for(ua) + k % 2, ua, exp >= 8)
            if sup.fault:
                return sup.fault, exp
        return sup.fault, None

    fault, at_ua = ramp(500, 0)
    assert fault == faults.GAIN_DRIFT and at_ua is not None and at_ua * 5 <= 50, (fault, at_ua)
    assert ramp(120, CAL_ZERO_UA + 3) == (faults.NONE, None)
    assert ramp(200, 9) == (faults.NONE, None)
    # off, or into a load that cannot take it: not judged
    sup, _, _ = new(500)
    sup.apply(4, 1, True)
    for k in range(20):
        sup.check(k * 10, raw_for(60) + k % 2, 60, False)
    assert sup.fault == faults.NONE


def test_sr08_a_reading_under_a_third_of_a_command_of_8_to_19_ua_is_a_drift():
    """Found (fuzz round 45): a sense frozen at zero from boot, `pulse` at
    level 10 on a 100 kOhm load. The load was past the compliance only at the
    setpoint (a light contact: no contact), so only one tick at 45 uA was
    judged, and the 10 uA contact probes, 1 V across the load, were never
    judged for 13.8 s. The regulator's light contact is judged now (the current
    flows as the code says until the stage caps), and under 20 uA a reading
    under a third of 8 uA or more counts as a drift: 3 probes trip it. A
    stored offset the boot check lets through and the noise stay far inside."""

    def probes(read_ua, judged=True):
        sup, _, _ = new(500)
        code = sup.cal.code_for(10)
        for k in range(6):
            sup.apply(code, 1 if k % 2 == 0 else -1, True)  # one probe tick, then off
            exp = sup.expected_ua()
            sup.check(k * 200, raw_for(read_ua) + k % 2, read_ua, judged)
            sup.apply(0, 0, False)
            sup.check(k * 200 + 10, raw_for(0) + k % 2, 0, False)
            if sup.fault:
                return sup.fault, k + 1, exp
        return sup.fault, None, exp

    fault, n, exp = probes(0)
    assert fault == faults.GAIN_DRIFT and n == 3 and 10 <= exp < 20, (fault, n, exp)
    assert probes(10 - CAL_ZERO_UA)[0] == faults.NONE  # the offset the boot check lets through
    assert probes(5)[0] == faults.NONE
    assert probes(0, judged=False)[0] == faults.NONE  # an open load (at the compliance): not judged
    # a reading that is right clears the count: two lifts' first two ticks (the load still judged as it was)
    # in a ramp's first 8..19 uA added up to a false fault (review)
    sup, _, _ = new(500)
    code = sup.cal.code_for(12)
    for k, read in enumerate((0, 0, 12, 12, 0, 0, 12, 0, 0)):
        sup.apply(code, 1, True)
        sup.check(k * 10, raw_for(read) + k % 2, read, True)
    assert sup.fault == faults.NONE


def test_sr08_a_drift_count_survives_a_pulse_trains_gaps():
    """Found (fuzz seed 3276014853): on `pulse`, 100 ms pulses every 500 ms,
    the drift count restarted at every gap and a pulse of 6 drifting ticks
    never reached the 10 a drift takes. Only a judged tick that reads right
    resets it."""
    sup, _, _ = new(500)
    t = pulses = 0
    while pulses < 3:
        pulses += 1
        sup.apply(100, 1, True)
        ua = sup.expected_ua() * 70 // 100  # 30 % low: one count a tick
        for k in range(4):
            sup.check(t, raw_for(ua) + k % 2, ua, True)
            t += 10
        sup.apply(0, 0, False)  # the gap: output off, a live zero reading
        for k in range(40):
            sup.check(t, raw_for(0) + k % 2, 0, False)
            t += 10
        if sup.fault:
            break
    assert sup.fault == faults.GAIN_DRIFT and pulses == 3, (sup.fault, pulses)


def test_sr08_probe_lowers_every_8th_steady_code_and_a_frozen_sense_trips():
    sup, _, _ = new(500)
    sup.apply(100, 1, True)
    out = [sup.probe(100, True) for _ in range(16)]
    assert out.count(96) == 2 and out.count(100) == 14 and out[7] == 96 and out[15] == 96
    sup, _, _ = new(500)
    sup.apply(100, 1, True)
    assert [sup.probe(100, False) for _ in range(16)] == [100] * 16  # not steady: never
    sup, _, _ = new(500)
    sup.apply(19, 1, True)
    assert [sup.probe(19, True) for _ in range(16)] == [19] * 16  # too small to probe

    # A stage 19 % weaker than nominal (the settings accept -20 %): the probe's
    # 4 codes are 7 µA there, under the follow check's 8 µA, so only the probe
    # itself can see a sense frozen at a plausible value.
    weak = Calibration(1750)
    assert weak.ua_for_code(100) - weak.ua_for_code(96) < 8

    def run(frozen):
        """Each tick: the probe decides, apply() writes, the sense reads the result."""
        sup, _, _ = new(500, weak)
        sup.apply(100, 1, True)
        for k in range(100):
            sup.apply(sup.probe(100, True), 1, True)
            seen = weak.ua_for_code(100) if frozen else sup.expected_ua()
            sup.check(k * 10, raw_for(seen, weak) + k % 2, seen, True)
            if sup.fault:
                return sup.fault, k
        return sup.fault, 100

    assert run(False) == (faults.NONE, 100)
    fault, k = run(True)
    assert fault == faults.SENSE_STUCK and k * 10 <= 500, (fault, k)  # 3 probes


# --- SR-12: the latch --------------------------------------------------------


def test_sr12_a_fault_cuts_at_once_latches_the_first_cause_until_cleared():
    sup, b, fired = new(400)
    sup.apply(150, 1, True)
    assert b.enabled and b.dac == 150
    sup.trip(5000, faults.SHORT)
    assert sup.fault == faults.SHORT and sup.fault_ms == 5000
    assert not b.enabled and b.dac == 0 and not sup.output_on and sup.code == 0
    assert fired == [(5000, faults.SHORT)]
    # a second cause cuts again but keeps the first (the one logged)
    offs = b.offs
    sup.trip(5010, faults.OVERCURRENT)
    assert sup.fault == faults.SHORT and sup.fault_ms == 5000 and b.offs == offs + 1
    assert fired == [(5000, faults.SHORT)]
    # time and healthy readings never clear it; no output while latched
    raw0 = raw_for(0)
    writes = len(b.dac_writes)
    for t in range(5020, 65020, 1000):
        assert sup.check(t, raw0 + t // 1000 % 2, 0, True)  # nothing flows: the loop stays alive
        assert sup.apply(150, 1, True) == 0
    assert sup.fault == faults.SHORT and not b.enabled and len(b.dac_writes) == writes
    # latched with current flowing: the watchdog must not be fed
    assert not sup.check(70000, raw_for(100), 100, False)
    # only the deliberate act clears it, and the output stays off until asked
    sup.clear()
    assert sup.fault == faults.NONE and not b.enabled and b.dac == 0
    assert sup.apply(150, 1, True) == 150 and b.enabled


def test_sr12_every_latched_cause_blocks_the_output():
    for code in (faults.OVERCURRENT, faults.SENSE_STUCK, faults.SENSE_OPEN, faults.GAIN_DRIFT,
                 faults.BOOT_SENSE, faults.SHORT, faults.WATCHDOG, faults.BATTERY_CRITICAL,
                 faults.INTERNAL, faults.USB_POWER):
        sup, b, fired = new()
        sup.trip(0, code)
        assert sup.apply(100, 1, True) == 0 and b.dac_writes == [], code
        assert fired == [(0, code)] and faults.name(code) != "unknown"
