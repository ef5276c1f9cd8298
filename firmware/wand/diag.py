"""The wand as the console sees it: status, self-test, calibration, settings,
bench-mode commands (the "console target" of docs/architecture.md).

Loaded with the console, on the first byte from the USB serial: a standalone
session never pays for this code. `App.target()` makes the one instance.
What is used rarely is imported for the call and dropped after it:
`selftest` (wand.diag_test), `calibrate_start` (wand.diag_cal, whose
calibration object the App then steps until it ends) and `settings_set`
(wand.diag_set); see docs/console.md, "Memory".
"""

from wand import VERSION, board, faults
from wand import regulator as reg
from wand import session as ses
from wand.console import drop, load
from wand.safety import HARD_CEILING_UA


class Diagnostics:
    def __init__(self, app):
        self.app = app
        self._result = None  # a calibration's outcome, until calibrate_poll() takes it

    # --- the console target (docs/architecture.md) ---------------------------------------
    def hello(self):
        return {
            "fw": VERSION,
            "protocol": 1,
            "board": board.NAME,
            "reset_cause": faults.RESET_NAMES.get(self.app.reset_cause, str(self.app.reset_cause)),
        }

    def status(self):
        app = self.app
        s = app.session
        sup = app.sup
        rg = app.reg
        f = sup.fault
        return {
            "state": ses.STATE_NAMES[s.state],
            "program": s.program[0],
            "level": s.level,
            "setpoint_ua": s.amp_ua(),
            "measured_ua": rg.measured_ua if sup.output_on else 0,
            "limit_ua": sup.limit_ua,
            "hard_ceiling_ua": HARD_CEILING_UA,
            "load": reg.LOAD_NAMES[rg.load],
            # the load is known only while current flows into it
            "load_ohms": rg.load_ohms if rg.load_ohms >= 0 and sup.output_on and s.active() else None,
            "battery_v": app.power.battery_mv / 1000,
            "battery_low": app.power.battery_low,
            "usb": app.power.usb,
            "bench": app.bench,
            "fault": {"code": f, "name": faults.name(f)} if f else None,
            "delivered_s": s.delivered_ms // 1000,
            "planned_s": s.session_ms // 1000,
            "uptime_s": app.now // 1000,
            "wdt_armed": app.board.watchdog_armed(),
        }

    def log_tail(self, n):
        return self.app.log.tail(n)

    def fault_history(self):
        return list(self.app.fault_records)

    def history(self):
        """The stored session records (wand.history), oldest first."""
        return self.app.hist.records()

    def selftest(self):
        """Output-off checks; refuses while a session runs (wand.diag_test)."""
        try:
            return load("diag_test").selftest(self.app)
        finally:
            drop("diag_test")

    def calibrate_start(self, ohms):
        """Starts the calibration (wand.diag_cal: loaded until it ends)."""
        try:
            self._result = None
            return load("diag_cal").start(self.app, ohms, self._calibrated)
        finally:
            drop("diag_cal")

    def _calibrated(self, result):
        self._result = result

    def calibrate_poll(self):
        if self.app.calibrating is not None:
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
        """Checked and stored (wand.diag_set)."""
        try:
            return load("diag_set").settings_set(self.app, name, value_str)
        finally:
            drop("diag_set")

    def bench_start(self):
        if not self.app.bench:
            return "start/stop/level from the console need bench mode"
        return self.app.start_session(self.app.now)

    def bench_stop(self):
        if not self.app.bench:
            return "start/stop/level from the console need bench mode"
        if not self.app.session.active():
            return "no session running"
        self.app.session.stop(self.app.now, ses.END_CONSOLE)
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
        self.app.clear_fault(self.app.now, "console")
        return None

    def telemetry(self):
        s = self.app.session
        rg = self.app.reg
        return (self.app.now, s.amp_ua(), rg.measured_ua if self.app.sup.output_on else 0,
                ses.STATE_NAMES[s.state], rg.load_ohms if rg.load != reg.LOAD_OPEN and s.active() else -1)

    def reboot(self):
        """Output off, then the one way out (wand.entry.leave) hard-resets."""
        self.app.board.leave("reboot")

    def enter_repl(self):
        """Output off, then the one way out (wand.entry.leave) drops to the plain
        REPL with no reset: output locked off, watchdog relaxed."""
        self.app.board.leave("repl")
