"""SR-04: how much of a residue carried from earlier cycles one cycle pays.

Pure integer arithmetic in the engine's units (DAC code x 100 µs).
"""


def small(carry, ref, tick):
    """A residue, not a stall's excess: within one tick at ref, the highest
    envelope code it was carried under."""
    return -ref * tick <= carry <= ref * tick


def ref(q, code, was, tick):
    """The carry's ref (see small()) once q is carried at the envelope code:
    the highest code since the carry was last under one code for one tick."""
    if -tick < q < tick or code > was:
        return code
    return was


def last_tick(owed, least, tick):
    """A debt or a stall's excess paid at the envelope (least): the code this
    tick, cut to what is owed on its last tick (nearest)."""
    r = (owed + (tick >> 1)) // tick
    return r if r < least else least


def hold(carry, pos, code, ref, tick):
    """What a negative half leaves for later cycles of the carried residue
    (carry, signed) when its positive half booked pos: it pays 1/256 of the
    half per cycle in whole codes for a tick (SR-04: each within 1 % with the
    half's own rounding; at 1/128 a `tone` cycle netted 1.04 %), or one code
    for one tick where that is more (a short phase at a low level: `smooth`
    at level 1 could not pay a stall's tick in whole codes and carried it
    59 s, fuzz round 25). A residue above one tick at ref (a stall's) is paid
    at once; judged at the falling envelope's code instead, a ramp-down's
    last, small cycle paid 0.2 uC, 3.9 % of it (fuzz round 33). With the
    envelope at zero a residue is not paid: a pause keeps it (wand.session)
    and a session's end leaves it, within SR-04's DC."""
    if not small(carry, ref if ref > code else code, tick):
        return 0
    if code <= 0:
        return carry
    allow = ((pos if pos >= 0 else -pos) >> 8) // tick * tick
    if allow < tick:
        allow = tick
    if carry > allow:
        return carry - allow
    if carry < -allow:
        return carry + allow
    return 0
