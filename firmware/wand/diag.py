"""The wand as the console sees it: status, self-test, calibration, settings,
bench-mode commands (the "console target" of docs/architecture.md).

Loaded with the console, on the first byte from the USB serial: a standalone
session never pays for this code. `App.target()` makes the one instance.
"""

from micropython import const

from wand import VERSION, board, faults
from wand import app as app_mod
from wand import regulator as reg
from wand import session as ses
from wand.safety import HARD_CEILING_UA
from wand.settings import USER_NAMES, SettingsError, parse_value

_CAL_SETTLE = const(10)
_CAL_SAMPLES = const(20)
_CAL_CODE_A = const(46)  # about 100 µA
_CAL_CODE_B = const(139)  # about 300 µA

class Diagnostics:
    def __init__(self, app):
        self.app = app
        self._state = None  # the calibration in progress
        self._result = None  # its outcome, until calibrate_poll() takes it

    # --- calibration (bench mode, known resistor) ----------------------------------------
    def step(self, now):
        """One tick of the calibration (the App calls it while calibrating)."""
        c = self._state
        sup = self.app.sup
        if c is None:
            return
        stage = c["stage"]
        c["n"] += 1
        n = c["n"]
        b = self.app.board
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
            self.app._cal, self._result = None, "the current limit is below the calibration points"
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
                self.app._cal = None
                self._result = self._finish(c)

    def _finish(self, c):
        k = _CAL_SAMPLES
        ohms = c["ohms"]
        off_uv = c["off"] // k
        cal = self.app.cal
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
            self.app.settings.set_many(pairs)
        except SettingsError as e:
            return "calibration out of range, not stored: " + str(e)
        except OSError:
            return "could not write the settings"
        self.app._apply_settings()
        self.app._log(self.app.now, "calibrated", gain_na, sense_per_ua)
        return {
            "ohms": ohms,
            "gain_na_per_code": gain_na,
            "offset_na": offset_na,
            "sense_offset_uv": off_uv,
            "sense_uv_per_ua": sense_per_ua,
            "points_ua": i_true,
        }

    # --- the console target (docs/architecture.md) ---------------------------------------
    def hello(self):
        return {
            "fw": VERSION,
            "protocol": 1,
            "board": board.NAME,
            "reset_cause": app_mod.RESET_NAMES.get(self.app.reset_cause, str(self.app.reset_cause)),
        }

    def status(self):
        s = self.app.session
        f = self.app.sup.fault
        return {
            "state": ses.STATE_NAMES[s.state],
            "program": s.program[0],
            "level": s.level,
            "setpoint_ua": s.amp_ua(),
            "measured_ua": self.app.reg.measured_ua if self.app.sup.output_on else 0,
            "limit_ua": self.app.sup.limit_ua,
            "hard_ceiling_ua": HARD_CEILING_UA,
            "load": reg.LOAD_NAMES[self.app.reg.load],
            # the load is known only while current flows into it
            "load_ohms": self.app.reg.load_ohms if self.app.reg.load_ohms >= 0 and self.app.sup.output_on
            and self.app.session.active() else None,
            "battery_v": self.app.battery_mv / 1000,
            "battery_low": self.app.battery_low,
            "usb": self.app.usb,
            "bench": self.app.bench,
            "fault": {"code": f, "name": faults.name(f)} if f else None,
            "delivered_s": s.delivered_ms // 1000,
            "planned_s": s.session_ms // 1000,
            "uptime_s": self.app.now // 1000,
            "wdt_armed": self.app.board.watchdog_armed(),
        }

    def log_tail(self, n):
        return self.app.log.tail(n)

    def fault_history(self):
        return list(self.app._faults)

    def history(self):
        """The stored session records (wand.history), oldest first."""
        return self.app.hist.records()

    def selftest(self):
        """Output-off checks; refuses while a session runs."""
        if self.app.session.active():
            return [["session", False, "stop the session first"]]
        b = self.app.board
        self.app.sup.apply(0, 0, False)
        out = []
        i_uv = b.read_current_uv()
        ua = self.app.cal.sense_ua(i_uv)
        out.append(["sense_path", i_uv > 100000, "%d mV (zero current reads about %d mV)"
                    % (i_uv // 1000, self.app.cal.sense_offset_uv // 1000)])
        out.append(["sense_zero", -15 <= ua <= 15, "%d uA with the output off" % ua])
        v_mv = self.app.cal.vload_mv(b.read_vload_uv())
        out.append(["load_sense_zero", v_mv < 500, "%d mV across the probes" % v_mv])
        bat = b.read_battery_uv() // self.app._bat_div
        out.append(["battery", self.app.usb or 3000 <= bat <= 4400, "%d mV" % bat])
        out.append(["dac_off", b.dac_code() == 0, "code %d" % b.dac_code()])
        out.append(["watchdog", b.watchdog_armed(), "armed" if b.watchdog_armed() else "not armed"])
        out.append(["ceiling", self.app.sup.limit_ua <= HARD_CEILING_UA, "limit %d uA" % self.app.sup.limit_ua])
        probs = self.app.settings.problems
        out.append(["settings", not probs, "valid" if not probs else "repaired: " + ",".join(probs)])
        out.append(["fault", not self.app.sup.fault, faults.name(self.app.sup.fault)])
        return out

    def calibrate_start(self, ohms):
        if not self.app.bench:
            return "calibration needs bench mode (hold the level button at power-up)"
        if self.app.session.active() or self.app._cal is not None:
            return "busy: stop the session first"
        if self.app.sup.fault:
            return "fault latched: clear it first"
        if not 1000 <= ohms <= 20000:
            return "use a known resistor between 1000 and 20000 ohm"
        self._result = None
        self._state = {"stage": 0, "n": 0, "ohms": ohms, "off": 0, "i1": 0, "v1": 0, "i2": 0, "v2": 0}
        self.app._cal = self
        return None

    def calibrate_poll(self):
        if self.app._cal is not None:
            return None
        r = self._result
        self._result = None
        return r if r is not None else "no calibration running"

    def settings_get(self, name=None):
        v = self.app.settings.values
        if name is None:
            return dict(v)
        if name not in v:
            return None
        return {name: v[name]}

    def settings_set(self, name, value_str):
        if name not in USER_NAMES:
            if name in self.app.settings.values:
                return "%s is set by `calibrate`, not by hand" % name
            return "unknown setting " + name
        if self.app.session.active():
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
            self.app.settings.set(name, value)
        except SettingsError as e:
            return str(e)
        except OSError:
            return "could not write the settings"
        self.app._apply_settings()
        self.app._log(self.app.now, "setting", name, value)
        return None

    def bench_start(self):
        if not self.app.bench:
            return "start/stop/level from the console need bench mode"
        return self.app.start_session(self.app.now)

    def bench_stop(self):
        if not self.app.bench:
            return "start/stop/level from the console need bench mode"
        if not self.app.session.active():
            return "no session running"
        self.app.session.stop(self.app.now, ses.END_BUTTON)
        return None

    def bench_level(self, n):
        if not self.app.bench:
            return "start/stop/level from the console need bench mode"
        if not 1 <= n <= ses.LEVELS:
            return "level must be 1..10"
        s = self.app.session
        s.change_level(self.app.now, n - s.level)
        return None

    def clear_fault(self):
        if not self.app.bench:
            return "clear from the console needs bench mode (or long-press the power button)"
        if not self.app.sup.fault:
            return "no fault latched"
        self.app._clear_fault(self.app.now, "console")
        return None

    def telemetry(self):
        s = self.app.session
        rg = self.app.reg
        return (self.app.now, s.amp_ua(), rg.measured_ua if self.app.sup.output_on else 0,
                ses.STATE_NAMES[s.state], rg.load_ohms if rg.load != reg.LOAD_OPEN and s.active() else -1)

    def reboot(self):
        """Output off, then the one way out (wand.app.leave) hard-resets."""
        self.app.board.leave("reboot")

    def enter_repl(self):
        """Output off, then the one way out (wand.app.leave) drops to the plain
        REPL with no reset: output locked off, watchdog relaxed."""
        self.app.board.leave("repl")
