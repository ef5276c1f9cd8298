"""The two buttons: gestures, the bench window at power-up, and what each
gesture does in each state (the user's side of SR-09 and SR-12).

`Controls(app)` is built by the App and called once a tick with the raw
button bits; the debounce and gesture timing are in buttons.py.
"""

from micropython import const

from wand import faults
from wand import session as ses
from wand import ui as uimod
from wand.buttons import DEBOUNCE_MS, LONG, REPEAT, SHORT, Button
from wand.settings import SettingsError

_BENCH_HOLD_MS = const(1000)
_BENCH_EARLY_MS = const(150)


class Controls:
    def __init__(self, app):
        self.app = app
        self.btn_power = Button(long_ms=1500)
        self.btn_level = Button(long_ms=800, repeat_ms=600)
        self._bench_until = -1
        self._bench_candidate = False
        self._last_activity = 0  # uptime of the last press (SR-07's idle auto-off)
        self._idle_kept_s = -1  # the idle seconds last kept in RTC memory (-1: written at the first look, review)
        self._sleep_when_done = False
        self._dirty = {}  # settings changed by buttons during a session, saved after it

    def boot(self, bits):
        """At power-up, with the buttons as they are now."""
        # SR-12: a power button already held when the chip came up (held to
        # stop a session when the watchdog reset it, or to wake it) is not a
        # press: it must be released first, or it could clear a latched fault.
        if bits & 1:
            self.btn_power.pressed = True
            self.btn_power.ignore_until_release()
        # SR-09: bench mode needs the level button held at power-up: pressed
        # within the first 150 ms and still held (debounced) at 1 s. Power-up
        # is power applied or a wake from sleep, never a watchdog or soft reset
        # (the button held to step the level down through one: USB power
        # allowed and no idle auto-off, red team rt6).
        power_up = self.app.reset_cause in (faults.PWRON_RESET, faults.DEEPSLEEP_RESET)
        self._bench_until = _BENCH_HOLD_MS if power_up else -1
        self._bench_candidate = False

    def resume_idle(self, idle_ms):
        """SR-07: after a watchdog reset, which is not activity, idling goes on
        from what was idled before it (the board's stored_idle_ms: a loop that
        stalls again and again idled off 41 s after the last press, 30 s
        asked: fuzz round 49)."""
        self._last_activity = -idle_ms

    def _keep_idle(self, now):
        # rounded up, never under what was idled (rounded down, each reset of a loop stalling every 2 s lost up
        # to a second: 58 s awake for 30, review); once a second while idling, at once on activity
        s = (now - self._last_activity + 999) // 1000
        if s != self._idle_kept_s:
            self._idle_kept_s = s
            self.app.board.store_idle_s(s)

    def step(self, now, bits):
        app = self.app
        p = self.btn_power.check(now, (bits & 1) != 0)
        lv = self.btn_level.check(now, (bits & 2) != 0)
        if self._bench_until >= 0:
            lv = self._bench_window(now, bits)
        if p == SHORT or p == LONG or lv == SHORT or lv == LONG:
            self._last_activity = now  # (not a repeat: a stuck button keeps nobody awake)
        session = app.session
        st = session.state
        if p == SHORT:
            if st == ses.FAULT:
                pass
            elif st == ses.IDLE or st == ses.DONE:
                app.start_session(now)
            else:
                session.toggle_hold(now)
        elif p == LONG:
            if st == ses.FAULT:
                # SR-12: only a press begun after the fault acknowledges it. A
                # press already going on (held to stop the session, or through
                # the boot, where its chatter can hide it from the first read)
                # must be released first.
                bp = self.btn_power
                if bp.pressed and bp.down_ms - app.sup.fault_ms >= DEBOUNCE_MS:  # (held: not told by its release)
                    app.clear_fault(now, "button")
            elif session.active():
                session.stop(now, ses.END_BUTTON)
            elif app.calibrating is not None:
                app.calibrating.abort()  # down to zero at its ramp's rate (SR-05), then off
            else:
                app.board.leave("power_off")  # deep sleep, by the one way out (wand.entry.leave)
        if lv == SHORT:
            if session.active():
                session.change_level(now, 1)
                self._save_quiet("level", session.level)
            elif st != ses.FAULT:
                session.next_program(now)
                self._save_quiet("program", session.program[0])
        elif lv == LONG or lv == REPEAT:
            if session.active():
                session.change_level(now, -1)
                self._save_quiet("level", session.level)
            elif lv == LONG and st != ses.FAULT:
                ui = app.ui
                ui.muted = not ui.muted
                self._save_quiet("mute", ui.muted)
                ui.play(now, uimod.TONE_CLICK)

    def _save_quiet(self, name, value):
        """Remember a button's setting; written when no session runs (a flash
        write can take longer than a tick)."""
        self._dirty[name] = value
        if not self.app.session.active():
            self._flush_settings()

    def _flush_settings(self):
        for name in self._dirty:
            try:
                self.app.settings.set(name, self._dirty[name])
            except (OSError, SettingsError):
                pass
        self._dirty = {}

    def _bench_window(self, now, bits):
        """The first second after power-up: is the level button being held?"""
        bl = self.btn_level
        if now <= _BENCH_EARLY_MS:
            if bits & 2:
                self._bench_candidate = True
        elif not bl.pressed:
            self._bench_candidate = False
        if now >= self._bench_until:
            self._bench_until = -1
            if self._bench_candidate:
                app = self.app
                app.bench = True
                bl.ignore_until_release()  # letting go is not a level press
                app.note(now, "bench", "on")
        return 0  # no level gestures during the window

    def idle_expired(self):
        """SR-07: off after idling; a session, the done display and a
        calibration count as activity, so idling starts when they end. A
        session paused (hold, or no contact) for the idle time is ended first."""
        expired = self._idle_expired()
        self._keep_idle(self.app.now)
        return expired

    def _idle_expired(self):
        app = self.app
        s = app.session
        now = app.now
        if self._dirty and not s.active():
            self._flush_settings()
        paused = s.state == ses.HOLD or s.state == ses.NO_CONTACT
        if app.bench or (s.active() and not paused) or app.calibrating is not None:
            self._last_activity = now
            return False
        if s.state == ses.DONE:
            if self._sleep_when_done:
                self._sleep_when_done = False
                return True
            # idling starts when current last flowed, not when the session
            # ended: after a stop while lifted, the 10 s wait for contact and
            # the done display made it 13 s late (red team rt3)
            if s.flow_ms > self._last_activity:
                self._last_activity = s.flow_ms
            return False
        limit = app.settings.values["idle_off_s"] * 1000
        if now - self._last_activity < limit:
            return False
        if paused:
            s.stop(now, ses.END_IDLE)
            self._sleep_when_done = True
            return False
        return True
