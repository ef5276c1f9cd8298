"""wand.envfollow.negative_code (SR-05): the code of a continuous negative half
while the envelope rises. It pays what the positive half left owed in the
fewest whole ticks of the envelope, never above the envelope, and follows it
up. Hand-computed values, then whole halves played tick by tick. Runs on
CPython and on the MicroPython unix port.

Units as waveform.py uses them: q is owed charge in code x 100 µs, tick is
the tick in 100 µs (100 = 10 ms), s16 the envelope's rise in 1/16 code a tick.
"""

from wand.envfollow import negative_code, pulses_share, whole_pulses

TICK = 100  # a 10 ms tick, in 100 µs


def play(q, env, s16, tick=TICK, limit=1000):
    """A negative half tick by tick: the envelope rises s16/16 codes a tick;
    returns [(envelope, code)] and what is still owed at the end."""
    out = []
    while q > 0 and len(out) < limit:
        code = negative_code(q, env, tick, s16)
        out.append((env, code))
        q -= code * tick
        env += s16 // 16
    return out, q


def test_flat_envelope_owed_whole_ticks_plays_the_envelope():
    # 20 ticks' worth at 100: 20 ticks at exactly 100
    assert negative_code(20 * 100 * TICK, 100, TICK, 0) == 100
    assert negative_code(3 * 57 * TICK, 57, TICK, 0) == 57


def test_flat_envelope_spreads_the_remainder_as_an_even_dip():
    # 2.5 ticks owed at 100: 3 ticks (the fewest), at 100 - (300-250)/3 -> 83
    assert negative_code(250 * TICK, 100, TICK, 0) == 83
    # 3 ticks at 83 pay 249 of the 250: the last tick takes what is still owed
    assert negative_code(250 * TICK - 2 * 83 * TICK, 100, TICK, 0) == 84


def test_last_tick_pays_what_is_still_owed_rounded():
    # under one tick of the envelope: n == 1, the owed charge over one tick, to the nearest
    assert negative_code(50 * TICK, 100, TICK, 0) == 50
    assert negative_code(50 * TICK + 49, 100, TICK, 0) == 50
    assert negative_code(50 * TICK + 50, 100, TICK, 0) == 51
    # (the same whatever the forecast rise: one tick is one tick)
    assert negative_code(50 * TICK, 100, TICK, 64) == 50


def test_rising_forecast_by_hand():
    # 500 code-ticks owed at 100 rising 2 codes a tick (s16 = 32): the mean
    # over n ticks is 100 + 2 (n - 1) / 2, so 5 ticks pay 520, 20 too much;
    # spread over 5 ticks: 100 - (640 + 80) // 160 = 96
    assert negative_code(500 * TICK, 100, TICK, 32) == 96
    # without the forecast the same debt is 5 flat ticks of exactly 100
    assert negative_code(500 * TICK, 100, TICK, 0) == 100
    # a fast rise (10 codes a tick) pays 1000 in 8 ticks, not the 10 of a
    # flat envelope: 8 x 100 + 10 x 28 = 1080, so 80 too much, 10 a tick
    assert negative_code(1000 * TICK, 100, TICK, 160) == 90
    half, left = play(1000 * TICK, 100, 160)
    assert left == 0 and len(half) == 8, half


def test_a_dip_over_several_ticks_never_reaches_zero():
    # a whisker over n ticks of a tiny envelope: the even dip would round to 0
    for q in (101, 150, 199, 201, 250, 399):
        assert negative_code(q, 1, TICK, 0) == 1
        assert negative_code(q, 1, TICK, 16) == 1
    # (only the last tick pays what is left, to the nearest: under half a code-tick is 0)
    assert negative_code(49, 1, TICK, 0) == 0


def test_sr05_a_rising_envelope_is_followed_and_never_exceeded():
    for q, env, s16 in (
        (2000 * TICK, 100, 32),
        (500 * TICK, 200, 16),
        (3000 * TICK, 150, 64),
        (4000 * TICK, 255 - 40, 16),
        (1200 * TICK, 40, 48),
    ):
        half, left = play(q, env, s16)
        codes = [c for _, c in half]
        assert all(0 < c <= e for e, c in half), (q, env, s16, half)
        # it follows the rise: no code falls below an earlier one by more
        # than the last tick's rounding
        assert all(codes[i + 1] >= codes[i] - 1 for i in range(len(codes) - 2)), codes
        rise = codes[-2] - codes[0] if len(codes) > 2 else 0
        assert rise >= (len(codes) - 3) * (s16 // 16) - 2, (codes, s16)
        # the debt is paid exactly (SR-04), and sooner than at the start's level
        assert left == 0, (q, env, s16, left)
        flat_ticks = (q // TICK + env - 1) // env
        assert len(half) <= flat_ticks, (len(half), flat_ticks)


def test_flat_envelope_half_pays_exactly_at_an_even_level():
    half, left = play(1000 * TICK, 60, 0)
    assert left == 0
    codes = [c for _, c in half]
    assert len(codes) == 17  # ceil(1000 / 60)
    assert max(codes) <= 60 and max(codes) - min(codes) <= 1  # an even dip: 1000/17 = 58.8


def test_sr05_whole_pulses_pays_a_pulse_trains_block_in_the_fewest_whole_pulses():
    # 100 ms pulses (1000 units), owed 60 ticks at 100 (600000): at an envelope
    # of 150 that is 4 whole pulses (at 150 exactly it would be 40 ticks)
    assert whole_pulses(600000, 150, 6000, 1000, 0) == 4000
    # 3 ticks into a pulse: its 7 left first, then whole pulses
    assert whole_pulses(600000, 150, 5700, 1000, 300) == 700 + 4000
    # in a gap: whole pulses only
    assert whole_pulses(600000, 150, 6000, 1000, 2000) == 4000
    # never longer than the plan left
    assert whole_pulses(600000, 100, 6000, 1000, 0) == 6000
    assert whole_pulses(600000, 90, 6000, 1000, 0) == 6000


def test_sr06_a_negative_blocks_pulses_leave_its_gaps_their_share_of_the_sense_current():
    """`pulse`: 100 ms pulses (1000) every 500 ms (5000), gaps of 4000 at the
    sense code. A plan of 3 pulses from a pulse's start leaves 3 gaps' worth to
    the gaps; 2.5 pulses left from 50 ms into one: this one's gap and 2 more;
    the last pulse's rest: its own gap only; the gaps never take more than q."""
    assert pulses_share(350900, 3000, 1000, 5000, 0, 1) == 350900 - 3 * 4000
    assert pulses_share(350900, 2500, 1000, 5000, 500, 1) == 350900 - 3 * 4000
    assert pulses_share(350900, 500, 1000, 5000, 500, 1) == 350900 - 4000
    assert pulses_share(350900, 3000, 1000, 5000, 0, 2) == 350900 - 3 * 8000
    assert pulses_share(5000, 3000, 1000, 5000, 0, 1) == 0
