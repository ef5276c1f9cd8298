"""SR-02, SR-07: a loop that keeps stalling under the watchdog's timeout is broken.

The watchdog resets a loop stuck for 1000 ms. A loop that stalls for less, again
and again, or runs slow on every tick, is never reset; yet no check runs inside a
stall, the output holds its code through it, and each stall stretches a ramp (a
step is capped at two ticks' worth, SR-05) and is paid back while the envelope
waits, so a session ends late and past 3 s late drops what is owed as DC: 22
stalls of 950 ms, one every 2 s, in a 20-minute session's last minute gave 1202.4
s of current; `smooth` ticks of 17 ms instead of 5 over a session's end left 266
uC of DC (red team rt5). The guard keeps a leaky bucket of the time the loop lost
beyond two of the program's ticks while the output was on: each late tick fills
it, it drains at 1/30 of the loop's time (2 s a minute), and past BUDGET_MS the
loop is broken: the Supervisor trips LOOP_STALL. Two stalls of 950 ms pass, a
third within about 20 s does not; `smooth` at 17 ms a tick trips in about 5 s.
An acknowledged fault empties it (`forget()`).
"""

from micropython import const

BUDGET_MS = const(2000)
_LEAK = const(30)  # the bucket drains 1 ms per 30 ms of loop time
_FULL = const(BUDGET_MS * _LEAK)  # the bucket's level is in ms x _LEAK


class StallGuard:
    def __init__(self):
        self._last_ms = 0
        self.level = 0  # ms lost x _LEAK

    def late(self, now_ms, tick_ms, on):
        """Book the time since the last call (uptime, ms), lost beyond two ticks of tick_ms while the output
        was on; True while it is on and the budget is spent."""
        gap = now_ms - self._last_ms
        self._last_ms = now_ms
        lv = self.level - gap
        if on and gap > tick_ms + tick_ms:
            lv += (gap - tick_ms - tick_ms) * _LEAK
        self.level = lv if lv > 0 else 0
        return on and lv > _FULL

    def forget(self):
        """Empty the bucket (the fault was acknowledged: a deliberate act)."""
        self.level = 0
