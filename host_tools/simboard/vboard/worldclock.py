"""The World on the wall clock: simboard's chip and plant brought up to real time.

The pty board runs in real time, so the World (watchdog, scheduled releases,
the plant) is advanced to the wall clock before every chip-link call and on
every turn of the board thread. The host's CPU starvation (run-queue delay of
the interpreter and the board thread) moves the watchdog's deadline, as time a
real chip never loses.
"""

from __future__ import annotations

import time

from simboard.vboard.chiplink import WORLD_LOCK
from simboard.world import ChipReset


def runqueue_ns(path: str) -> int:
    """Time (ns) a task waited on a run queue (2nd field of /proc/.../schedstat); 0 if unknown."""
    try:
        with open(path) as f:
            return int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0


class WorldClockMixin:
    """The World's time: the wall clock, the starvation credit, the next due event, ext0."""

    def _wall_us(self) -> int:
        return int((time.monotonic() - self._t0) * 1e6)

    def _starved_us(self) -> int:
        """How much longer the host kept the firmware's interpreter and this board thread waiting
        for a CPU (run-queue delay, /proc/<pid>/schedstat) since the last call: time a real
        chip never loses. The watchdog's deadline moves by it (see _advance), so a busy host
        slows the firmware down instead of firing its watchdog; the plant stays on the wall
        clock, as the firmware's own clock is."""
        now = time.monotonic()
        if now - self._lag_read_at < 0.002:
            return 0
        self._lag_read_at = now
        child = self._child
        lag = self._lag_base_ns
        if child is not None:
            lag += runqueue_ns("/proc/%d/schedstat" % child.pid)
        if self._thread_schedstat:
            lag += runqueue_ns(self._thread_schedstat) - self._thread_lag0
        delta = lag - self._lag_ns
        if delta <= 0:
            return 0
        self._lag_ns = lag
        return delta // 1000

    def _world_due(self) -> float | None:
        """Wall time of the World's next due event (watchdog, scheduled release), if any."""
        nd = self.world.next_due
        if nd >= 1 << 61 or not self._powered or self._rom is not None:
            return None
        return self._t0 + nd / 1e6

    def _advance(self) -> None:
        """Bring the World up to the wall clock; a reset it raises (watchdog) resets the chip."""
        with WORLD_LOCK:
            w = self.world
            halted = w.halt is not None
            starved = self._starved_us()
            if starved and w.wdt_on and w.wdt_deadline < 1 << 61:
                w.wdt_deadline += starved
                w._update_due()
            try:
                w.run_to(self._wall_us())
            except ChipReset as e:
                if not halted:
                    self._chip_reset(e)

    def _ext0_level(self) -> bool:
        with WORLD_LOCK:
            ext = self.world.ext0
            if ext is None:
                return False
            t = self.world._first_level_time(ext[0], ext[1])
            return t is not None and t <= self.world.now
