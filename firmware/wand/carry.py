"""SR-04: how much of a residue carried from earlier cycles one cycle pays.

Pure integer arithmetic in the engine's units (DAC code x 100 µs).
"""


def floor(half_ms, tick):
    """The least small() allows, in code x 100 us: one code for one tick per
    cycle of half a second (250 // half_ms), what a ramp-down pays at a code
    for a tick a cycle (`smooth`: 50 code-ticks, where a stall's booking left
    1.5 after a payback; `tone`: 5), and at least one."""
    n = 250 // half_ms
    return (n if n > 1 else 1) * tick


def small(carry, ref, lim):
    """A residue: within 1/128 of ref, the largest half it was carried under,
    or lim (floor()). More is a stall's excess or a payback's overshoot, paid
    at once. (Judged at one tick at the envelope, a `tone` payback's 8 ms
    overshoot, 0.77 of a tick, was spread and 3.4 % of a phase of DC left at
    a stop: review.)"""
    r = ref >> 7
    if r > lim:
        lim = r
    return -lim <= carry <= lim


def ref(q, pos, was, tick):
    """The carry's ref (see small()) once q is carried after a half of pos:
    the largest half since the carry was last under one code for one tick."""
    if -tick < q < tick or pos > was:
        return pos
    return was


def last_tick(owed, least, tick):
    """A debt or a stall's excess paid at the envelope (least): the code this
    tick, cut to what is owed on its last tick (nearest)."""
    r = (owed + (tick >> 1)) // tick
    return r if r < least else least


def hold(carry, pos, code, ref, lim, tick):
    """What a negative half leaves for later cycles of the carried residue
    (carry, signed) when its positive half booked pos: it pays 1/256 of the
    half per cycle in whole codes for a tick (SR-04: each within 1 % with the
    half's own rounding; at 1/128 a `tone` cycle netted 1.04 %), or one code
    for one tick where that is more (a short phase at a low level: `smooth`
    at level 1 could not pay a stall's tick in whole codes and carried it
    59 s, fuzz round 25). More than small() at ref (or at this half) is paid
    at once; judged at this small half alone, a ramp-down's last cycle paid
    0.2 uC, 3.9 % of it (fuzz round 33). With the envelope at zero a residue
    is not paid: a pause keeps it (wand.session) and a session's end leaves
    it, within SR-04's DC."""
    if not small(carry, ref if ref > pos else pos, lim):
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
