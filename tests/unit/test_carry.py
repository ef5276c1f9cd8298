"""wand.carry.hold (SR-04): what a negative half leaves for later cycles of a
residue carried from earlier ones. Hand-computed values. Runs on CPython and
on the MicroPython unix port.

Units as waveform.py uses them: charge in code x 100 µs, tick in 100 µs."""

from wand.carry import hold

TICK = 50  # a 5 ms tick, in 100 µs


def test_a_residue_within_what_a_cycle_may_pay_is_paid_whole():
    # 1/128 of a 100-code half of 20 ticks is 781 units: 700 is paid at once
    assert hold(700, 100 * 20 * TICK, 100, TICK) == 0
    assert hold(-700, 100 * 20 * TICK, 100, TICK) == 0


def test_a_larger_residue_is_paid_at_1_128_of_the_half_per_cycle():
    pos = 100 * 20 * TICK
    assert hold(1000, pos, 100, TICK) == 1000 - (pos >> 7)
    assert hold(-1000, pos, 100, TICK) == -1000 + (pos >> 7)


def test_where_1_128_is_under_one_code_for_one_tick_a_cycle_pays_one():
    # `smooth` at 18 codes, one-tick halves: 1/128 of 900 is 7 units, under
    # a code for a tick (50), which no half can play: it pays 50 a cycle
    assert hold(-890, 18 * TICK, 18, TICK) == -890 + TICK
    assert hold(890, 18 * TICK, 18, TICK) == 890 - TICK
    assert hold(40, 18 * TICK, 18, TICK) == 0


def test_a_stalls_residue_over_a_tick_at_the_envelope_and_any_at_zero_is_paid_at_once():
    assert hold(18 * TICK + 1, 18 * TICK, 18, TICK) == 0
    assert hold(-18 * TICK - 1, 18 * TICK, 18, TICK) == 0
    assert hold(500, 0, 0, TICK) == 0


def test_a_residue_paid_over_cycles_reaches_zero():
    """Carried cycle after cycle, what is held shrinks by what each pays."""
    c, n = -18 * TICK, 0
    while c and n < 100:
        c = hold(c, 18 * TICK, 18, TICK)
        n += 1
    assert c == 0 and n == 18, (c, n)
