"""The World's virtual clock and its timeline: what is due when (scheduled
actions, the watchdog deadline, trace samples, the end of the run), handling
it in time order, and moving the clock forward (sleeps, calls into the chip).

A mixin of `simboard.world.World`, which creates the state used here (`now`,
`events`, `next_due`, `end_us`, `sample_us`, `wdt_deadline`, `halt`, ...).
"""

from simboard.chipdefs import TICKS_MAX, ChipReset, SimEnd


class Timeline:
    def raise_halt(self):
        h = self.halt
        if h is None:
            raise ChipReset("stale", "object from an earlier boot")
        if isinstance(h, SimEnd):
            raise SimEnd("end")
        raise ChipReset(*h.args)

    def _update_due(self):
        nd = self.end_us
        if self.wdt_deadline < nd:
            nd = self.wdt_deadline
        if self.events and self.events[0][0] < nd:
            nd = self.events[0][0]
        if self.sample_us < nd:
            nd = self.sample_us
        self.next_due = nd

    def at(self, t_ms, action, *args):
        """Schedule an action at t_ms (ms since the world started)."""
        if action in ("type", "line"):
            self.console_scripted = True  # (the firmware is given world.ScriptedSerial: runtime.Runner)
        t = int(t_ms * 1000)
        self._ev_seq += 1
        ev = (t, self._ev_seq, action, args)
        evs = self.events
        k = len(evs)
        while k > 0 and (evs[k - 1][0], evs[k - 1][1]) > (t, ev[1]):
            k -= 1
        evs.insert(k, ev)
        self._update_due()

    def set_end(self, seconds):
        self.end_us = int(seconds * 1000000)
        self._update_due()

    def set_sampler(self, every_ms, fn):
        self.sample_every = int(every_ms * 1000)
        self.sampler = fn
        self.sample_us = (self.now // self.sample_every + 1) * self.sample_every
        self._update_due()

    def _due(self):
        """Handle everything due at or before self.now (in time order)."""
        while self.next_due <= self.now:
            t = self.next_due
            saved = self.now
            self.now = t
            if self.wdt_deadline == t:
                self._halt(ChipReset("wdt"))
            if self.end_us == t:
                self.plant.advance(t)
                self.halt = SimEnd("end")
                raise SimEnd("end")
            if self.events and self.events[0][0] == t:
                ev = self.events.pop(0)
                self._update_due()
                self._do(ev[2], ev[3])
                if self.halt is not None:
                    self.raise_halt()
            if self.sample_us == t:
                self.sample_us = t + self.sample_every
                self._update_due()
                if self.sampler is not None:
                    self.sampler(self)
            self._update_due()
            if self.now == t:
                self.now = saved
            if self.interrupt_pending:
                self.interrupt_pending = False
                raise KeyboardInterrupt()

    def run_to(self, target):
        """Move the clock to target, handling everything due on the way."""
        if target < self.now:
            target = self.now
        while self.next_due <= target:
            self.now = self.next_due
            self._due()
        self.now = target

    def tick(self):
        """Cost of one call into the chip."""
        self.now += self.call_us
        if self.now >= self.next_due:
            self._due()

    def sleep_us(self, us):
        extra = self.stall_us
        if extra:
            self.stall_us = 0
        self.run_to(self.now + us + extra)
        if self.pace is not None:
            self.pace(self)

    def ticks_us(self):
        return (self.now - self.tick_origin) & TICKS_MAX

    def ticks_ms(self):
        return ((self.now - self.tick_origin) // 1000) & TICKS_MAX
