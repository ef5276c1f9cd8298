"""The App: wires the pure core to the board and runs the control loop.

`main(machine, time, esp32)` is what main.py calls. It builds the board,
forces the output off, arms the watchdog before anything can enable the
output (SR-02), and runs `App.run()`, the one loop that feeds the watchdog,
only after `Supervisor.check()` passed on this tick's fresh measurement.

Time inside the core is `uptime` (ms since boot, accumulated from
ticks_diff), so nothing in the core sees the 2**30 wrap of ticks_ms.
"""

from micropython import const

from wand import VERSION, board, faults
from wand import regulator as reg
from wand import session as ses
from wand import ui as uimod
from wand.atomicfile import OsFs
from wand.buttons import LONG, REPEAT, SHORT, Button
from wand.eventlog import EventLog
from wand.regulator import Calibration, Regulator
from wand.safety import HARD_CEILING_UA, Supervisor
from wand.settings import USER_NAMES, Settings, SettingsError, parse_value
from wand.waveform import OutputEngine

WDT_TIMEOUT_MS = const(1000)  # SR-02: 1000 ms or less
TICK_MS = const(10)
_BENCH_HOLD_MS = const(1000)
_BENCH_EARLY_MS = const(150)
_DONE_SHOW_MS = const(3000)
_BAT_LOW_TICKS = const(100)
_BAT_CRIT_TICKS = const(5)
_USB_TICKS = const(3)
_CAL_SETTLE = const(10)
_CAL_SAMPLES = const(20)
_CAL_CODE_A = const(46)  # about 100 µA
_CAL_CODE_B = const(139)  # about 300 µA

RESET_NAMES = {1: "power_on", 2: "hard", 3: "watchdog", 4: "deepsleep", 5: "soft"}
_WDT_RESET = const(3)


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
        self._bench_until = -1
        self._bench_candidate = False
        self._last_activity = 0
        self._done_ms = 0
        self._usb_refused_until = -1
        self._faults = []
        # The console is loaded on demand: a standalone session on battery has
        # nobody on the USB serial, and the console's code is a fifth of the
        # firmware's RAM. One byte is read per tick until someone types.
        self.serial = serial
        self.console = None
        self._peek = bytearray(1)
        self._cal = None  # calibration procedure state
        self._cal_result = None

    # --- boot ---------------------------------------------------------------
    def boot(self):
        b = self.board
        self._last_us = b.ticks_us()
        self.now = 0
        self.reset_cause = b.reset_cause()
        try:
            self.log.open()
        except OSError:
            pass
        problems = self.settings.load()
        self._apply_settings()
        self._log(0, "boot", RESET_NAMES.get(self.reset_cause, self.reset_cause), VERSION)
        if problems:
            self._log(0, "settings_invalid", ",".join(problems))
        bat_uv = b.read_battery_uv()
        self.battery_mv = bat_uv // self._bat_div
        self._bat_avg16 = self.battery_mv * 16
        # SR-08: with the output off, the sense must read near zero.
        self.sup.boot_check(0, b.read_current_uv())
        # SR-12: a watchdog reset comes back up in the fault state.
        if self.reset_cause == _WDT_RESET:
            self.sup.trip(0, faults.WATCHDOG)
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
        rec = {"t_ms": now_ms, "code": code, "name": faults.name(code), "boot": self.log.boot}
        hist = self._faults
        hist.append(rec)
        if len(hist) > 16:
            hist.pop(0)
        self._log(now_ms, "fault", code, faults.name(code))
        self.observer.event(now_ms, "fault", code, faults.name(code))
        self.session.fault(now_ms)
        self.ui.play(now_ms, uimod.TONE_FAULT)

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
        expected = sup.expected_ua()
        load = rg.update(expected, not session.ramping())
        # 2. safety check (SR-01, SR-08)
        ok = sup.check(now, i_uv, rg.measured_ua, load == reg.LOAD_OK)
        # Book what flowed: nothing into an open load; into a load in
        # compliance, what the sense measured (less than the code asks).
        booked = sup.code
        if not rg.flowing:
            booked = 0
        elif booked and load == reg.LOAD_COMPLIANCE and expected > 0:
            # the fraction that flowed: measured over what this code delivers
            # unconstrained (expected, corrected by the learned trim)
            flowed = booked * rg.measured_ua * rg.trim // (expected * 1024)
            if flowed < booked:
                booked = flowed
        self.engine.account(elapsed_du, booked)
        if load == reg.LOAD_SHORT and sup.output_on:
            sup.trip(now, faults.SHORT)  # SR-06
        self._power(now, b)
        # 3. user input, session, output
        self._buttons(now, b.buttons())
        if self._cal is not None:
            self._calibrate_step(now)
        else:
            session.step(now, elapsed, load)
            code = sup.clamp_code(rg.code_for(session.amp_ua()))
            self.engine.step(code)
            sup.apply(self.engine.code, self.engine.polarity, self.engine.running)
        # 4. feedback, console
        self._feedback(now)
        con = self.console
        if con is not None:
            con.poll(now)
        elif self.serial is not None and self.serial.read_into(self._peek):
            self.open_console(self._peek[0]).poll(now)
        return ok

    def open_console(self, first_byte=-1):
        """Load the console (first_byte: one already read from the serial)."""
        if self.console is None:
            from wand.console import Console

            self.console = Console(self, _FirstByte(self.serial, first_byte))
        return self.console

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
                ok = not self.sup.output_on
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
        usb_now = b.usb_present()
        if usb_now != self.usb:
            self._usb_n += 1
            if self._usb_n >= _USB_TICKS:
                self.usb = usb_now
                self._usb_n = 0
                self._log(now, "usb", "on" if usb_now else "off")
                self.observer.event(now, "usb", "on" if usb_now else "off")
        else:
            self._usb_n = 0
        session = self.session
        if self.usb and not self.bench and session.active():
            session.stop(now, ses.END_USB)
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
        if p or lv:
            self._last_activity = now
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
        try:
            self.settings.set(name, value)
        except (OSError, SettingsError):
            pass

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
        if not self.session.start(now):
            return "a session is already running"
        return None

    def _clear_fault(self, now, how):
        if not self.sup.fault:
            return
        code = self.sup.fault
        self.sup.clear()
        self.session.fault_cleared(now)
        self._log(now, "fault_cleared", code, how)
        self.observer.event(now, "fault_cleared", code, how)

    def _idle_expired(self):
        """SR-07: off after idling; a session, the done display and a
        calibration count as activity, so idling starts when they end."""
        s = self.session
        if self.bench or s.active() or s.state == ses.DONE or self._cal is not None:
            self._last_activity = self.now
            return False
        limit = self.settings.values["idle_off_s"] * 1000
        return self.now - self._last_activity >= limit

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

    # --- calibration (bench mode, known resistor) ----------------------------------------
    def _calibrate_step(self, now):
        c = self._cal
        sup = self.sup
        if c is None:
            return
        stage = c["stage"]
        c["n"] += 1
        n = c["n"]
        b = self.board
        if stage == 0:  # output off: sense offset
            sup.apply(0, 0, False)
            if n > _CAL_SETTLE:
                c["off"] += b.read_current_uv()
            if n >= _CAL_SETTLE + _CAL_SAMPLES:
                c["stage"], c["n"] = 1, 0
            return
        code = _CAL_CODE_A if stage == 1 else _CAL_CODE_B
        pol = 1 if (n & 1) else -1  # alternate every tick: no DC (SR-04)
        written = sup.apply(code, pol, True)
        if written != code:
            self._cal, self._cal_result = None, "the current limit is below the calibration points"
            sup.apply(0, 0, False)
            return
        if n > _CAL_SETTLE:
            c["i%d" % stage] += b.read_current_uv()
            c["v%d" % stage] += b.read_vload_uv()
        if n >= _CAL_SETTLE + _CAL_SAMPLES:
            if stage == 1:
                c["stage"], c["n"] = 2, 0
            else:
                sup.apply(0, 0, False)
                self._cal = None
                self._cal_result = self._calibrate_finish(c)

    def _calibrate_finish(self, c):
        k = _CAL_SAMPLES
        ohms = c["ohms"]
        off_uv = c["off"] // k
        cal = self.cal
        i_true = []
        for stage in (1, 2):
            v_mv = cal.vload_mv(c["v%d" % stage] // k)
            i_true.append(v_mv * 1000 // ohms)  # µA through the known resistor
        ia, ib = i_true
        if ib - ia < 50:
            return "no current through the resistor: is it connected?"
        ua = c["i1"] // k
        ub = c["i2"] // k
        sense_per_ua = (ub - ua) // (ib - ia)
        gain_na = (ib - ia) * 1000 // (_CAL_CODE_B - _CAL_CODE_A)
        offset_na = ia * 1000 - gain_na * _CAL_CODE_A
        pairs = (
            ("cal_sense_offset_uv", off_uv),
            ("cal_sense_uv_per_ua", sense_per_ua),
            ("cal_gain_na", gain_na),
            ("cal_offset_na", offset_na),
        )
        try:
            self.settings.set_many(pairs)
        except SettingsError as e:
            return "calibration out of range, not stored: " + str(e)
        except OSError:
            return "could not write the settings"
        self._apply_settings()
        self._log(self.now, "calibrated", gain_na, sense_per_ua)
        return {
            "ohms": ohms,
            "gain_na_per_code": gain_na,
            "offset_na": offset_na,
            "sense_offset_uv": off_uv,
            "sense_uv_per_ua": sense_per_ua,
            "points_ua": i_true,
        }

    # --- console target (docs/architecture.md) -----------------------------------------------
    def hello(self):
        return {
            "fw": VERSION,
            "protocol": 1,
            "board": board.NAME,
            "reset_cause": RESET_NAMES.get(self.reset_cause, str(self.reset_cause)),
        }

    def status(self):
        s = self.session
        f = self.sup.fault
        return {
            "state": ses.STATE_NAMES[s.state],
            "program": s.program[0],
            "level": s.level,
            "setpoint_ua": s.amp_ua(),
            "measured_ua": self.reg.measured_ua if self.sup.output_on else 0,
            "limit_ua": self.sup.limit_ua,
            "hard_ceiling_ua": HARD_CEILING_UA,
            "load": reg.LOAD_NAMES[self.reg.load],
            "load_ohms": self.reg.load_ohms if self.reg.load_ohms >= 0 else None,
            "battery_v": self.battery_mv / 1000,
            "battery_low": self.battery_low,
            "usb": self.usb,
            "bench": self.bench,
            "fault": {"code": f, "name": faults.name(f)} if f else None,
            "delivered_s": s.delivered_ms // 1000,
            "planned_s": s.session_ms // 1000,
            "uptime_s": self.now // 1000,
            "wdt_armed": self.board.watchdog_armed(),
        }

    def log_tail(self, n):
        return self.log.tail(n)

    def fault_history(self):
        return list(self._faults)

    def selftest(self):
        """Output-off checks; refuses while a session runs."""
        if self.session.active():
            return [["session", False, "stop the session first"]]
        b = self.board
        self.sup.apply(0, 0, False)
        out = []
        i_uv = b.read_current_uv()
        ua = self.cal.sense_ua(i_uv)
        out.append(["sense_path", i_uv > 100000, "%d mV (zero current reads about %d mV)"
                    % (i_uv // 1000, self.cal.sense_offset_uv // 1000)])
        out.append(["sense_zero", -15 <= ua <= 15, "%d uA with the output off" % ua])
        v_mv = self.cal.vload_mv(b.read_vload_uv())
        out.append(["load_sense_zero", v_mv < 500, "%d mV across the probes" % v_mv])
        bat = b.read_battery_uv() // self._bat_div
        out.append(["battery", self.usb or 3000 <= bat <= 4400, "%d mV" % bat])
        out.append(["dac_off", b.dac_code() == 0, "code %d" % b.dac_code()])
        out.append(["watchdog", b.watchdog_armed(), "armed" if b.watchdog_armed() else "not armed"])
        out.append(["ceiling", self.sup.limit_ua <= HARD_CEILING_UA, "limit %d uA" % self.sup.limit_ua])
        probs = self.settings.problems
        out.append(["settings", not probs, "valid" if not probs else "repaired: " + ",".join(probs)])
        out.append(["fault", not self.sup.fault, faults.name(self.sup.fault)])
        return out

    def calibrate_start(self, ohms):
        if not self.bench:
            return "calibration needs bench mode (hold the level button at power-up)"
        if self.session.active() or self._cal is not None:
            return "busy: stop the session first"
        if self.sup.fault:
            return "fault latched: clear it first"
        if not 1000 <= ohms <= 20000:
            return "use a known resistor between 1000 and 20000 ohm"
        self._cal_result = None
        self._cal = {"stage": 0, "n": 0, "ohms": ohms, "off": 0, "i1": 0, "v1": 0, "i2": 0, "v2": 0}
        return None

    def calibrate_poll(self):
        if self._cal is not None:
            return None
        r = self._cal_result
        self._cal_result = None
        return r if r is not None else "no calibration running"

    def settings_get(self, name=None):
        v = self.settings.values
        if name is None:
            return dict(v)
        if name not in v:
            return None
        return {name: v[name]}

    def settings_set(self, name, value_str):
        if name not in USER_NAMES:
            if name in self.settings.values:
                return "%s is set by `calibrate`, not by hand" % name
            return "unknown setting " + name
        if self.session.active():
            return "stop the session before changing settings"
        try:
            value = parse_value(name, value_str)
        except SettingsError as e:
            return str(e)
        if name == "user_max_ua" and isinstance(value, int) and value > HARD_CEILING_UA:
            return "denied: %d uA is above the hard ceiling of %d uA" % (value, HARD_CEILING_UA)
        if name == "session_min" and isinstance(value, int) and value > ses.MAX_SESSION_MIN:
            return "denied: sessions are limited to %d minutes" % ses.MAX_SESSION_MIN
        try:
            self.settings.set(name, value)
        except SettingsError as e:
            return str(e)
        except OSError:
            return "could not write the settings"
        self._apply_settings()
        self._log(self.now, "setting", name, value)
        return None

    def bench_start(self):
        if not self.bench:
            return "start/stop/level from the console need bench mode"
        return self.start_session(self.now)

    def bench_stop(self):
        if not self.bench:
            return "start/stop/level from the console need bench mode"
        if not self.session.active():
            return "no session running"
        self.session.stop(self.now, ses.END_BUTTON)
        return None

    def bench_level(self, n):
        if not self.bench:
            return "start/stop/level from the console need bench mode"
        if not 1 <= n <= ses.LEVELS:
            return "level must be 1..10"
        s = self.session
        s.change_level(self.now, n - s.level)
        return None

    def clear_fault(self):
        if not self.bench:
            return "clear from the console needs bench mode (or long-press the power button)"
        if not self.sup.fault:
            return "no fault latched"
        self._clear_fault(self.now, "console")
        return None

    def telemetry(self):
        s = self.session
        return (self.now, s.amp_ua(), self.reg.measured_ua if self.sup.output_on else 0,
                ses.STATE_NAMES[s.state])

    def reboot(self):
        self.board.output_off()
        self.board.hard_reset()

    def enter_repl(self):
        """Leave to the plain REPL: output off, hard reset (disarms the WDT)."""
        self._log(self.now, "repl")
        self.board.request_maintenance()


def main(machine, time, esp32=None, observer=None, serial=None, fs=None, dac=None):
    """Entry point from main.py (the simulated board calls it the same way)."""
    from wand.hal import Esp32Board

    b = Esp32Board(machine, time, esp32, dac=dac)
    b.output_off()
    if b.maintenance_requested():
        b.clear_maintenance()
        print("microwand: maintenance mode: REPL only, output off, watchdog not armed")
        return None
    b.arm_watchdog(WDT_TIMEOUT_MS)  # SR-02: armed before the output can be enabled
    if serial is None:
        from wand.usbserial import UsbSerial

        serial = UsbSerial()
    app = App(b, fs, serial, observer)
    try:
        app.boot()
        app.run()
    except KeyboardInterrupt:
        # Ctrl-C (mpremote): output off, then a hard reset into the plain REPL,
        # which is the only way to get rid of the watchdog (SR-03).
        b.output_off()
        app._log(app.now, "interrupted")
        b.request_maintenance()
    finally:
        b.output_off()
    return app
