"""This tick's output: the session's envelope through the clamp, the output
engine and the SR-08 probe to the DAC, and the booking corrected to the
microsecond (SR-01, SR-04, SR-05, SR-08).

`drive()` is called by the App once a tick, after the session stepped; it
allocates nothing.
"""

from wand import programs
from wand import regulator as reg


def drive(b, t, load, session, rg, sup, eng, unbooked_us=0):
    """b: the board; t: this tick's start (ticks_us); load: the regulator's
    judgement of this tick's measurement; unbooked_us: the µs of the interval
    just ended that the App's book() left out (its sub-100-µs remainder,
    booked next tick, < 0 when it booked an earlier one's)."""
    ua = session.amp_ua()
    if rg.trim < 1024:
        # SR-01: a trim that lowers the code (stage gain high) leaves the
        # clamp slack and trusts the sense, whose ADC gain is +-1 %: aim
        # at most 98 % of the limit then
        cap = sup.limit_ua * 98 // 100
        if ua > cap:
            ua = cap
    # (the contact probe at its calibrated 10 uA, untrimmed: a trim that had
    # learned a sense reading high took it under the 8 uA the load is judged
    # from, and contact never came back: red team rt2)
    code = sup.clamp_code(rg.cal.code_for(ua) if eng.program is programs.PROBE else rg.code_for(ua))
    eng.step(code)
    code = eng.code
    pol = eng.polarity
    # SR-08: probe in either half (the sense reads |I| ahead of the
    # bridge; the dip is booked, so the engine pays it back), on a
    # code held from the last tick, never on a rising or falling
    # positive half (a dip on a ramp reads as a steeper ramp, SR-05);
    # a continuous negative half is flat at its plan's rate even
    # while the envelope ramps, so it is probed then too (a sense
    # frozen in the negative half of the start ramp went 761 ms
    # unseen; a pulse train's pulses are judged at each onset by the
    # follow check instead: a probe there steps the pulses, SR-05)
    d = code - sup.code  # (a negative half's rate moves by one code)
    # (never on the first tick of a phase of several: a reversal holds
    # the DAC at 0 for a few tens of µs that no tick books, alike in both
    # phases only if both start on their steady code; a dip there made
    # every cycle lopsided by the gap times 4 codes, 0.28 µC a minute on
    # `tone`)
    steady = (load == reg.LOAD_OK and pol != 0 and sup.output_on and -1 <= d <= 1
              and (not session.ramping() or not eng.in_positive_half() and eng.multi_tick_halves())
              and eng.probe_ok() and not eng.at_reversal())
    c0 = sup.code * sup.polarity  # what flowed until apply() changed it
    sup.apply(sup.probe(code, steady), pol, eng.running)
    # SR-04: the ticks book each code from one tick's start to the next,
    # but the last code flowed on until t_off, nothing between t_off and
    # t_on (a reversal's break-before-make), and this one from t_on:
    # the difference is booked now, to the microsecond.
    c1 = sup.code * sup.polarity
    if eng.one_tick:
        # One-tick halves (`smooth`): each code is booked for the time it
        # really flowed, from its write to the next (booked ahead instead, a
        # reversal's is twice the code times the delay, which a one-tick plan
        # cannot pay; unbooked, a 5 ms stall that moved the write by 81 us
        # left 0.8 code-ticks of DC: fuzz round 30).
        if c0 and eng.on_us >= 0:
            eng.shift_us(c0 * (b.ticks_diff(sup.t_off, t) - eng.on_us + unbooked_us))
        eng.on_us = b.ticks_diff(sup.t_on, t) if c1 else -1
    elif (c0 or c1) and eng.multi_tick_halves():
        # (Not in a pulse train, whose gates move the output inside a half:
        # the correction upset its end ramp, 268 uA/s, fuzz seed 2058034038.)
        eng.shift_us(c0 * (b.ticks_diff(sup.t_off, t) + unbooked_us) - c1 * b.ticks_diff(sup.t_on, t))
