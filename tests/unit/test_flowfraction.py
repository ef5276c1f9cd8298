"""wand.flowfraction.FlowFraction (SR-04): the fraction (of 1024) of a tick's
code that flowed into the skin, the mean of what the sense saw at the
interval's end and at its start. Every figure here is worked by hand from the
module's rules. Runs on CPython and on the MicroPython unix port."""

from wand.flowfraction import FlowFraction

R = 1024  # the regulator's ratio when calibration and sense agree


def all_of(ff, code=100, expected=200, ratio=R):
    """A sample of a load that took all of the code's current."""
    return ff.of(code, expected, expected, True, False, ratio)


def test_output_off_books_the_whole_interval():
    ff = FlowFraction()
    assert ff.of(0, 0, 0, False, False, R) == 1024
    assert ff.of(0, 200, 0, False, True, R) == 1024  # code 0: nothing to judge
    assert ff.of(50, 0, 0, False, True, R) == 1024  # no expected current either


def test_a_load_that_takes_it_all_books_it_all():
    ff = FlowFraction()
    assert all_of(ff) == 1024
    assert all_of(ff) == 1024
    # (a load at 99 % of the code, flagged capped, is taken as all of it:
    # 397 * 1024 // 400 = 1016 >= 1014)
    assert FlowFraction().of(100, 400, 397, True, True, R) == 1024


def test_an_open_load_from_the_start_books_none():
    ff = FlowFraction()
    # open (not flowing): f = m * ratio // expected = 0, and the output was
    # off before, so the start is taken as the end: (0 + 0) / 2
    assert ff.of(100, 200, 0, False, False, R) == 0
    assert ff.of(100, 200, 0, False, False, R) == 0


def test_contact_back_within_a_tick_books_half_of_it():
    ff = FlowFraction()
    assert ff.of(100, 200, 0, False, False, R) == 0  # lifted
    # contact back: all at the end (1024), none at the start (0 µA): 512
    assert all_of(ff) == 512
    assert all_of(ff) == 1024


def test_a_lift_within_a_tick_books_half_of_it():
    ff = FlowFraction()
    assert all_of(ff) == 1024  # 200 µA into the skin
    # open now: f = 0; the last sample took all (f0 = 200 * 1024 // 200): 512
    assert ff.of(100, 200, 0, False, False, R) == 512


def test_compliance_books_what_the_sense_measured():
    ff = FlowFraction()
    # 400 µA asked, the load caps at 300: 300 * 1024 // 400 = 768, and the
    # start (output off before) is taken as the end
    assert ff.of(200, 400, 300, True, True, R) == 768
    # still capped at 300: start 768, end 768
    assert ff.of(200, 400, 300, True, True, R) == 768
    # capped lower now (200 µA): (512 + 768) / 2
    assert ff.of(200, 400, 200, True, True, R) == 640


def test_the_regulators_ratio_scales_the_measurement():
    # a sense that reads 2.4 % low (ratio 1000/1024 of the calibration's current)
    assert FlowFraction().of(200, 400, 300, True, True, 1000) == 750  # 300 * 1000 // 400


def test_a_load_that_took_it_all_stays_at_least_at_the_new_fraction():
    ff = FlowFraction()
    # all of 200 µA at code 100 ...
    assert ff.of(100, 200, 100, True, False, R) == 1024
    # ... code raised to 400 µA, the load caps at 300: f = 768; the start read
    # 100 µA of 400 (256), but a load that took everything takes at least
    # min(code, m): f0 = max(256, 768)
    assert ff.of(200, 400, 300, True, True, R) == 768


def test_a_start_that_read_more_than_the_code_is_capped_at_all_of_it():
    ff = FlowFraction()
    assert ff.of(200, 400, 400, True, True, R) == 1024  # capped flag, but all of it flowed
    # code lowered to 100 µA; the start read 400 µA (4096/1024): counted as 1024
    assert ff.of(50, 100, 60, True, True, R) == (614 + 1024) >> 1


def test_tiny_codes_the_sense_cannot_tell():
    # under 20 µA: flowing counts as all of it, open as none
    assert FlowFraction().of(5, 10, 3, True, True, R) == 1024
    assert FlowFraction().of(5, 10, 3, False, True, R) == 0


def test_a_negative_reading_counts_as_zero():
    ff = FlowFraction()
    assert ff.of(200, 400, -30, True, True, R) == 0
    # and what is remembered of it is 0 µA, not a negative current
    assert ff.of(200, 400, 400, True, False, R) == 512


def test_output_off_forgets_the_last_sample():
    ff = FlowFraction()
    assert ff.of(200, 400, 300, True, True, R) == 768
    assert ff.of(0, 0, 0, False, False, R) == 1024  # a gap (reversal, pause)
    # the start is unknown again: taken as the end
    assert ff.of(200, 400, 100, True, True, R) == 256


def test_sr04_a_lift_on_a_pulses_first_tick_after_a_gaps_small_code_books_half():
    """Found (a sweep of stalls and lifts in `pulse`'s ramp-downs): a pulse's
    first tick, held 150 ms by a loop stall, ran into a lift. Its start sample
    was the gap's sense code (2 uA, too small to tell what the load takes), so
    the start was taken as that 1 uA: 1 % booked, 21 % of a phase left as DC.
    The last sample that could tell saw all flow: half is booked."""
    ff = FlowFraction()
    assert all_of(ff) == 1024  # a pulse into the skin
    assert ff.of(1, 2, 1, True, False, R) == 1024  # the gap's sense code, all of it (too small to judge)
    assert ff.of(46, 99, 0, False, True, R) == 512  # the next pulse's tick ends open: half
    # the same into a load that capped the pulses (past the compliance at 99 uA): its fraction, as before
    ff = FlowFraction()
    assert ff.of(46, 99, 10, True, True, R) == 103  # 10 * 1024 // 99, start taken as the end
    assert ff.of(1, 2, 1, True, False, R) == 1024
    assert ff.of(46, 99, 0, False, True, R) == 5  # (0 + 1 * 1024 // 99) / 2: nothing says it took more
