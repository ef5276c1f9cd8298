"""Resets of the simulated chip and what happens between two boots: halting
the chip (hardware to its reset state), the soft reset, deep sleep until a
wake source, waiting for power, the idle REPL, and booting the next run with
its reset cause.

A mixin of `simboard.world.World`.
"""

from simboard.chipdefs import (
    DEEPSLEEP_RESET,
    FOREVER,
    HARD_RESET,
    OUT,
    PWRON_RESET,
    SOFT_RESET,
    WDT_RESET,
)


class Resets:
    def _halt(self, exc):
        """The chip stops now; hardware takes its reset state at once."""
        self.plant.advance(self.now)
        self.halt = exc
        self.serial_in = bytearray()  # (the UART's receive buffer is lost with the chip's state)
        c = exc.cause
        if c in ("wdt", "hard", "deepsleep", "power_cut"):
            ext0 = self.ext0
            self._hw_cold()
            if c == "deepsleep":
                self.ext0 = ext0  # the wake source stays armed in the RTC domain
        if c == "power_cut":
            self.plant.powered = False
            self.plant._recompute()
            self.rtc_mem = b""
        if c == "deepsleep":
            self.plant.chip_running = False
        raise exc

    def soft_reset_state(self):
        """What a soft reset does to the hardware (docs/platform.md)."""
        pl = self.plant
        pl.advance(self.now)
        for n in self.pwm:
            self.pmode[n] = OUT
            self.pout[n] = 0
        self.pwm = {}
        if not self.dac_soft_keep:
            self.dac_reg = {}
        self.ext0 = None

    def reboot(self, reason):
        """Called by the runner between boots. reason: ChipReset or 'soft'.

        Waits (advancing the clock) for a deep-sleep wake or a power-on, then
        sets reset_cause for the next boot. May raise SimEnd.
        """
        self.in_repl = False
        self.interrupt_pending = False
        self.soft_reset_requested = False
        if reason == "soft":
            self.halt = None
            self.soft_reset_state()
            self._boot(SOFT_RESET, "soft")
            return
        cause = reason.cause
        self.halt = None
        if cause == "deepsleep":
            self.offline = True
            try:
                self._sleep_until_wake(reason.arg)
            finally:
                self.offline = False
            self._boot(DEEPSLEEP_RESET, "deepsleep")
        elif cause == "power_cut":
            self.offline = True
            try:
                self._wait_power_on()
            finally:
                self.offline = False
            self._boot(PWRON_RESET, "power_on")
        elif cause == "wdt":
            self._boot(WDT_RESET, "wdt")
        else:
            self._boot(HARD_RESET, "hard")

    def reboot_now(self, reason, cause=None):
        """reboot() for a supervisor that did the waiting itself on the wall
        clock (the pty board): no clock movement here. reason: 'soft' or a
        ChipReset; cause overrides the reset_cause of the next boot (the ROM
        loader hands over with PWRON_RESET)."""
        self.in_repl = False
        self.interrupt_pending = False
        self.soft_reset_requested = False
        self.halt = None
        if reason == "soft":
            self.soft_reset_state()
            self._boot(SOFT_RESET, "soft")
            return
        c = reason.cause
        if c == "power_cut":
            for fs in self.flash_fs:
                fs.power_restored()
        names = {DEEPSLEEP_RESET: "deepsleep", PWRON_RESET: "power_on", WDT_RESET: "wdt", HARD_RESET: "hard"}
        if cause is None:
            cause = {"deepsleep": DEEPSLEEP_RESET, "power_cut": PWRON_RESET, "wdt": WDT_RESET}.get(c, HARD_RESET)
        self._boot(cause, names[cause])

    def _boot(self, cause, name):
        self.gen += 1
        self.boot_count += 1
        self.cause = cause
        self.plant.advance(self.now)
        self.plant.break_phase()  # (SR-04 is judged per boot: outputstats.py)
        self.plant.chip_running = True
        self.plant.powered = True
        self.plant._recompute()
        if cause != SOFT_RESET:
            self.tick_origin = self.now
        self.resets.append((self.now // 1000, name))
        self._update_due()

    def _sleep_until_wake(self, ms):
        """Deep sleep: ext0 pin level or timer; events still happen."""
        self.wdt_deadline = FOREVER
        self._update_due()
        t_timer = self.now + ms * 1000 if ms else FOREVER
        ext = self.ext0
        while True:
            if ext is not None:
                tw = self._first_level_time(ext[0], ext[1])
                if tw is not None and tw <= t_timer:
                    self.run_to(tw)
                    self.wake_reason = 2
                    return
            nd = self.next_due
            if t_timer <= nd:
                self.run_to(t_timer)
                self.wake_reason = 4
                return
            self.run_to(nd)

    def _first_level_time(self, n, level):
        """First time >= now at which input pin n reads `level` (buttons only)."""
        if n not in self.btn_tr:
            return None
        tr = self.btn_tr[n]
        pressed = self.btn_state[n]
        k = self.btn_pos[n]
        # the level now
        while k < len(tr) and tr[k][0] <= self.now:
            pressed = tr[k][1]
            k += 1
        want_pressed = 1 if level == 0 else 0
        if pressed == want_pressed:
            return self.now
        while k < len(tr):
            if tr[k][1] == want_pressed:
                return tr[k][0]
            k += 1
        return None

    def _wait_power_on(self):
        while not self.power_on_pending:
            self.run_to(self.next_due)
        self.power_on_pending = False
        for fs in self.flash_fs:
            fs.power_restored()

    def idle_forever(self):
        """The REPL after main.py ended: nothing feeds the watchdog."""
        self.in_repl = True
        while True:
            self.run_to(self.next_due)
            if self.soft_reset_requested:
                return "soft"
