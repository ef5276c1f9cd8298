"""The App: wires the pure core to the board and runs the control loop.

`main(machine, time, esp32)` is what main.py calls. It builds the board,
forces the output off, arms the watchdog before anything can enable the
output (SR-02), and runs `App.run()`, the one loop that feeds the watchdog,
only after `Supervisor.check()` passed on this tick's fresh measurement.

Time inside the core is `uptime` (ms since boot, accumulated from
ticks_diff), so nothing in the core sees the 2**30 wrap of ticks_ms.
"""

import gc

from micropython import const

from wand import VERSION, board, faults
from wand import regulator as reg
from wand import session as ses
from wand import ui as uimod
from wand.atomicfile import OsFs
from wand.buttons import DEBOUNCE_MS, LONG, REPEAT, SHORT, Button
from wand.eventlog import EventLog
from wand.history import History
from wand.regulator import Calibration, Regulator
from wand.safety import Supervisor
from wand.settings import Settings, SettingsError
from wand.waveform import OutputEngine

WDT_TIMEOUT_MS = const(1000)  # SR-02: 1000 ms or less
TICK_MS = const(10)
_BENCH_HOLD_MS = const(1000)
_BENCH_EARLY_MS = const(150)
_DONE_SHOW_MS = const(3000)
_BAT_LOW_TICKS = const(100)
_BAT_CRIT_TICKS = const(5)
_USB_TICKS = const(3)
RESET_NAMES = {1: "power_on", 2: "hard", 3: "watchdog", 4: "deepsleep", 5: "soft"}
_WDT_RESET = const(3)
_PWRON_RESET = const(1)
_SEEN_NOTHING = const(0)  # the output was off at the last sample
_SEEN_ALL = const(1)  # the load took all of the code's current
_SEEN_CAPPED = const(2)  # the load capped it (compliance) or took none (open)
_CAPPED_BELOW = const(1014)  # of 1024: a fraction that flowed above this (99 %) is all of it
_CAPPED_MIN_UA = const(20)  # a code for less than this is taken as flowing whole


class _FirstByte:
    """The serial with the byte that woke the console put back in front."""

    def __init__(self, serial, byte):
        self._serial = serial
        self._byte = byte

    def read_into(self, buf):
        b = self._byte
        if b >= 0:
            self._byte = -1
            buf[0] = b
            return 1
        return self._serial.read_into(buf)

    def write(self, s):
        self._serial.write(s)


class _NoObserver:
    def event(self, now_ms, kind, *args):
        pass


class App:
    def __init__(self, board_, fs=None, serial=None, observer=None):
        self.board = board_
        self.fs = fs if fs is not None else OsFs()
        self.observer = observer if observer is not None else _NoObserver()
        self.settings = Settings(self.fs)
        self.log = EventLog(self.fs)
        self.hist = History(self.fs)
        self.cal = Calibration()
        self.reg = Regulator(self.cal)
        self.engine = OutputEngine()
        self.session = ses.Session(self.engine, self._on_event)
        self.sup = Supervisor(board_, self.cal, 0, self._on_fault)
        self.ui = uimod.Ui()
        self.btn_power = Button(long_ms=1500)
        self.btn_level = Button(long_ms=800, repeat_ms=600)
        self.bench = False
        self.reset_cause = 0
        self.now = 0  # uptime, ms
        self._last_us = 0
        self._us_ms = 0  # µs not yet counted into `now`
        self._us_du = 0  # µs not yet booked by the engine (100 µs units)
        self.usb = False
        self.battery_mv = 0
        self.battery_low = False
        self._bat_avg16 = 0
        self._bat_low_n = 0
        self._bat_crit_n = 0
        self._bat_div = int(board.VBAT_DIVIDER * 1000 + 0.5)  # µV per mV of battery
        self._usb_n = 0
        self._seen_prev = _SEEN_NOTHING  # what the last sample showed of the load
        self._ua_prev = 0  # and the µA it measured
        self._bench_until = -1
        self._bench_candidate = False
        self._last_activity = 0
        self._done_ms = 0
        self._usb_refused_until = -1
        self._faults = []
        self._restoring = False
        self._dirty = {}  # settings changed by buttons during a session, saved after it
        self._sleep_when_done = False
        # The console is loaded on demand: a standalone session on battery has
        # nobody on the USB serial, and the console's code is a fifth of the
        # firmware's RAM. One byte is read per tick until someone types.
        self.serial = serial
        self.console = None
        self._peek = bytearray(1)
        self._cal = None  # the Diagnostics running a calibration
        self._target = None

    # --- boot ---------------------------------------------------------------
    def boot(self):
        b = self.board
        self._last_us = b.ticks_us()
        self.now = 0
        self.reset_cause = b.reset_cause()
        try:
            self.log.open()
        except (OSError, MemoryError):
            pass  # the log is bounded and its reads too; a failing flash never stops the wand
        self.hist.open(self.log.boot)
        problems = self.settings.load()
        self._apply_settings()
        self._log(0, "boot", RESET_NAMES.get(self.reset_cause, self.reset_cause), VERSION)
        if problems:
            self._log(0, "settings_invalid", ",".join(problems))
        bat_uv = b.read_battery_uv()
        self.battery_mv = bat_uv // self._bat_div
        self._bat_avg16 = self.battery_mv * 16
        # SR-12: a latched fault survives every reset but a power cycle, and a
        # watchdog reset comes back up in the fault state. (Before the boot
        # check: a fault that check finds now is stored, and must survive the
        # next reset, not be erased as the power cycle's.)
        stored = b.stored_fault()
        if self.reset_cause == _PWRON_RESET:
            if stored:
                b.store_fault(0)  # a power cycle is a deliberate act: cleared
        elif stored:
            self._restoring = True
            self.sup.trip(0, stored)
            self._restoring = False
        if self.reset_cause == _WDT_RESET:
            self.sup.trip(0, faults.WATCHDOG)
        # SR-08: with the output off, the sense must read near zero.
        self.sup.boot_check(0, b.read_current_uv())
        # SR-12: a power button already held when the chip came up (held to
        # stop a session when the watchdog reset it, or to wake it) is not a
        # press: it must be released first, or it could clear a latched fault.
        if b.buttons() & 1:
            self.btn_power.pressed = True
            self.btn_power.ignore_until_release()
        # SR-09: bench mode needs the level button held at power-up: pressed
        # within the first 150 ms and still held (debounced) at 1 s.
        self._bench_until = _BENCH_HOLD_MS
        self._bench_candidate = False


    def _apply_settings(self):
        s = self.settings.values
        self.cal.gain_na = s["cal_gain_na"]
        self.cal.offset_na = s["cal_offset_na"]
        self.cal.sense_offset_uv = s["cal_sense_offset_uv"]
        self.cal.sense_uv_per_ua = s["cal_sense_uv_per_ua"]
        self.sup.set_user_max(s["user_max_ua"])
        self.session.configure(s["program"], s["level"], self.sup.limit_ua, s["session_min"], s["cue_s"])
        self.ui.muted = s["mute"]

    # --- events ---------------------------------------------------------------
    def _log(self, now_ms, kind, a=None, b=None):
        try:
            self.log.append(now_ms, kind, a, b)
        except OSError:
            pass  # a full or failing flash never stops the loop

    def _on_event(self, now_ms, kind, a=None, b=None):
        self.hist.event(now_ms, kind, a, b)
        obs = self.observer
        if a is None:
            obs.event(now_ms, kind)
        elif b is None:
            obs.event(now_ms, kind, a)
        else:
            obs.event(now_ms, kind, a, b)
        ui = self.ui
        if kind == "session_start":
            ui.play(now_ms, uimod.TONE_START)
            self._log(now_ms, kind, a, b)
        elif kind == "session_end":
            if a != ses.END_FAULT:
                ui.play(now_ms, uimod.TONE_END)
            self._done_ms = now_ms
            self._log(now_ms, kind, a, b)
        elif kind == "level":
            ui.play(now_ms, uimod.TONE_LEVEL)
        elif kind == "cue":
            ui.play(now_ms, uimod.TONE_CUE)
        elif kind == "contact_lost":
            ui.play(now_ms, uimod.TONE_CONTACT_LOST)
            self._log(now_ms, kind)
        elif kind == "contact_back":
            self._log(now_ms, kind)

    def _on_fault(self, now_ms, code):
        if not self._restoring:
            self.board.store_fault(code)
        rec = {"t_ms": now_ms, "code": code, "name": faults.name(code), "boot": self.log.boot}
        hist = self._faults
        hist.append(rec)
        if len(hist) > 16:
            hist.pop(0)
        # a fault restored from RTC memory at boot is the old one, still latched (SR-12): not a new one
        self._log(now_ms, "fault_latched" if self._restoring else "fault", code, faults.name(code))
        self.observer.event(now_ms, "fault", code, faults.name(code))
        self.session.fault(now_ms, ses.END_USB if code == faults.USB_POWER else ses.END_FAULT)
        self.ui.play(now_ms, uimod.TONE_FAULT)
        self.btn_power.ignore_until_release()  # SR-12: the press going on is no acknowledgement

    # --- the control tick -----------------------------------------------------------
    def tick(self):
        """One control tick. Returns True when the watchdog may be fed."""
        b = self.board
        t = b.ticks_us()
        us = b.ticks_diff(t, self._last_us)
        self._last_us = t
        acc = self._us_ms + us
        elapsed = acc // 1000
        self._us_ms = acc - elapsed * 1000
        self.now += elapsed
        now = self.now
        acc = self._us_du + us
        elapsed_du = acc // 100
        self._us_du = acc - elapsed_du * 100
        sup = self.sup
        rg = self.reg
        session = self.session
        # 1. fresh measurement of the output written last tick
        i_uv = b.read_current_uv()
        rg.measure(i_uv, b.read_vload_uv())
        rg.target_ua = session.level_target_ua() if session.active() else 0
        expected = sup.expected_ua()
        load = rg.update(expected)
        self.hist.step(elapsed, rg.measured_ua, sup.polarity, rg.load_ohms)  # session history
        # 2. safety check (SR-01, SR-08)
        ok = sup.check(now, i_uv, rg.measured_ua, load == reg.LOAD_OK)
        # Book what flowed (SR-04), as a fraction of this code's current
        # (1024 = all). At this sample, the end of the interval, f: none into
        # an open load, what the stage can drive into a load in compliance.
        # At its start, f0, what the last sample showed of the load: a load
        # that capped the current at C µA takes min(code, C); one that took
        # all of m µA takes at least min(code, m), and is taken as unchanged
        # above that. The mean of the two (the trapezoid) books a load that
        # changed within the interval (a lift, contact back, a lift too short
        # for any tick to declare) with at most half a tick of charge of error
        # either way, zero on average, paid or left when contact returns.
        code = sup.code
        f = 1024
        f0 = 1024
        if code and expected > 0:
            m = rg.measured_ua
            if m < 0:
                m = 0
            trim = rg.flow_ratio
            capped = not rg.flowing or load == reg.LOAD_COMPLIANCE or load == reg.LOAD_OPEN
            if not rg.flowing and expected < _CAPPED_MIN_UA:
                f = 0  # an open load at a code too small for the sense: none flowed
                m = 0
            elif capped:
                f = m * trim // expected
                if f >= _CAPPED_BELOW or (rg.flowing and expected < _CAPPED_MIN_UA):
                    # all of it, or a code too small for the sense to tell
                    f = 1024
                    capped = False
            seen = self._seen_prev
            if seen == _SEEN_NOTHING:
                f0 = f  # the output was off: nothing known of the start
            else:
                f0 = self._ua_prev * trim // expected
                if f0 > 1024:
                    f0 = 1024
                if seen == _SEEN_ALL and f0 < f:
                    f0 = f
            self._seen_prev = _SEEN_CAPPED if capped else _SEEN_ALL
            self._ua_prev = m
        else:
            self._seen_prev = _SEEN_NOTHING
        self.engine.account(elapsed_du, code, (f + f0) >> 1)
        if load == reg.LOAD_SHORT and sup.output_on:
            sup.trip(now, faults.SHORT)  # SR-06
        self._power(now, b)
        # 3. user input, session, output
        self._buttons(now, b.buttons())
        if self._cal is not None:
            self._cal.step(now)
        else:
            session.step(now, elapsed, load)
            ua = session.amp_ua()
            if rg.trim < 1024:
                # SR-01: a trim that lowers the code (stage gain high) leaves the
                # clamp slack and trusts the sense, whose ADC gain is +-1 %: aim
                # at most 98 % of the limit then
                cap = sup.limit_ua * 98 // 100
                if ua > cap:
                    ua = cap
            code = sup.clamp_code(rg.code_for(ua))
            eng = self.engine
            eng.step(code)
            code = eng.code
            pol = eng.polarity
            # SR-08: probe in either half (the sense reads |I| ahead of the
            # bridge; the dip is booked, so the engine pays it back), on a
            # code held from the last tick, never on a rising or falling
            # positive half (a dip on a ramp reads as a steeper ramp, SR-05);
            # a continuous negative half is flat at its plan's rate even
            # while the envelope ramps, so it is probed then too (a sense
            # frozen in the negative half of the start ramp went 761 ms
            # unseen; a pulse train's pulses are judged at each onset by the
            # follow check instead: a probe there steps the pulses, SR-05)
            d = code - sup.code  # (a negative half's rate moves by one code)
            # (never on the first tick of a phase of several: a reversal holds
            # the DAC at 0 for a few tens of µs that no tick books, alike in both
            # phases only if both start on their steady code; a dip there made
            # every cycle lopsided by the gap times 4 codes, 0.28 µC a minute on
            # `tone`)
            steady = (load == reg.LOAD_OK and pol != 0 and sup.output_on and -1 <= d <= 1
                      and (not session.ramping() or not eng.in_positive_half() and eng.multi_tick_halves())
                      and eng.probe_ok() and not eng.at_reversal())
            c0 = sup.code * sup.polarity  # what flowed until apply() changed it
            sup.apply(sup.probe(code, steady), pol, eng.running)
            # SR-04: the ticks book each code from one tick's start to the next,
            # but the last code flowed on until t_off, nothing between t_off and
            # t_on (a reversal's break-before-make), and this one from t_on:
            # the difference is booked now, to the microsecond.
            # (Only in continuous halves of several ticks: in the 100 Hz
            # program's one-tick halves both start alike, so the offsets cancel,
            # and a one-tick plan could not pay a correction booked after it;
            # in a pulse train the gates move the output inside a half, and
            # the correction upset its end ramp: 268 uA/s, fuzz seed 2058034038.)
            c1 = sup.code * sup.polarity
            if (c0 or c1) and eng.multi_tick_halves():
                eng.shift_us(c0 * b.ticks_diff(sup.t_off, t) - c1 * b.ticks_diff(sup.t_on, t))
        # 4. feedback, console
        self._feedback(now)
        con = self.console
        if con is not None:
            con.poll(now)
        elif self.serial is not None and (self.bench or not session.active()) \
                and self.serial.read_into(self._peek):
            # (not during a standalone session: loading takes a while)
            self.open_console(self._peek[0]).poll(now)
        return ok

    def open_console(self, first_byte=-1):
        """Load the console (first_byte: one already read from the serial)."""
        if self.console is None:
            from wand.console import Console

            self.console = Console(self.target(), _FirstByte(self.serial, first_byte))
        return self.console

    def target(self):
        """The console's view of the wand (wand.diag), loaded with the console."""
        t = self._target
        if t is None:
            from wand.diag import Diagnostics

            t = self._target = Diagnostics(self)
        return t

    def period_ms(self):
        return self.session.tick_ms if self.session.active() else TICK_MS

    def run(self):
        """The main control loop: the only place the watchdog is fed (SR-02)."""
        b = self.board
        deadline = b.ticks_us()
        while True:
            try:
                ok = self.tick()
            except Exception as e:  # noqa: BLE001 - nothing may escape the loop
                self.sup.trip(self.now, faults.INTERNAL)
                self._log(self.now, "exception", type(e).__name__)
                ok = False  # no fresh passing check this tick (SR-02)
            if ok:
                b.feed_watchdog()
            if self._idle_expired():
                self._log(self.now, "auto_off")
                b.deepsleep()
            deadline = b.ticks_add(deadline, self.period_ms() * 1000)
            if b.ticks_diff(deadline, b.ticks_us()) < 0:
                deadline = b.ticks_us()  # overran: do not try to catch up
            b.sleep_until_us(deadline)

    # --- power: battery and USB (SR-09) ------------------------------------------------
    def _power(self, now, b):
        mv = b.read_battery_uv() // self._bat_div
        self._bat_avg16 += mv - (self._bat_avg16 >> 4)
        bat = self._bat_avg16 >> 4
        self.battery_mv = bat
        # USB: an up/down count of the readings, 0.._USB_TICKS. Present after
        # _USB_TICKS more present readings than absent ones, gone only once it
        # is back at 0: a connector flapping faster than any debounce still
        # reads as present, never as a stream of restarts (SR-09).
        n = self._usb_n
        if b.usb_present():
            if n < _USB_TICKS:
                n += 1
        elif n > 0:
            n -= 1
        self._usb_n = n
        usb_now = self.usb
        if n >= _USB_TICKS:
            usb_now = True
        elif n == 0:
            usb_now = False
        if usb_now != self.usb:
            self.usb = usb_now
            self._log(now, "usb", "on" if usb_now else "off")
            self.observer.event(now, "usb", "on" if usb_now else "off")
        session = self.session
        if self.usb and not self.bench and session.active() and not self.sup.fault:
            self.sup.trip(now, faults.USB_POWER)  # SR-09: cut at once, not a ramp
        if self.usb:
            self._bat_crit_n = self._bat_low_n = 0
            self.battery_low = False
            return
        if mv < board.BAT_CRITICAL_MV:  # raw readings: cut at once (SR-09)
            self._bat_crit_n += 1
            if self._bat_crit_n >= _BAT_CRIT_TICKS and not self.sup.fault:
                self.sup.trip(now, faults.BATTERY_CRITICAL)
        else:
            self._bat_crit_n = 0
        if bat < board.BAT_LOW_MV:
            self._bat_low_n += 1
            if self._bat_low_n >= _BAT_LOW_TICKS and not self.battery_low:
                self.battery_low = True
                self._log(now, "battery_low", bat)
                self.observer.event(now, "battery_low", bat)
        else:
            self._bat_low_n = 0
        if self.battery_low and session.active() and session.state != ses.RAMP_DOWN:
            session.stop(now, ses.END_BATTERY)

    # --- buttons and gestures -------------------------------------------------------
    def _buttons(self, now, bits):
        p = self.btn_power.check(now, (bits & 1) != 0)
        lv = self.btn_level.check(now, (bits & 2) != 0)
        if self._bench_until >= 0:
            lv = self._bench_window(now, bits)
        if p == SHORT or p == LONG or lv == SHORT or lv == LONG:
            self._last_activity = now  # (not a repeat: a stuck button keeps nobody awake)
        session = self.session
        st = session.state
        if p == SHORT:
            if st == ses.FAULT:
                pass
            elif st == ses.IDLE or st == ses.DONE:
                self.start_session(now)
            else:
                session.toggle_hold(now)
        elif p == LONG:
            if st == ses.FAULT:
                # SR-12: only a press begun after the fault acknowledges it. A
                # press already going on (held to stop the session, or through
                # the boot, where its chatter can hide it from the first read)
                # must be released first.
                if self.btn_power._down_ms - self.sup.fault_ms >= DEBOUNCE_MS:
                    self._clear_fault(now, "button")
            elif session.active():
                session.stop(now, ses.END_BUTTON)
            else:
                self._log(now, "power_off")
                self.board.deepsleep()
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
                self.ui.muted = not self.ui.muted
                self._save_quiet("mute", self.ui.muted)
                self.ui.play(now, uimod.TONE_CLICK)

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
                self.bench = True
                bl.ignore_until_release()  # letting go is not a level press
                self._log(now, "bench", "on")
                self.observer.event(now, "bench", "on")
        return 0  # no level gestures during the window

    def _save_quiet(self, name, value):
        """Remember a button's setting; written when no session runs (a flash
        write can take longer than a tick)."""
        self._dirty[name] = value
        if not self.session.active():
            self._flush_settings()

    def _flush_settings(self):
        for name in self._dirty:
            try:
                self.settings.set(name, self._dirty[name])
            except (OSError, SettingsError):
                pass
        self._dirty = {}

    def start_session(self, now):
        """Start if SR-09 allows it (no USB power unless bench mode; battery not low)."""
        if self.sup.fault:
            return "fault latched: acknowledge it first"
        if self.usb and not self.bench:
            self.ui.play(now, uimod.TONE_REFUSED)
            self._usb_refused_until = now + 3000
            self._log(now, "usb_refused")
            self.observer.event(now, "usb_refused")
            return "refused: USB power present (unplug, or use bench mode)"
        if self.battery_low:
            self.ui.play(now, uimod.TONE_REFUSED)
            return "refused: battery low"
        self._apply_settings()
        self.reg.reset()
        # A collection now, with the output still off: a steady tick allocates
        # nothing, so the few bytes a session's events take cannot fill the heap
        # and start a collection (a few ms on the ESP32) inside a phase.
        gc.collect()
        if not self.session.start(now):
            return "a session is already running"
        return None

    def _clear_fault(self, now, how):
        if not self.sup.fault:
            return
        code = self.sup.fault
        self.sup.clear()
        self.board.store_fault(0)
        self.session.fault_cleared(now)
        self._log(now, "fault_cleared", code, how)
        self.observer.event(now, "fault_cleared", code, how)

    def _idle_expired(self):
        """SR-07: off after idling; a session, the done display and a
        calibration count as activity, so idling starts when they end. A
        session paused (hold, or no contact) for the idle time is ended first."""
        s = self.session
        now = self.now
        if self._dirty and not s.active():
            self._flush_settings()
        paused = s.state == ses.HOLD or s.state == ses.NO_CONTACT
        if self.bench or (s.active() and not paused) or self._cal is not None:
            self._last_activity = now
            return False
        if s.state == ses.DONE:
            if self._sleep_when_done:
                self._sleep_when_done = False
                return True
            self._last_activity = now
            return False
        limit = self.settings.values["idle_off_s"] * 1000
        if now - self._last_activity < limit:
            return False
        if paused:
            s.stop(now, ses.END_IDLE)
            self._sleep_when_done = True
            return False
        return True

    # --- feedback ---------------------------------------------------------------------
    def _feedback(self, now):
        s = self.session
        st = s.state
        if st == ses.DONE and now - self._done_ms >= _DONE_SHOW_MS:
            s.state = ses.IDLE
            self.observer.event(now, "state", "idle")
        if self.sup.fault:
            mode = uimod.LED_FAULT
        elif now < self._usb_refused_until:
            mode = uimod.LED_USB_REFUSED
        elif st == ses.NO_CONTACT:
            mode = uimod.LED_NO_CONTACT
        elif st == ses.HOLD:
            mode = uimod.LED_HOLD
        elif st == ses.RAMP_UP or st == ses.RAMP_DOWN or (st == ses.RUNNING and s.ramping()):
            mode = uimod.LED_RAMP
        elif st == ses.RUNNING:
            mode = uimod.LED_RUN
        else:
            mode = uimod.LED_IDLE
        ui = self.ui
        ui.step(now, mode, s.level, self.sup.fault, self.battery_low, self.bench)
        b = self.board
        b.set_leds(ui.green, ui.red)
        b.set_tone(ui.tone_hz)

def leave(b, app, reason):
    """The one way out of the firmware (Klipper's shutdown): output off and
    locked, watchdog relaxed, LEDs and tone off, the reason logged; then a hard reset for
    "reboot", else back to the caller, which returns to the plain REPL with no
    reset (mpremote's Ctrl-A follows at once). A Ctrl-C landing while this runs
    starts the steps again; output_off() is always the first one. Whatever
    enables the output again must re-arm the 1000 ms watchdog first (SR-02):
    Esp32Board.set_enable refuses until arm_watchdog()."""
    while True:
        try:
            b.relax_watchdog()  # output off, locked, then the watchdog relaxed
            b.set_leds(0, 0)  # no stale "running" pattern, no tone left on at the REPL
            b.set_tone(0)
            if app is not None:
                app._log(app.now, "leave", reason)
                app.observer.event(app.now, "leave", reason)
            break
        except KeyboardInterrupt:
            pass
    if reason == "reboot":
        b.hard_reset()
    print("microwand: %s: output off and locked, watchdog relaxed; plain REPL (Ctrl-D restarts)" % reason)


def main(machine, time, esp32=None, observer=None, serial=None, fs=None, dac=None):
    """Entry point from main.py (the simulated board calls it the same way)."""
    from wand.hal import Esp32Board, Leave

    try:
        b = Esp32Board(machine, time, esp32, dac=dac)
    except OSError:
        # After a soft reset ESP-IDF still holds the DAC channel, so boot.py
        # could not make one. Enable and legs are low (boot.py): a hard reset
        # frees the channel and starts the wand cleanly.
        print("microwand: the DAC is still held from before the soft reset: hard reset")
        machine.reset()
        return None
    b.output_off()
    b.arm_watchdog(WDT_TIMEOUT_MS)  # SR-02: armed before the output can be enabled
    if serial is None:
        from wand.usbserial import UsbSerial

        serial = UsbSerial()
    app = App(b, fs, serial, observer)
    try:
        app.boot()
        app.run()
    except Leave as e:  # console `repl` / `reboot`
        leave(b, app, e.args[0])
    except KeyboardInterrupt:  # Ctrl-C (mpremote)
        leave(b, app, "interrupted")
    except Exception:  # escaped the loop's own guard (boot): off, then the traceback
        leave(b, app, "exception")
        raise
    return app
