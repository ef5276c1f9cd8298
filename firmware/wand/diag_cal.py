"""Calibration against a known resistor (bench mode; console `calibrate`).

`start(app, ohms, done)` checks and starts it: the App then calls `step(now)`
on the object it puts in `app.calibrating` once per tick until it ends (about
60 ticks), and then `done(result)` (the Diagnostics keep it for
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


def start(app, ohms, done):
    if not app.bench:
        return "calibration needs bench mode (hold the level button at power-up)"
    if app.session.active() or app.calibrating is not None:
        return "busy: stop the session first"
    if app.sup.fault:
        return "fault latched: clear it first"
    if not 1000 <= ohms <= 20000:
        return "use a known resistor between 1000 and 20000 ohm"
    app.calibrating = _Cal(app, ohms, done)
    return None


class _Cal:
    def __init__(self, app, ohms, done):
        self.app = app
        self._done = done
        self._state = {"stage": 0, "n": 0, "ohms": ohms, "off": 0, "i1": 0, "v1": 0, "i2": 0, "v2": 0}

    def step(self, now):
        """One tick of the calibration (the App calls it while calibrating)."""
        c = self._state
        sup = self.app.sup
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
            sup.apply(0, 0, False)
            self._end("the current limit is below the calibration points")
            return
        if n > _CAL_SETTLE:
            c["i%d" % stage] += b.read_current_uv()
            c["v%d" % stage] += b.read_vload_uv()
        if n >= _CAL_SETTLE + _CAL_SAMPLES:
            if stage == 1:
                c["stage"], c["n"] = 2, 0
            else:
                sup.apply(0, 0, False)
                self._end(self._finish(c))

    def _end(self, result):
        self.app.calibrating = None
        self._done(result)

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
