"""wand.carry (SR-04): what a negative half leaves for later cycles of a
residue carried from earlier ones, and the envelope a residue is judged
against. Hand-computed values. Runs on CPython and on the MicroPython unix
port.

Units as waveform.py uses them: charge in code x 100 µs, tick in 100 µs."""

from wand.carry import hold, ref, small

TICK = 50  # a 5 ms tick, in 100 µs


def test_a_residue_within_what_a_cycle_may_pay_is_paid_whole():
    # 1/256 of a 100-code half of 20 ticks is 390 units, 350 in whole codes
    # for a tick (50): 350 is paid at once
    assert hold(350, 100 * 20 * TICK, 100, 100, TICK) == 0
    assert hold(-350, 100 * 20 * TICK, 100, 100, TICK) == 0


def test_a_larger_residue_is_paid_at_1_256_of_the_half_per_cycle_in_whole_codes():
    """At 1/128, with the half's own rounding to whole codes, a `tone` cycle
    paying a lift's residue netted 1.04 % (this session's sweep)."""
    pos = 100 * 20 * TICK
    assert hold(1000, pos, 100, 100, TICK) == 1000 - 350
    assert hold(-1000, pos, 100, 0, TICK) == -1000 + 350
    assert hold(2000, 3 * pos, 100, 100, TICK) == 2000 - 1150  # 1171 in whole codes for a tick


def test_where_1_128_is_under_one_code_for_one_tick_a_cycle_pays_one():
    # `smooth` at 18 codes, one-tick halves: 1/128 of 900 is 7 units, under
    # a code for a tick (50), which no half can play: it pays 50 a cycle
    assert hold(-890, 18 * TICK, 18, 18, TICK) == -890 + TICK
    assert hold(890, 18 * TICK, 18, 0, TICK) == 890 - TICK
    assert hold(40, 18 * TICK, 18, 18, TICK) == 0


def test_a_stalls_residue_over_a_tick_at_its_envelope_is_paid_at_once():
    assert hold(18 * TICK + 1, 18 * TICK, 18, 18, TICK) == 0
    assert hold(-18 * TICK - 1, 18 * TICK, 18, 10, TICK) == 0
    # with nothing to judge it by (no ref, envelope zero): paid at once
    assert hold(500, 0, 0, 0, TICK) == 0


def test_a_residue_carried_into_a_ramp_down_is_judged_by_its_own_envelope():
    """Found (fuzz rounds 33, 34): judged by the falling envelope's code, a
    residue under a tick at the level it was carried at read as a stall's
    and was paid at once in a small last cycle (3.9 % of a `pulse` cycle; a
    `tone` debt's residue, 236 uA/s). Judged by ref it is paid as any other,
    and with the envelope at zero not at all (kept, or left at the end)."""
    assert hold(1742, 16 * 5 * 100, 16, 18, 100) == 1742 - 100
    assert hold(1742, 16 * 5 * 100, 16, 0, 100) == 0  # (no ref: a stall's)
    assert hold(1244, 0, 0, 46, 100) == 1244
    assert hold(-900, 0, 0, 46, 100) == -900


def test_ref_is_the_highest_envelope_since_the_carry_was_under_a_tick():
    assert ref(40, 30, 80, 100) == 30  # under one code for one tick: a fresh ref
    assert ref(-40, 30, 80, 100) == 30
    assert ref(1742, 18, 0, 100) == 18
    assert ref(1642, 16, 18, 100) == 18  # the envelope fell: the ref stays
    assert ref(1642, 25, 18, 100) == 25
    assert small(1800, 18, 100) and small(-1800, 18, 100)
    assert not small(1801, 18, 100) and not small(1, 0, 100)


def test_a_residue_paid_over_cycles_reaches_zero():
    """Carried cycle after cycle, what is held shrinks by what each pays."""
    c, n = -18 * TICK, 0
    while c and n < 100:
        c = hold(c, 18 * TICK, 18, 18, TICK)
        n += 1
    assert c == 0 and n == 18, (c, n)
