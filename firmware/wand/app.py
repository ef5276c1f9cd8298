"""The App: wires the pure core to the board and runs the control loop.

`App.run()` is the one loop that feeds the watchdog, only after
`Supervisor.check()` passed on this tick's fresh measurement (SR-02);
wand.entry builds the board, arms the watchdog and is the one way out.
Time inside the core is `uptime` (ms since boot, accumulated from
ticks_diff), so nothing in the core sees the 2**30 wrap of ticks_ms.

What the App's parts (wand.controls, wand.entry, the diagnostics wand.diag*)
may use of it, and nothing else: its components board, settings, cal (the
stored calibration coefficients), reg, sup, session, ui, power, log (the
event log: tail()), hist (the session history: records()); the fields
now, bench, reset_cause, fault_records and calibrating (the calibration
procedure running, or None: wand.diag_cal sets and ends it); the methods
note() (log and observer), log_event(), apply_settings(), start_session(),
clear_fault(), output_off(); boot(), run().
"""

import gc

from micropython import const

from wand import VERSION, faults, output, power, programs, safety
from wand import regulator as reg
from wand import session as ses
from wand import ui as uimod
from wand.atomicfile import OsFs
from wand.controls import Controls
from wand.eventlog import EventLog
from wand.history import History
from wand.regulator import Calibration, Regulator
from wand.safety import Supervisor
from wand.settings import INT_FIELDS, Settings
from wand.waveform import OutputEngine

TICK_MS = const(10)
_DONE_SHOW_MS = const(3000)
_ZERO_READS = const(32)  # load-voltage readings averaged for its zero at boot


class App:
    def __init__(self, board_, fs=None, serial=None, observer=None):
        self.board = board_
        self.fs = fs if fs is not None else OsFs()
        self.observer = observer  # the simulator's (events: note()); None on the wand
        self.settings = Settings(self.fs)
        self.log = EventLog(self.fs)
        self.hist = History(self.fs)
        self.cal = Calibration()
        self.reg = Regulator(self.cal)
        self.engine = OutputEngine()
        self.session = ses.Session(self.engine, self._on_event)
        self.sup = Supervisor(board_, self.cal, 0, self._on_fault)
        self.ui = uimod.Ui()
        self.controls = Controls(self)
        self.bench = False
        self.reset_cause = 0
        self.now = 0  # uptime, ms
        self._last_us = 0
        self._us_ms = 0  # µs not yet counted into `now`
        self._us_du = 0  # µs not yet booked by the engine (100 µs units)
        self.power = power.Power(self.note)
        self._done_ms = 0
        self._usb_refused_until = -1
        self.fault_records = []
        self._restoring = False
        # The console loads on demand: a standalone session on battery has nobody on the USB
        # serial, and the console's code is a fifth of the firmware's RAM. One byte a tick until someone types.
        self.serial = serial
        self.console = None
        self._peek = bytearray(1)
        self.calibrating = None  # the calibration procedure running (wand.diag_cal), else None
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
        self.apply_settings()
        self.log_event(0, "boot", faults.RESET_NAMES.get(self.reset_cause, self.reset_cause), VERSION)
        if problems:
            self.log_event(0, "settings_invalid", ",".join(problems))
        self.power.start(b.read_battery_uv())
        # SR-12: a latched fault survives every reset but a power cycle, and a
        # watchdog reset comes back up in the fault state. (Before the boot
        # check: a fault that check finds now is stored, and must survive the
        # next reset, not be erased as the power cycle's.)
        stored = b.stored_fault()
        if self.reset_cause == faults.PWRON_RESET:
            if stored:
                b.store_fault(0)  # a power cycle is a deliberate act: cleared
        elif stored:
            self._restoring = True
            self.sup.trip(0, stored)
            self._restoring = False
        if self.reset_cause == faults.WDT_RESET:
            self.sup.trip(0, faults.WATCHDOG)
            self.controls.resume_idle(b.stored_idle_ms())  # SR-07: a watchdog reset is not activity
        # SR-08: with the output off, the sense must read near zero by the
        # stored calibration (8 readings averaged: judged to CAL_ZERO_UA).
        raw = sum(b.read_current_uv() for _ in range(8))  # (at boot: not the tick, which allocates nothing)
        vz = sum(b.read_vload_uv() for _ in range(_ZERO_READS))
        self.reg.learn_zero(vz // _ZERO_READS)  # SR-06: the short judge's zero
        # (the default, nominal offset: the board has not been calibrated yet)
        nominal = self.settings.values["cal_sense_offset_uv"] == INT_FIELDS["cal_sense_offset_uv"][0]
        self.sup.boot_check(0, raw // 8, safety.BOOT_ZERO_UA if nominal else safety.CAL_ZERO_UA)
        self.controls.boot(b.buttons())  # (a power press held through the boot is none)

    def apply_settings(self):
        s = self.settings.values
        self.cal.gain_na = s["cal_gain_na"]
        self.cal.offset_na = s["cal_offset_na"]
        self.cal.sense_offset_uv = s["cal_sense_offset_uv"]
        self.cal.sense_uv_per_ua = s["cal_sense_uv_per_ua"]
        self.engine.sense = self.cal.code_for(programs.SENSE_UA) or 1  # SR-06: `pulse`'s 2 uA between its pulses
        self.session.ramp = ses.RAMP_UA_PER_S * min(s["cal_gain_na"], reg.GAIN_NOM) // reg.GAIN_NOM  # SR-05 (below)
        self.sup.set_user_max(s["user_max_ua"])
        self.session.configure(s["program"], s["level"], self.sup.limit_ua, s["session_min"], s["cue_s"])
        self.ui.muted = s["mute"]

    # --- events ---------------------------------------------------------------
    def log_event(self, now_ms, kind, a=None, b=None):
        try:
            self.log.append(now_ms, kind, a, b)
        except OSError:
            pass  # a full or failing flash never stops the loop

    def note(self, now_ms, kind, a=None, b=None, log=True):
        """An event for the log (unless not log) and for the observer: the one
        place the firmware talks to the observer (the simulator's; none on the wand)."""
        if log:
            self.log_event(now_ms, kind, a, b)
        obs = self.observer
        if obs is None:
            pass
        elif a is None:
            obs.event(now_ms, kind)
        elif b is None:
            obs.event(now_ms, kind, a)
        else:
            obs.event(now_ms, kind, a, b)

    def _on_event(self, now_ms, kind, a=None, b=None):
        self.hist.event(now_ms, kind, a, b)
        self.note(now_ms, kind, a, b, False)
        ui = self.ui
        if kind == "session_start":
            ui.play(now_ms, uimod.TONE_START)
            self.log_event(now_ms, kind, a, b)
        elif kind == "session_end":
            if a != ses.END_FAULT:
                ui.play(now_ms, uimod.TONE_END)
            self._done_ms = now_ms
            self.log_event(now_ms, kind, a, b)
        elif kind == "level":
            ui.play(now_ms, uimod.TONE_LEVEL)
        elif kind == "cue":
            ui.play(now_ms, uimod.TONE_CUE)
        elif kind == "contact_lost":
            ui.play(now_ms, uimod.TONE_CONTACT_LOST)
            self.log_event(now_ms, kind)
        elif kind == "contact_back":
            self.log_event(now_ms, kind)

    def _on_fault(self, now_ms, code):
        if not self._restoring:
            self.board.store_fault(code)
        rec = {"t_ms": now_ms, "code": code, "name": faults.name(code), "boot": self.log.boot}
        hist = self.fault_records
        hist.append(rec)
        if len(hist) > 16:
            hist.pop(0)
        # a fault restored from RTC memory at boot is the old one, still latched (SR-12): not a new one
        self.log_event(now_ms, "fault_latched" if self._restoring else "fault", code, faults.name(code))
        self.note(now_ms, "fault", code, faults.name(code), False)
        self.session.fault(now_ms, ses.END_USB if code == faults.USB_POWER else ses.END_FAULT)
        self.ui.play(now_ms, uimod.TONE_FAULT)
        self.controls.btn_power.ignore_until_release()  # SR-12: the press going on is no acknowledgement

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
        ok = sup.check(now, i_uv, rg.measured_ua, load == reg.LOAD_OK and not rg.open_pending() or rg.light,
                       self.period_ms())
        # Book what flowed (SR-04): the engine, from what this sample saw of the load
        self.engine.book(elapsed_du, sup.code, expected, rg.measured_ua, rg.flowing,
                         rg.capping, rg.flow_ratio)
        if load == reg.LOAD_SHORT and sup.output_on:
            sup.trip(now, faults.SHORT)  # SR-06
        self._power(now, b)
        # 3. user input, session, output
        self.controls.step(now, b.buttons())
        if self.calibrating is not None:
            self.calibrating.step(now, load == reg.LOAD_OPEN)
        else:
            session.step(now, elapsed, load)
            output.drive(b, t, load, session, rg, sup, self.engine, us - elapsed_du * 100)
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
            from wand.usbserial import FirstByte

            self.console = Console(self.target(), FirstByte(self.serial, first_byte))
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
                self.log_event(self.now, "exception", type(e).__name__)
                ok = False  # no fresh passing check this tick (SR-02)
            if ok:
                b.feed_watchdog()
            if self.controls.idle_expired():
                b.leave("auto_off")  # SR-07: deep sleep, by the one way out (wand.entry.leave)
            deadline = b.ticks_add(deadline, self.period_ms() * 1000)
            if b.ticks_diff(deadline, b.ticks_us()) < 0:
                deadline = b.ticks_us()  # overran: do not try to catch up
            b.sleep_until_us(deadline)

    # --- power: battery and USB (SR-09, judged in wand.power) --------------------------
    def _power(self, now, b):
        pw = self.power
        pw.judge(now, pw.step(b.read_battery_uv(), b.usb_present()), self.sup, self.session, self.bench)

    def start_session(self, now):
        """Start if SR-09 allows it (wand.power: no USB power unless bench mode; battery not low)."""
        if self.sup.fault:
            return "fault latched: acknowledge it first"
        why = "busy: a calibration is running" if self.calibrating is not None else self.power.refusal(self.bench)
        if why is not None:
            self.ui.play(now, uimod.TONE_REFUSED)
            if why == power.REFUSED_USB:
                self._usb_refused_until = now + 3000
                self.note(now, "usb_refused")
            return why
        self.apply_settings()
        self.reg.reset()
        # A collection now, with the output still off: a steady tick allocates
        # nothing, so the few bytes a session's events take cannot fill the heap
        # and start a collection (a few ms on the ESP32) inside a phase.
        gc.collect()
        if not self.session.start(now):
            return "a session is already running"
        # a refusal shown before is over: the session's own pattern now (a
        # muted lift 300 ms later showed only the refusal's red, fuzz round 38)
        self._usb_refused_until = -1
        return None

    def output_off(self):
        """Output off with no fault, and the Supervisor's and the engine's copies
        of the output state set to match the board's (the self-test; leave())."""
        self.sup.apply(0, 0, False)
        self.engine.stop()

    def clear_fault(self, now, how):
        if not self.sup.fault:
            return
        code = self.sup.fault
        self.sup.clear()
        self.board.store_fault(0)
        self.session.fault_cleared(now)
        self.note(now, "fault_cleared", code, how)

    # --- feedback ---------------------------------------------------------------------
    def _feedback(self, now):
        s = self.session
        st = s.state
        if st == ses.DONE and now - self._done_ms >= _DONE_SHOW_MS:
            s.state = ses.IDLE
            self.note(now, "state", "idle", None, False)
        # (a calibration drives current: shown as a ramp, so its end on a lift is a change the user sees, SR-06)
        cal = self.calibrating is not None
        mode = uimod.led_mode(ses.RAMP_UP if cal else st, s.ramping(), self.sup.fault, now < self._usb_refused_until)
        ui = self.ui
        ui.step(now, mode, s.level, self.sup.fault, self.power.battery_low, self.bench)
        b = self.board
        b.set_leds(ui.green, ui.red)
        b.set_tone(ui.tone_hz)

def main(machine, time, esp32=None, observer=None, serial=None, fs=None, dac=None):
    """Entry point from main.py (the simulated board calls it the same way):
    wand.entry.main with this App."""
    from wand import entry

    return entry.main(App, machine, time, esp32, observer, serial, fs, dac)
