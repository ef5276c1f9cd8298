"""SR-05: the code of a negative half that follows a rising envelope, and
the plan of a pulse train's negative block under one.

A continuous negative half pays back the positive half's charge. Played at
that half's mean while the envelope rose, it fell behind, and the next
positive half started higher: a step at the reversal of up to half the ramp
over a half (137 uA on `lift`'s start ramp at 500 uA). Once the envelope is
above the plan's rate, the engine (waveform.py) asks `negative_code()` instead: the
half follows the envelope and ends early, once paid. Pure integer
arithmetic, below 2**30: nothing is allocated on the ESP32.
"""

from micropython import const

_FOLLOW_MAX_N = const(200)  # a rise is forecast over at most this many ticks


def negative_code(q, env, tick, s16):
    """SR-05: a negative half's code while the envelope (env) is above its
    plan's rate (at the mean it fell behind a rise: `lift` stepped 137 uA at
    the next reversal). q (owed) goes into the fewest whole ticks of the
    envelope, forecast to rise s16/16 codes a tick, less an even dip."""
    qt = (q + tick - 1) // tick  # owed, in code x ticks
    n = (qt + env - 1) // env  # at a flat envelope: never fewer
    if s16 > 0 and 1 < n <= _FOLLOW_MAX_N:
        for _ in range(2):  # the mean over n ticks is env + s (n - 1) / 2
            m32 = 32 * env + s16 * (n - 1)
            n = (32 * qt + m32 - 1) // m32
        if n < 1:
            n = 1
        while 32 * n * env + s16 * n * (n - 1) < 32 * qt:
            n += 1
    else:
        s16 = 0
    if n == 1:
        return (q + tick // 2) // tick  # the last tick: what is still owed
    over = 32 * n * env + s16 * n * (n - 1) - 32 * qt  # what n ticks would pay too much
    out = env - (over + 16 * n) // (32 * n)
    return out if out > 0 else 1


def whole_pulses(q, env, left, on, t_on):
    """SR-05: the on-time (100 µs units) of the fewest whole pulses that pay q
    at no more than the envelope env, this pulse's rest (t_on into it) first,
    or left if that is shorter: played at one rate. (Followed tick by tick, a
    negative block's remainder became a pulse of one tick: 456 uA/s.)"""
    cur = on - t_on if t_on < on else 0
    need = (q + env - 1) // env
    if need > cur:
        cur += (need - cur + on - 1) // on * on
    return cur if 0 < cur < left else left


def pulses_share(q, left, on, period, t_on, sense):
    """SR-06: what a negative block's pulses pay of q (owed, 100 us units) when
    its gaps carry the sense code (sense): the gaps pay one gap's worth after
    this pulse (t_on into it) and after each of the rest of its plan (left of
    on-time), the pulses the rest (none if the gaps take it all)."""
    rest = left - (on - t_on)
    n = 1 + ((rest + on - 1) // on if rest > 0 else 0)
    g = n * (period - on) * sense
    return q - g if q > g else 0
