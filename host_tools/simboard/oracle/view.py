"""The plant-side view of a trace shared by every clause: the limit in
effect, the current envelope, and the instants the world (not the firmware)
moved the current: lifts, returns, shorts, faults, disturbances, and the
firmware's no-contact (probing) spans. Judges no clause itself.
"""

from __future__ import annotations

from simboard.oracle.limits import HARD_CEILING_UA, OPEN_OHMS, SENSE_OPEN_OHMS, SHORT_OHMS
from simboard.oracle.trace import Trace, _firmware, effective_settings


def sense_floor_ua(eff, tr=None):
    """Over the most a pulse train's sense current between its pulses can be: its code by the
    stored calibration (App.apply_settings) at the stage's gain and tolerance, never under 4 times
    the nominal 2 uA. (A stored offset of -5 uA and gain of 2000 nA a code make it 4 codes, 8.6
    uA, which the fixed 8.5 read as pulses: 727 uA/s, a sweep of calibrations at the edges.)"""
    _, board, programs = _firmware()
    from wand.regulator import Calibration

    ua = getattr(programs, "SENSE_UA", 0)
    code = Calibration(eff["cal_gain_na"], eff["cal_offset_na"]).code_for(ua) or 1
    g = 1.0
    if tr is not None:  # (times a gain drift that raised the stage: x1.18 read 10.15 uA as pulses, review)
        from simboard.oracle.cycles import _stage_gains

        g = max([1.0] + [x for _, x in _stage_gains(tr)])
    return 0.5 + max(ua * 4, code * board.STAGE_UA_PER_CODE * 1.1 * g)


class _View:
    """Derived, plant-side series shared by the clauses."""

    def __init__(self, tr: Trace):
        self.tr = tr
        _, board, programs = _firmware()
        self.ua_per_code = board.STAGE_UA_PER_CODE
        self.probe_ua = programs.PROBE_UA
        self.sense_ua = getattr(programs, "SENSE_UA", 0)  # a pulse train's current between its pulses
        self.eff = effective_settings(tr.settings_bytes)
        # a scenario that rewrites the settings file mid-run: the firmware may
        # run with any of them after a reboot; judge against the most lenient
        from simboard import script as _script

        later = [effective_settings(_script.file_bytes(a)) for t, act, a in tr.actions
                 if act == "file" and a and a[0] == "settings.json" and t > 0]
        for e in later:
            for k in ("user_max_ua", "idle_off_s", "session_min"):
                if e[k] > self.eff[k]:
                    self.eff = dict(self.eff, **{k: e[k]})
        self.limit = min(self.eff["user_max_ua"], HARD_CEILING_UA)
        self.sense_floor_ua = sense_floor_ua(self.eff, tr)
        if tr.slots:
            self.env = [(t, p) for t, p in tr.slots]
        else:
            self.env = [(s[0], abs(s[1])) for s in tr.samples]
        self.dt = tr.sample_ms
        # disturbances: instants the world (not the firmware) moved the current
        self.lifts = []  # (t, kind)
        self.open_lifts = set()  # of those, into the open air (contact off, or a load no sense current flows in)
        self.returns = []
        self.shorts = []
        self.disturb = []
        self.return_ohms = {}  # a return by a load action (or contact onto a resistor): its resistance
        last_load = getattr(tr, "load_ohms", None)  # the run's starting load, when a resistor
        short_on = False
        contact_on = True  # the probes on the skin or the resistor (a `load` changes only what they touch)
        for t, act, args in tr.actions:
            a0 = args[0] if args else ""
            spec = a0 if act == "inject" else ""
            key, _, val = spec.partition("=")
            was_short = short_on
            if key == "short":
                short_on = val not in ("off", "0")
            elif key == "clear":
                short_on = False
            if was_short and not short_on and not contact_on:
                # the probes shorted together, then apart while lifted: the
                # open air again, a lift (a short ends a lift for SR-06)
                self.lifts.append(t)
            if act == "contact" and a0 == "off" or key == "contact" and val == "off":
                contact_on = False
                if not short_on:  # (probes shorted together: lifting them changes nothing)
                    self.lifts.append(t)
                    self.open_lifts.add(t)
            elif act == "contact" and a0 == "on" or key == "contact" and val == "on":
                contact_on = True
                self.returns.append(t)
            # (a load changed while the wand is lifted is no return, nor a lift
            # or a short: the plant drives the open air until contact is back;
            # taken as a return, a stop while lifted was asked for its debt,
            # hypothesis seed 626)
            if (act == "load" or key == "load_ohms") and contact_on:
                v = a0 if act == "load" else val
                try:
                    ohms = float(v)
                except ValueError:
                    ohms = None
                if ohms is not None and ohms >= OPEN_OHMS:
                    self.lifts.append(t)
                    if ohms >= SENSE_OPEN_OHMS:
                        self.open_lifts.add(t)
                elif ohms is not None and ohms < SHORT_OHMS:
                    self.shorts.append(t)
                else:
                    self.returns.append(t)
                    if ohms is not None:
                        self.return_ohms[t] = ohms
            if act == "load" and a0:
                try:
                    last_load = float(a0)
                except ValueError:
                    last_load = None  # skin, open: not a resistor
            if act == "contact" and a0 == "on" and last_load is not None:
                self.return_ohms[t] = last_load  # contact back onto the resistor in effect
            if key == "short" and val not in ("off", "0"):
                self.shorts.append(t)
            if act not in ("press", "hold", "release", "file", "type", "line"):  # (typed lines: as presses)
                self.disturb.append(t)
        # a contact off in the same instant the probes are shorted together
        # is no lift either, whichever the script lists first (fuzz seed 2807414747)
        short_at = set(self.shorts)
        self.lifts = [t for t in self.lifts if t not in short_at]
        for t, _c in tr.resets:
            self.disturb.append(t)
        # A load past the stage's compliance for the setpoint is a lift too
        # (SR-06): the firmware's own contact_lost/contact_back mark it. Its
        # cut is then the lift's, and the charge it left must still be paid
        # back after contact_back (the re-balance check below holds the
        # firmware to that on the true charge).
        self.fw_lifts = []
        self.fw_returns = []
        for t, kind, _a in tr.events:
            if kind == "fault":
                self.disturb.append(t)
            elif kind == "contact_lost":
                self.disturb.append(t)
                self.fw_lifts.append(t)
            elif kind == "contact_back":
                self.disturb.append(t)  # the cycle it lands in pays a debt: judged by the re-balance
                self.fw_returns.append(t)
        self.disturb.sort()
        # the firmware's no-contact spans (contact_lost to contact_back or the
        # session's end): the current in them is the 10 uA contact probe
        self.probing = []
        t_lost = None
        for t, kind, _a in tr.events:
            if kind == "contact_lost" and t_lost is None:
                t_lost = t
            elif kind in ("contact_back", "session_end", "fault") and t_lost is not None:
                self.probing.append((t_lost, t))
                t_lost = None
        if t_lost is not None:
            self.probing.append((t_lost, tr.end_ms))
        self.faults = sorted([t for t, k, _ in tr.events if k == "fault"]
                             + [t for t, c in tr.resets if c == "wdt"])

    def near_disturb(self, a, b, margin=150):
        import bisect

        i = bisect.bisect_left(self.disturb, a - margin)
        return i < len(self.disturb) and self.disturb[i] <= b + margin

    def env_between(self, a, b):
        return [p for t, p in self.env if a <= t <= b]

    def sample_at_or_after(self, t):
        for s in self.tr.samples:
            if s[0] >= t:
                return s
        return None
