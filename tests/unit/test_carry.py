"""wand.carry (SR-04): what a negative half leaves for later cycles of a
residue carried from earlier ones, what counts as a residue, and a debt's
last tick. Hand-computed values. Runs on CPython and on the MicroPython unix
port.

Units as waveform.py uses them: charge in code x 100 µs, tick in 100 µs."""

from wand.carry import floor, hold, last_tick, ref, small

TICK = 50  # a 5 ms tick, in 100 µs


def test_a_residue_within_what_a_cycle_may_pay_is_paid_whole():
    # 1/256 of a 100-code half of 20 ticks is 390 units, 350 in whole codes
    # for a tick (50): 350 is paid at once
    assert hold(350, 100 * 20 * TICK, 100, 0, TICK, TICK) == 0
    assert hold(-350, 100 * 20 * TICK, 100, 0, TICK, TICK) == 0


def test_a_larger_residue_is_paid_at_1_256_of_the_half_per_cycle_in_whole_codes():
    """At 1/128, with the half's own rounding to whole codes, a `tone` cycle
    paying a lift's residue netted 1.04 % (a sweep)."""
    pos = 100 * 20 * TICK  # 100000: small() up to 781
    assert hold(700, pos, 100, 0, TICK, TICK) == 700 - 350
    assert hold(-700, pos, 100, pos, TICK, TICK) == -700 + 350
    assert hold(2000, 3 * pos, 100, 0, TICK, TICK) == 2000 - 1150  # 1171 in whole codes for a tick


def test_where_1_256_is_under_one_code_for_one_tick_a_cycle_pays_one():
    # `smooth` at 18 codes, one-tick halves: a residue of one code for a tick
    # is a residue (SR-04 lets a session end with it) and is paid whole
    assert hold(40, 18 * TICK, 18, 0, TICK, TICK) == 0
    assert hold(-50, 18 * TICK, 18, 0, TICK, TICK) == 0
    # carried from a 100-code `tone` half (ref 50000: small() up to 390)
    assert hold(-380, 18 * TICK, 18, 50000, TICK, TICK) == -380 + TICK


def test_more_than_a_residue_is_paid_at_once():
    """A stall's excess, or a payback's overshoot (an 8 ms stall in a `tone`
    payback's last tick overshot 0.77 of a tick: spread, 3.4 % of a phase of
    DC was left at a stop, review): over 1/128 of the largest half it was
    carried under, or one code for one tick."""
    assert hold(782, 100 * 20 * TICK, 100, 0, TICK, TICK) == 0
    assert hold(-782, 100 * 20 * TICK, 100, 0, TICK, TICK) == 0
    assert hold(51, 18 * TICK, 18, 0, TICK, TICK) == 0  # (pays whole: 51 > a code for a tick)
    assert hold(500, 0, 0, 0, TICK, TICK) == 0


def test_a_residue_carried_into_a_ramp_down_is_judged_by_the_half_it_came_from():
    """Found (fuzz round 33): judged by the small halves of a ramp-down, a
    residue of a large half read as a stall's and was paid at once in the
    last cycle (3.9 % of it). Judged by ref it is paid as any other, and with
    the envelope at zero not at all (kept, or left at the end)."""
    big = 259000  # a 55.9 uC `pulse` half: small() up to 2023
    assert hold(1250, 4 * 5 * 100, 4, big, 100, 100) == 1250 - 100
    assert hold(1250, 4 * 5 * 100, 4, 0, 100, 100) == 0  # (no ref: more than a residue of this half)
    assert hold(1150, 0, 0, big, 100, 100) == 1150
    assert hold(-900, 0, 0, big, 100, 100) == -900


def test_ref_is_the_largest_half_since_the_carry_was_under_a_tick():
    assert ref(40, 3000, 80000, 100) == 3000  # under one code for one tick: a fresh ref
    assert ref(-40, 3000, 80000, 100) == 3000
    assert ref(1742, 9000, 0, 100) == 9000
    assert ref(1642, 8000, 9000, 100) == 9000  # the halves shrank: the ref stays
    assert ref(1642, 12500, 9000, 100) == 12500
    assert small(2023, 259000, 100) and small(-2023, 259000, 100) and not small(2024, 259000, 100)
    assert small(100, 0, 100) and not small(101, 0, 100)


def test_the_least_a_residue_may_be_is_what_a_ramp_down_can_pay():
    """A code for a tick for every 4 ms of a second's cycles: `smooth` (5 ms
    halves, 100 cycles a second) carries up to 50 code-ticks (its one-tick
    booking left 1.5 after a stall's payback; paid at once, that cycle netted
    2.8 %, a sweep), `tone` 5, the long halves of `lift` and `pulse` one."""
    assert floor(5, 50) == 50 * 50 and floor(50, 100) == 5 * 100
    assert floor(1000, 100) == 100 and floor(3000, 100) == 100 and floor(200, 100) == 100
    assert small(76, 3450, floor(5, 50)) and not small(76, 3450, 50)


def test_a_debts_last_tick_is_cut_to_what_is_owed():
    assert last_tick(9000, 69, 100) == 69  # more than a tick at the envelope: the envelope
    assert last_tick(1849, 69, 100) == 18  # the nearest code
    assert last_tick(1851, 69, 100) == 19
    assert last_tick(6900, 69, 100) == 69


def test_a_residue_paid_over_cycles_reaches_zero():
    """Carried cycle after cycle, what is held shrinks by what each pays."""
    c, n = -2000, 0
    while c and n < 100:
        c = hold(c, 100 * 20 * TICK, 100, 300000, TICK, TICK)
        n += 1
    assert c == 0 and n == 6, (c, n)
