"""SR-04: what fraction of a tick's code flowed into the skin, judged from
what the sense saw at the tick's end and at its start. The output engine
(waveform.py) books each tick's charge by it.

As a fraction of the code's current (1024 = all): f at this sample (the
interval's end): none into an open load, what the stage drives into a load
in compliance; f0 at its start, from the last sample (a load capping at C µA
takes min(code, C), one taking all of m at least min(code, m)). Their mean
books a load that changed within the interval (a lift, contact back, a lift
too short for any tick to declare) with at most half a tick of charge of
error either way, zero on average. Allocates nothing.
"""

from micropython import const

_SEEN_NOTHING = const(0)  # the output was off at the last sample
_SEEN_ALL = const(1)  # the load took all of the code's current
_SEEN_CAPPED = const(2)  # the load capped it (compliance) or took none (open)
_CAPPED_BELOW = const(1014)  # of 1024: a fraction that flowed above this (99 %) is all of it
_CAPPED_MIN_UA = const(20)  # a code for less than this is taken as flowing whole


class FlowFraction:
    def __init__(self):
        self._seen_prev = _SEEN_NOTHING  # what the last sample showed of the load
        self._ua_prev = 0  # and the µA it measured
        self._small_prev = False  # its code too small for the sense to tell what the load takes
        self._all_told = False  # the last sample at a code it can tell saw all of it flow

    def of(self, code, expected, m, flowing, capped, ratio):
        """The fraction (of 1024) of the interval just ended that flowed.

        code: what was written (its current by calibration: expected µA);
        m: the µA measured now; flowing: the load took current (not open);
        capped: the load could not take all of it (compliance, or open);
        ratio: expected/measured of a load that takes it all, 1/1024 (the
        regulator's, so a calibration that is off books nothing wrong).
        """
        f = 1024
        f0 = 1024
        if code and expected > 0:
            if m < 0:
                m = 0
            capped = capped or not flowing
            if not flowing and expected < _CAPPED_MIN_UA:
                f = 0  # an open load at a code too small for the sense: none flowed
                m = 0
            elif capped:
                f = m * ratio // expected
                if f >= _CAPPED_BELOW or (flowing and expected < _CAPPED_MIN_UA):
                    # all of it, or a code too small for the sense to tell
                    f = 1024
                    capped = False
            seen = self._seen_prev
            if seen == _SEEN_NOTHING:
                f0 = f  # the output was off: nothing known of the start
            else:
                f0 = self._ua_prev * ratio // expected
                if f0 > 1024:
                    f0 = 1024
                if seen == _SEEN_ALL and f0 < f:
                    f0 = f
                if not flowing and seen == _SEEN_ALL and self._small_prev and self._all_told:
                    # open now; the last sample's code (a pulse train's gap) told nothing of the load, the last
                    # that could saw all: lifted in this interval (a pulse's first tick, held by a 150 ms stall
                    # into a lift, was booked at 1 %: 21 % of a phase, a sweep)
                    f0 = 1024
            self._seen_prev = _SEEN_CAPPED if capped else _SEEN_ALL
            self._ua_prev = m
            self._small_prev = expected < _CAPPED_MIN_UA
            if not self._small_prev:
                self._all_told = not capped
        else:
            self._seen_prev = _SEEN_NOTHING
        return (f + f0) >> 1
