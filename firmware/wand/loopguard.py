"""SR-02, SR-07: a loop that keeps stalling under the watchdog's timeout is broken.

The watchdog resets a loop stuck for 1000 ms. A loop that stalls for less, again
and again, is never reset; yet no check runs inside a stall, the output holds its
code through it, and each stall stretches a ramp (a step is capped at two ticks'
worth, SR-05), so a session ends late: 22 stalls of 950 ms, one every 2 s, in a
20-minute session's last minute gave 1202.4 s of current, and in a 5-minute
session's 314 s. The guard keeps a leaky bucket of the time the loop lost beyond
two ticks: each late tick fills it, it drains at 1/30 of the loop's time (2 s a
minute), and past BUDGET_MS the loop is broken: the Supervisor trips
LOOP_STALL. Two stalls just under the watchdog's timeout pass, the third within
about a minute does not.
"""

from micropython import const

BUDGET_MS = const(2000)
_LEAK = const(30)  # the bucket drains 1 ms per 30 ms of loop time
_LATE_MS = const(20)  # a tick's jitter (two 10 ms ticks) is no stall
_FULL = const(BUDGET_MS * _LEAK)  # the bucket's level is in ms x _LEAK


class StallGuard:
    def __init__(self):
        self._last_ms = 0
        self.level = 0  # ms lost x _LEAK

    def late(self, now_ms):
        """Book the time since the last call (uptime, ms); True while the budget is spent."""
        gap = now_ms - self._last_ms
        self._last_ms = now_ms
        lv = self.level - gap
        if gap > _LATE_MS:
            lv += (gap - _LATE_MS) * _LEAK
        self.level = lv if lv > 0 else 0
        return lv > _FULL
