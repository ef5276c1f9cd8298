"""SR-04: how much of a residue carried from earlier cycles one cycle pays.

Pure integer arithmetic in the engine's units (DAC code x 100 µs).
"""


def hold(carry, pos, code, tick):
    """What a negative half leaves for later cycles of the carried residue
    (carry, signed) when its positive half booked pos: it pays at most 1/128
    of the half per cycle (SR-04: each within 1 %), or one code for one tick
    where that is more (a short phase at a low level: `smooth` at level 1
    could not pay a stall's tick in whole codes and carried it 59 s, fuzz
    round 25). A residue above one tick at the envelope (a stall's) and any
    with the envelope at zero is paid at once."""
    if code <= 0 or carry > code * tick or carry < -code * tick:
        return 0
    allow = (pos if pos >= 0 else -pos) >> 7
    if allow < tick:
        allow = tick
    if carry > allow:
        return carry - allow
    if carry < -allow:
        return carry + allow
    return 0
