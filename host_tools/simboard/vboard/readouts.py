"""What the board shows a test: the chip's state read from the World, the true output, the boots."""

from __future__ import annotations

import time

from simboard.vboard.chiplink import WORLD_LOCK
from simboard.vboard.errors import VirtualBoardError


class ReadoutsMixin:
    """The chip's state, read from the World."""

    @property
    def pins(self) -> dict[int, int]:
        """Levels of the pins configured as outputs (empty after a hard reset)."""
        with WORLD_LOCK:
            w = self.world
            return {n: w.pout[n] for n in range(40) if w.pmode[n] in (3, 7) and n not in w.pwm}

    @property
    def dac(self) -> dict[int, int]:
        with WORLD_LOCK:
            pl = self.world.plant
            return {self.world.pin_dac: pl.dac_code} if pl.dac_on else {}

    @property
    def rtc(self) -> bytes:
        return bytes(self.world.rtc_mem)

    @property
    def wdt_ms(self) -> int:
        w = self.world
        return w.wdt_timeout // 1000 if w.wdt_on else 0

    @property
    def reset_cause(self) -> int:
        return self.world.cause

    def load_current_ua(self) -> float:
        """The true current through the load now (µA, signed), from the plant."""
        return self._call(lambda: self._true("load_current") * 1e6)

    def stats(self) -> dict:
        """simboard's true-output accounting since the board started."""
        return self._call(lambda: self._true("stats"))

    def _true(self, what):
        self._advance()
        with WORLD_LOCK:
            return getattr(self.world, what)()

    @property
    def in_bootloader(self) -> bool:
        return self._rom is not None

    @property
    def running(self) -> bool:
        return self._child is not None and self._child.poll() is None

    def wait_boots(self, count: int, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while len(self.resets) < count:
            if time.monotonic() > end:
                raise VirtualBoardError("the board booted %d times, expected %d" % (len(self.resets), count))
            time.sleep(0.02)
