"""Calibration against a known resistor (bench mode; console `calibrate`).

`start(app, ohms, done)` checks and starts it: the App then calls `step(now)`
on the object it puts in `app.calibrating` once per tick until it ends (about
6.5 s: ramps of 110 µA/s up to each point and back down), and then `done(result)` (the Diagnostics keep it for
`calibrate_poll()`). The
Diagnostics import this module for the start and drop it from `sys.modules`;
the running calibration keeps its code alive until it ends.
"""

from micropython import const

from wand.settings import SettingsError, validate_field

_CAL_SETTLE = const(10)
_CAL_SAMPLES = const(20)
_CAL_CODE_A = const(46)  # about 100 µA
_CAL_CODE_B = const(139)  # about 300 µA
_RAMP_DOWN = const(3)
_TICK_US = const(10000)  # the App's tick while no session runs (wand.app.TICK_MS)


def start(app, ohms, done):
    if not app.bench:
        return "calibration needs bench mode (hold the level button at power-up)"
    if app.session.active() or app.calibrating is not None:
        return "busy: stop the session first"
    if app.sup.fault:
        return "fault latched: clear it first"
    if not 1000 <= ohms <= 20000:
        return "use a known resistor between 1000 and 20000 ohm"
    why = app.power.refusal(app.bench)  # (in bench mode: a low battery)
    if why is not None:
        return why
    if app.sup.clamp_code(_CAL_CODE_B) != _CAL_CODE_B:
        return "the current limit is below the calibration points: set user_max_ua 320 or more"
    app.reg.reset()  # (its judgement of the load from before: a stale open or short, a review)
    app.calibrating = _Cal(app, ohms, done)
    return None


class _Cal:
    """The output alternates polarity every tick and each code is booked for the microseconds it flowed: a negative
    tick pays what the positive ticks left (a loop stall's excess too, at no more than the code, skipping positive
    ticks meanwhile: SR-04). The code moves one a pair (2.2 µA every 20 ms, about 110 µA/s: SR-05, the wand may be on
    skin) up to each calibration point and, measured, back down to zero before the calibration ends."""

    def __init__(self, app, ohms, done):
        self.app = app
        self._done = done
        self._state = {"stage": 0, "n": 0, "ohms": ohms, "off": 0, "i1": 0, "v1": 0, "i2": 0, "v2": 0}
        self._code = self._pol = self._q = 0  # the ramp's code, the last tick's polarity and code, the charge booked
        self._out = self._t = 0  # (code x µs)
        self._result = None

    def abort(self, why="stopped by the power button, nothing stored"):
        """A deliberate stop (the power button's long press; a low battery): down to zero at the ramp's rate, nothing
        stored, whatever was measured (late in the ramp-down too: red team rt7)."""
        self._state["stage"] = _RAMP_DOWN
        self._result = why

    def step(self, now, lifted):
        """One tick of the calibration (the App calls it while calibrating); lifted: the regulator judged this
        tick's load open (no contact). (No import of the regulator or the UI: loaded for a calibration only.)"""
        c = self._state
        app = self.app
        sup = app.sup
        b = app.board
        if sup.fault:  # the fault cut the output (SR-12)
            self._end("stopped by a fault, nothing stored")
            return
        if lifted:
            # SR-06: the probes lifted, or open from the start: cut at once and tell (driven on, the code reached
            # 300 uA into the air and snapped onto the skin when it touched: red team rt7)
            sup.apply(0, 0, False)
            app.ui.contact_lost(now)
            self._end("no contact: the resistor is not across the probes; calibration stopped, nothing stored")
            return
        if app.power.battery_low and not isinstance(self._result, str):
            self.abort("battery low: calibration stopped, nothing stored")  # SR-09: as a session ends
        stage = c["stage"]
        if stage == 0:  # output off: sense offset
            sup.apply(0, 0, False)
            c["n"] += 1
            if c["n"] > _CAL_SETTLE:
                c["off"] += b.read_current_uv()
            if c["n"] >= _CAL_SETTLE + _CAL_SAMPLES:
                c["stage"], c["n"] = 1, 0
                self._t = b.ticks_us()
            return
        t = b.ticks_us()
        q = self._q = self._q + self._pol * self._out * b.ticks_diff(t, self._t)
        self._t = t
        base = self._code
        aim = 0 if stage == _RAMP_DOWN else (_CAL_CODE_A if stage == 1 else _CAL_CODE_B)
        if self._pol <= 0:  # a positive tick: none while a positive excess over half a tick at the code is paid
            # (half a tick at the code: a tick's jitter of tens of µs is no stall to pay; at half a code-tick, 36 µs
            # late at 300 uA skipped a positive tick, a dip to 0: a review)
            half = base * _TICK_US // 2
            paying = q > half
            steady = not paying and -q <= half  # (nor a negative excess being paid)
            if steady:  # a pair begins: the code moves one toward the point
                base = self._code = base + (1 if base < aim else (-1 if base > aim else 0))
                if stage == _RAMP_DOWN and base == 0:
                    sup.apply(0, 0, False)
                    self._end(self._result)
                    return
            pol, out = 1, (0 if paying else base)
        else:  # a negative tick: what is owed, at no more than one code over the code (the drift jitter leaves)
            out = (q + _TICK_US // 2) // _TICK_US
            pol, out = -1, (base + 1 if out > base + 1 else (out if out > 0 else 0))
            steady = out == base
        written = sup.apply(out, pol, True) if out else sup.apply(0, 0, False)
        self._pol, self._out = pol, written
        if written != out:  # (not while calibrating: the console is busy, start() checked the limit)
            sup.apply(0, 0, False)
            self._end("the current limit is below the calibration points")
            return
        if stage == _RAMP_DOWN or base != aim or not steady:
            return
        c["n"] += 1
        n = c["n"]
        if n > _CAL_SETTLE:
            c["i%d" % stage] += b.read_current_uv()
            c["v%d" % stage] += b.read_vload_uv()
        if n >= _CAL_SETTLE + _CAL_SAMPLES:
            c["n"] = 0
            if stage == 1:
                c["stage"] = 2
            else:
                c["stage"] = _RAMP_DOWN
                self._result = c

    def _end(self, result):
        self.app.calibrating = None
        self._done(self._finish(result) if isinstance(result, dict) else result)

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
            set_many(self.app.settings, pairs)
        except SettingsError as e:
            return "calibration out of range, not stored: " + str(e)
        except OSError:
            return "could not write the settings"
        self.app.apply_settings()
        self.app.log_event(self.app.now, "calibrated", gain_na, sense_per_ua)
        return {
            "ohms": ohms,
            "gain_na_per_code": gain_na,
            "offset_na": offset_na,
            "sense_offset_uv": off_uv,
            "sense_uv_per_ua": sense_per_ua,
            "points_ua": i_true,
        }


def set_many(st, pairs):
    """Settings.set() for several at once (a calibration's coefficients): all validated
    before any is changed; all or none stored. (Here, not in wand.settings: only the
    calibration uses it.)"""
    for name, value in pairs:
        validate_field(name, value)
    vals = st.values
    old = dict(vals)
    for name, value in pairs:
        vals[name] = value
    try:
        st.save()
    except (OSError, MemoryError):
        st.values = old
        raise
