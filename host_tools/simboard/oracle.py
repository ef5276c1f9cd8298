"""The trace oracle: one verdict and one figure for every clause of the safety
requirements (docs/safety.md), computed from the TRUE load current and what
the simulated world did (the plant's view), never from what the firmware says
it did.

Input is a `Trace`:

- `samples`: (t_ms, load_uA, dac_code, led_green, led_red, tone_hz), the true
  signed load current and the output pins every `sample_ms`;
- `slots`: (t_end_ms, peak_uA), the exact peak |I| of every 10 ms slot of the
  plant (CPython in-process runs); without it the samples stand in;
- `phases`: (t0_ms, t1_ms, charge_uC), the exact charge of every polarity
  phase, as the plant integrates it;
- `actions`: (t_ms, action, args) what the world did to the board (the
  scenario script: buttons, contact, load, injections, USB, stalls, resets,
  power cuts, files written to the flash);
- `resets`: (t_ms, cause) as the chip rebooted;
- `events`: the firmware's observer events. They are used ONLY to name things
  (which session, why it ended, bench mode was entered); every verdict is
  measured on the plant;
- `settings_bytes`: the settings file the scenario put on the flash (None:
  none); the oracle validates it with the firmware's own validator to know
  the limits the user asked for;
- `files`: the flash's files at the end (name -> bytes); `cut_files`: a list
  of (t_ms, {name: bytes}) snapshots taken right after each power cut.

`judge(trace)` returns {"SR-01": clause, ..., "sessions": [...], "ok": bool,
"violations": [str]}; every clause has `ok`, `n` (how many instances were
judged; 0 is said, never hidden) and its figures, all numbers.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_FW = ROOT / "firmware"

HARD_CEILING_UA = 500
HW_MAX_UA = 600.0
TRIP_EXTRA_PCT = 10  # SR-01 layer 2 trips above limit*1.10 + 10 uA
TRIP_EXTRA_UA = 10
RAMP_MAX_UA_S = 200.0
NET_MAX_RATIO = 0.01
LIFT_MAX_MS = 100
TOLD_MAX_MS = 100
SHORT_MAX_MS = 2000  # SR-06 sets no time for a short: 2 s of drive into it (the firmware: 0.4..1.0 s)
OVERSHOOT_MAX = 0.05
SESSION_HARD_S = 1200
SENSOR_MAX_MS = 500
USB_MAX_MS = 50
SAMPLE_SLACK_MS = 10  # one sample period of measurement granularity
SHORT_OHMS = 200.0
SHORT_JUDGE_UA = 85  # regulator._SHORT_MIN_UA: the command from which a short is judged
OPEN_OHMS = 1.0e6  # a resistor this large is a lift for the stage (21.5 V at 21.5 uA)
HW_FAULTS = ("gain_drift",)
SENSE_FAULTS = ("sense_stuck", "sense_frozen", "sense_open", "sense_gain")


def _compliance_v():
    """The stage's compliance voltage (board.json, as the firmware has it)."""
    _, board, _ = _firmware()
    return board.COMPLIANCE_MV / 1000.0


def _firmware():
    """The firmware's own modules (settings validator, board constants)."""
    for p in (str(_FW), str(ROOT / "host_tools")):
        if p not in sys.path:
            sys.path.insert(0, p)
    if "micropython" not in sys.modules:
        from simboard import upy

        sys.modules["micropython"] = upy
    from wand import board, programs, settings

    return settings, board, programs


@dataclass
class Trace:
    samples: list = field(default_factory=list)
    slots: list = field(default_factory=list)
    phases: list = field(default_factory=list)
    actions: list = field(default_factory=list)
    resets: list = field(default_factory=list)
    events: list = field(default_factory=list)
    settings_bytes: bytes | None = None
    files: dict = field(default_factory=dict)
    cut_files: list = field(default_factory=list)
    end_ms: int = 0
    sample_ms: int = 10
    plant: dict = field(default_factory=dict)
    exceptions: list = field(default_factory=list)  # (t_ms, type, message) that reached the top
    load_ohms: float | None = None  # the run's starting load, when a resistor


def effective_settings(raw):
    """What the firmware must run with for this settings file: its validated
    fields, defaults for the rest (a corrupt file: all defaults)."""
    settings, _, _ = _firmware()
    eff = settings.defaults()
    if raw is None:
        return eff
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return eff
    if not isinstance(data, dict):
        return eff
    for name in settings.NAMES:
        if name in data:
            try:
                eff[name] = settings.validate_field(name, data[name])
            except settings.SettingsError:
                pass
    return eff


def _clause(ok, n, **figures):
    d = {"ok": bool(ok), "n": int(n)}
    d.update(figures)
    return d


class _View:
    """Derived, plant-side series shared by the clauses."""

    def __init__(self, tr: Trace):
        self.tr = tr
        _, board, programs = _firmware()
        self.ua_per_code = board.STAGE_UA_PER_CODE
        self.probe_ua = programs.PROBE_UA
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
        if tr.slots:
            self.env = [(t, p) for t, p in tr.slots]
        else:
            self.env = [(s[0], abs(s[1])) for s in tr.samples]
        self.dt = tr.sample_ms
        # disturbances: instants the world (not the firmware) moved the current
        self.lifts = []  # (t, kind)
        self.returns = []
        self.shorts = []
        self.disturb = []
        self.return_ohms = {}  # a return by a load action (or contact onto a resistor): its resistance
        last_load = getattr(tr, "load_ohms", None)  # the run's starting load, when a resistor
        short_on = False
        for t, act, args in tr.actions:
            a0 = args[0] if args else ""
            spec = a0 if act == "inject" else ""
            key, _, val = spec.partition("=")
            if key == "short":
                short_on = val not in ("off", "0")
            elif key == "clear":
                short_on = False
            if act == "contact" and a0 == "off" or key == "contact" and val == "off":
                if not short_on:  # (probes shorted together: lifting them changes nothing)
                    self.lifts.append(t)
            elif act == "contact" and a0 == "on" or key == "contact" and val == "on":
                self.returns.append(t)
            if act == "load" or key == "load_ohms":
                v = a0 if act == "load" else val
                try:
                    ohms = float(v)
                except ValueError:
                    ohms = None
                if ohms is not None and ohms >= OPEN_OHMS:
                    self.lifts.append(t)
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
            if act not in ("press", "hold", "release", "file"):
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


# --- SR-01 ------------------------------------------------------------------------

def _fault_windows(tr: Trace):
    """(t0, t1, kind) where a hardware fault (stage gain or sense) was injected."""
    out = []
    active = {}
    for t, act, args in tr.actions:
        if act != "inject" or not args:
            continue
        key, _, val = args[0].partition("=")
        if key == "clear":
            for k, t0 in active.items():
                out.append((t0, t, k))
            active = {}
        elif key in HW_FAULTS + SENSE_FAULTS:
            if key in ("gain_drift", "sense_gain") and val and abs(float(val) - 1.0) < 1e-9:
                if key in active:
                    out.append((active.pop(key), t, key))
                continue
            active.setdefault(key, t)
    for k, t0 in active.items():
        out.append((t0, tr.end_ms + 1, k))
    return out


def sr01(v: _View):
    tr = v.tr
    lim = v.limit
    fw = _fault_windows(tr)
    peak = max([p for _, p in v.env] + [abs(s[1]) for s in tr.samples] + [0.0])
    if tr.plant.get("peak_ua") is not None:
        peak = max(peak, float(tr.plant["peak_ua"]))
    exc = []
    cur = None
    step = 10 if tr.slots else v.dt
    for t, p in v.env:
        if p > lim + 0.5:
            if cur is None:
                cur = [t - step, t, p]
            else:
                cur[1] = t
                cur[2] = max(cur[2], p)
        elif cur is not None:
            exc.append(tuple(cur))
            cur = None
    if cur is not None:
        exc.append(tuple(cur))
    bad = []
    trip = lim * (100 + TRIP_EXTRA_PCT) / 100.0 + TRIP_EXTRA_UA
    for t0, t1, h in exc:
        kinds = {k for a, b, k in fw if a <= t1 and t0 <= b}
        dur = t1 - t0
        if not kinds:
            bad.append("SR-01: %.1f uA above the %d uA limit for %d ms at %d ms, with no hardware fault"
                       % (h - lim, lim, dur, t0))
        elif h > trip:
            allowed = 600 if kinds & set(SENSE_FAULTS) else 50
            if dur > allowed:
                bad.append("SR-01: %.1f uA (above the monitor's %.0f uA trip level) for %d ms at %d ms "
                           "with %s injected (allowed %d ms)" % (h, trip, dur, t0, ",".join(sorted(kinds)), allowed))
    if peak > HW_MAX_UA + 0.5:
        bad.append("SR-01: %.1f uA, above the hardware's 600 uA" % peak)
    worst = max(exc, key=lambda x: x[2] - lim) if exc else None
    return _clause(not bad, len(v.env), limit_ua=lim, peak_ua=round(peak, 2),
                   excursions=len(exc), worst_excess_ua=round(worst[2] - lim, 2) if worst else 0.0,
                   worst_excess_ms=(worst[1] - worst[0]) if worst else 0,
                   longest_excursion_ms=max((b - a for a, b, _ in exc), default=0),
                   above_600_ua=peak > HW_MAX_UA + 0.5), bad


# --- SR-04 ------------------------------------------------------------------------

def _stalls(tr: Trace):
    """(start, end) of every loop stall the scenario injects (ms)."""
    return [(x, x + (float(a[0]) if a else 3000.0)) for x, act, a in tr.actions if act == "stall"]


def _cycles(tr: Trace):
    """(t0, t1, q_pos, q_neg) from the exact phase records: a positive phase and
    the negative one after it."""
    ph = [p for p in tr.phases if p[2] != 0]
    out = []
    i = 0
    while i + 1 < len(ph):
        p, q = ph[i], ph[i + 1]
        if p[2] > 0 and q[2] < 0:
            out.append((p[0], q[1], p[2], q[2]))
            i += 2
        else:
            i += 1
    return out


def sessions(v: _View):
    """The sessions, each always named: (start, end, program, ended_by).
    A session cut by a reset or a power cut says so; one still running when
    the run ended says `run_end`."""
    tr = v.tr
    marks = []
    for t, k, a in tr.events:
        if k == "session_start":
            marks.append((t, 0, "start", a))
        elif k == "session_end":
            marks.append((t, 1, "end", a))
    cuts = {t for t, act, _ in tr.actions if act == "power_cut"}
    for t, c in tr.resets:
        marks.append((t, 2, "reset", [c]))
    for t in cuts:
        marks.append((t, 2, "reset", ["power_cut"]))
    marks.sort(key=lambda m: (m[0], m[1]))
    out = []
    cur = None
    for t, _o, kind, a in marks:
        if kind == "start":
            if cur is not None:
                out.append(dict(cur, end=t, ended_by="restarted"))
            cur = {"start": t, "program": a[0] if a else "?", "level": a[1] if len(a) > 1 else "?"}
        elif kind == "end" and cur is not None:
            why = a[0] if a else ""
            out.append(dict(cur, end=t, ended_by=why or "", delivered_s=int(a[1]) if len(a) > 1 else -1))
            cur = None
        elif kind == "reset" and cur is not None:
            name = {"wdt": "watchdog_reset", "power_on": "power_cut", "power_cut": "power_cut"}.get(
                a[0], a[0] + "_reset")
            out.append(dict(cur, end=t, ended_by=name))
            cur = None
    if cur is not None:
        out.append(dict(cur, end=tr.end_ms, ended_by="run_end"))
    return out


def sr04(v: _View, sess):
    tr = v.tr
    cyc = _cycles(tr)
    bad = []
    full = 0
    worst = 0.0
    worst_uc = 0.0
    worst_at = 0
    partial = 0
    prev_t0 = None
    starts = sorted(p[0] for p in tr.phases if p[2] != 0)
    import bisect

    for t0, t1, qp, qn in cyc:
        # a cycle is full when nothing from outside (a lift, a load step, an
        # injection, a reset, a fault) touched it or the cycle before it (whose
        # debt it may be paying)
        lo = prev_t0 if prev_t0 is not None else t0
        prev_t0 = t0
        big = max(qp, -qn)
        net = qp + qn
        # (its negative half lasts until the next phase begins: in a pulse
        # train the last pulse with current can be long before that, and a
        # lift in the gaps after it cuts the half short: fuzz seed 2602512212)
        k = bisect.bisect_right(starts, t1)
        end = starts[k] if k < len(starts) else tr.end_ms
        # (the last phase is still open when the run ends: whatever cut it, its
        # cycle is judged by the DC residue of its session, not as a full one)
        if v.near_disturb(lo, end, 30) or t1 >= tr.end_ms - 20 or t1 > getattr(tr, "_open_t0", 1 << 60):
            partial += 1
            continue
        full += 1
        r = abs(net) / big if big > 0 else 0.0
        worst_uc = max(worst_uc, abs(net))
        if big >= 0.05 and r > worst:
            worst, worst_at = r, t0
        # The output moves in DAC codes held for a tick: a cycle can be off by
        # one code for one tick (what a residue carried from the cycle before
        # pays), more than 1 % of a phase under 100 code-ticks (docs/safety.md)
        if big >= 0.05 and abs(net) > max(NET_MAX_RATIO * big, _code_tick_uc(v, t0)):
            bad.append("SR-04: cycle at %d ms nets %.4f uC, %.2f %% of its %.3f uC phase"
                       % (t0, net, r * 100, big))
    # DC residue at each session end, and the re-balance after every lift
    residue_max = 0.0
    residue_n = 0
    graceful = ("timer", "button", "battery", "idle")
    ph = tr.phases
    starts = sorted(x["start"] for x in sess)
    for s in sess:
        # its phases: up to 2 s after its end (the last ramp's phase), never
        # into the next session (one started 1.1 s after: fuzz seed 161898526)
        nxt = next((x for x in starts if x > s["start"]), 1 << 60)
        qs = [p[2] for p in ph if s["start"] <= p[0] < min(s["end"] + 2000, nxt)]
        if not qs:
            continue
        big = max(abs(q) for q in qs)
        res = abs(sum(qs))
        r = res / big if big > 0 else 0.0
        residue_n += 1
        open_at_end = _contact_open_at(v, s["end"])
        judged = s["ended_by"] in graceful and not open_at_end
        if judged:
            residue_max = max(residue_max, r)
            # each lift or return in the session may leave half a tick of
            # charge at the amplitude before it (the firmware cannot know where inside its
            # tick the load went open: docs/safety.md, residual risks)
            allow = sum(max(v.env_between(x - 100, x) + [0.0]) * _tick_ms(v, x) / 2000.0
                        for x in sorted(set(v.lifts + v.fw_lifts + v.returns + v.fw_returns))
                        if s["start"] <= x <= s["end"])
            allow += _gain_steps(v, s["start"], s["end"]) * big
            if big >= 0.05 and res > NET_MAX_RATIO * big + allow:
                bad.append("SR-04: the session ended by %s at %d ms left %.4f uC of DC, %.2f %% of a phase"
                           % (s["ended_by"], s["end"], sum(qs), r * 100))
        s["dc_residue_uc"] = round(sum(qs), 4)
    # partial cycles around lifts: the running net charge must come back within
    # 1 % of a phase within 10 s of contact returning
    rebalance_worst = 0.0
    rebalance_n = 0
    for t_on in sorted(set(v.returns + v.fw_returns)):
        s = next((x for x in sess if x["start"] <= t_on < x["end"]), None)
        if s is None:
            continue
        before = [p for p in ph if s["start"] <= p[0] < t_on]
        if not before:
            continue
        q = sum(p[2] for p in before)
        big = max(abs(p[2]) for p in before)
        after = [p for p in ph if t_on <= p[0] <= min(t_on + 10000, s["end"])]
        if t_on + 10000 > s["end"] and s["ended_by"] == "run_end":
            continue  # the run ended before the re-balance could be judged
        if not after or v.near_disturb(t_on + 1, after[-1][1], 0) or _contact_open_at(v, after[-1][1]):
            continue
        rebalance_n += 1
        best = abs(q)
        for p in after:
            q += p[2]
            best = min(best, abs(q))
        r = best / big if big > 0 else 0.0
        rebalance_worst = max(rebalance_worst, r)
        # The firmware cannot know where inside its tick the load went open:
        # half a tick of charge at the amplitude before the lift is allowed
        # on top of the 1 % (docs/safety.md, residual risks).
        lift = max([x for x in v.lifts + v.fw_lifts if x < t_on] + [s["start"]])
        amp = max(v.env_between(lift - 100, lift) + [0.0])
        # every change of the load inside a tick since the session began
        # (a lift, a return: contact flapping faster than a tick) may leave
        # half a tick at the amplitude before it, as at the session's end
        changes = sorted(set(x for x in v.lifts + v.fw_lifts + v.returns + v.fw_returns
                             if s["start"] <= x < t_on))
        flaps_uc = sum(max(v.env_between(x - 100, x) + [0.0]) * _tick_ms(v, x) / 2000.0 for x in changes)
        ohms = v.return_ohms.get(t_on)
        # what the load must take: the current before the lift, or the level's
        # setpoint (by the settings' level: buttons that changed it since are
        # not followed)
        eff = v.eff
        want = max(amp, min(eff["user_max_ua"], max(100, eff["user_max_ua"] * eff["level"] // 10)))
        if ohms is not None and ohms * want * 1e-6 >= 0.95 * _compliance_v():
            continue  # a load past the compliance for that current: still a lift (SR-06), nothing to pay into
        half_tick_uc = max(amp * _tick_ms(v, lift) / 2000.0, flaps_uc)
        # and a contact probe pulse (10 uA for a tick) that contact came back
        # inside: the sample before it saw the output off, so nothing tells
        # when in the pulse the load took it (up to one probe tick)
        half_tick_uc += v.probe_ua * 1.1 * 10 / 1000.0
        # and a step of the stage's gain since the session began (unobservable)
        half_tick_uc += _gain_steps(v, s["start"], t_on) * big
        if big >= 0.05 and best > NET_MAX_RATIO * big + half_tick_uc:
            bad.append("SR-04: after contact returned at %d ms the net charge never came back within 1 %% "
                       "(best %.2f %% of a phase in 10 s)" % (t_on, r * 100))
    return _clause(not bad, full + residue_n, full_cycles=full, partial_cycles=partial,
                   net_per_cycle_max_pct=round(worst * 100, 4),
                   net_per_cycle_max_uc=round(worst_uc, 5), worst_cycle_at_ms=worst_at,
                   sessions_judged=residue_n, dc_residue_max_pct=round(residue_max * 100, 4),
                   lifts_rebalanced=rebalance_n, rebalance_worst_pct=round(rebalance_worst * 100, 4)), bad


def _gain_steps(v: _View, a, b):
    """The relative steps of the stage's gain (gain_drift injections) between
    a and b. The engine balances DAC codes; a step inside a half makes the
    codes after it carry a different current, which the firmware cannot tell
    from a sense that drifted (docs/safety.md, residual risks): up to the step
    times one phase is left, once."""
    g = 1.0
    total = 0.0
    for t, act, args in v.tr.actions:
        if act != "inject" or not args:
            continue
        key, _, val = args[0].partition("=")
        if key == "clear":
            new = 1.0
        elif key == "gain_drift":
            try:
                new = float(val) if val else 1.0
            except ValueError:
                continue
        else:
            continue
        if a <= t <= b and new > 0 and g > 0:
            total += abs(new / g - 1.0)
        g = new
    return total


def _tick_ms(v: _View, t):
    """The firmware's loop period for the program running at t: 5 ms for
    phases under 10 ms (programs.tick_ms_for), else 10."""
    ph = [p for p in v.tr.phases if p[1] <= t][-4:]
    return 5 if ph and min(p[1] - p[0] for p in ph) < 10 else 10


def _code_tick_uc(v: _View, t):
    """One DAC code held for one tick of the program at t (µC), at the stage's
    gain plus its 10 % tolerance: the resolution of the output's charge."""
    _, board, _ = _firmware()
    return board.STAGE_UA_PER_CODE * 1.1 * _tick_ms(v, t) / 1000.0


def _setpoint_ua(v: _View):
    """The level's setpoint by the settings (buttons that changed it are not followed)."""
    eff = v.eff
    return min(eff["user_max_ua"], max(100, eff["user_max_ua"] * eff["level"] // 10))


def _contact_open_at(v: _View, t):
    """No contact at t: the last lift after the last return, or a return onto
    a resistor the stage cannot drive the setpoint into (a lift, SR-06)."""
    last = None
    for x in v.lifts:
        if x <= t:
            last = ("off", x) if last is None or x >= last[1] else last
    for x in v.returns:
        if x <= t and (last is None or x >= last[1]):
            last = ("on", x)
    if last is not None and last[0] == "on":
        ohms = v.return_ohms.get(last[1])
        if ohms is not None and ohms * _setpoint_ua(v) * 1e-6 >= 0.95 * _compliance_v():
            return True
    return last is not None and last[0] == "off"


# --- SR-05 ------------------------------------------------------------------------

def _units(v: _View):
    """Envelope units. Per cycle (a positive phase and the negative one that
    pays it back): (t0, t1, peak, t_peak). And, inside the long polarity
    blocks of a pulse train, per pulse: (t0, t1, peak, t_peak, block)."""
    import bisect

    cyc = _cycles(v.tr)
    env = v.env
    times = [t for t, _ in env]
    cycles, pulses = [], []
    for t0, t1, _qp, _qn in cyc:
        # the slots that end inside the cycle (a slot holds the 10 ms before its time)
        i = bisect.bisect_right(times, t0)
        j = bisect.bisect_right(times, t1)
        seg = env[i:j]
        if not seg:
            continue
        tp, pk = max(seg, key=lambda x: x[1])
        cycles.append((t0, t1, pk, tp))
        if t1 - t0 <= 1000:
            continue
        # the pulses of each polarity block, compared only with each other
        # (the step from one block to the next is phase to phase)
        mid = next((p[1] for p in v.tr.phases if p[0] == t0), (t0 + t1) // 2)
        for lo, hi in ((t0 - 10, mid), (mid, t1 + 10)):
            run = None
            for t, p in seg:
                if not lo <= t - 10 < hi:  # by where the 10 ms slot starts
                    continue
                if p > 0.5:
                    if run is None:
                        run = [t, t, p, t, lo]
                    else:
                        run[1] = t
                        if p > run[2]:
                            run[2], run[3] = p, t
                elif run is not None:
                    pulses.append(tuple(run))
                    run = None
            if run is not None:
                pulses.append(tuple(run))
    return cycles, pulses


def _rates(v, pts, same_block):
    best, at, n = 0.0, 0, 0
    j = 0
    for k in range(len(pts)):
        if j <= k:
            j = k + 1
        while j < len(pts) and pts[j][0] - pts[k][0] < 100:
            j += 1
        if j >= len(pts):
            break
        a, b = pts[k], pts[j]
        if same_block and a[4] != b[4]:
            continue
        if v.near_disturb(a[2], b[3], 150):
            continue
        n += 1
        rate = abs(b[1] - a[1]) * 1000.0 / (b[0] - a[0])
        if rate > best:
            best, at = rate, int(a[2])
    return best, at, n


def sr05(v: _View):
    cycles, pulses = _units(v)
    bad = []
    # groups of contiguous cycles (a pause longer than 600 ms splits them);
    # each group starts and ends at zero
    groups = []
    for u in cycles:
        if groups and u[0] - groups[-1][-1][1] <= 600:
            groups[-1].append(u)
        else:
            groups.append([u])
    best, at, n = 0.0, 0, 0
    for g in groups:
        pts = [(float(u[3]), u[2], u[0], u[1]) for u in g]
        first, last = g[0], g[-1]
        # the group starts and ends at zero unless something else (a disturbance,
        # current outside the recorded cycles, the end of the run) is there
        if not v.near_disturb(first[0] - 200, first[0], 0) and \
                max(v.env_between(first[0] - 300, first[0] - 20) + [0.0]) < 0.5:
            pts.insert(0, (float(first[0]), 0.0, first[0], first[0]))
        if not v.near_disturb(last[1], last[1] + 200, 0) and last[1] < v.tr.end_ms - 300 and \
                max(v.env_between(last[1] + 20, last[1] + 300) + [0.0]) < 0.5:
            pts.append((float(last[1]), 0.0, last[1], last[1]))
        b, a, k = _rates(v, pts, False)
        n += k
        if b > best:
            best, at = b, a
    b, a, k = _rates(v, [(float(u[3]), u[2], u[0], u[1], u[4]) for u in pulses], True)
    n += k
    if b > best:
        best, at = b, a
    if best > RAMP_MAX_UA_S:
        bad.append("SR-05: the envelope moved at %.0f uA/s at %d ms (at most 200)" % (best, at))
    return _clause(not bad, n, max_ramp_ua_per_s=round(best, 1), max_ramp_at_ms=at, cycles=len(cycles),
                   pulses=len(pulses)), bad


# --- SR-06 ------------------------------------------------------------------------

def _nominal_ua(v, s):
    return s[2] * v.ua_per_code


def sr06(v: _View):
    tr = v.tr
    bad = []
    smp = tr.samples
    lift_ms, told_ms, short_ms, overs, short_drive = [], [], [], [], []
    probe_max = v.probe_ua * 1.5 + 3
    stalls = _stalls(tr)
    for t in v.lifts:
        # the loop stalled: nothing runs to see the lift until the stall ends
        # (or the watchdog resets the chip, SR-02): judged from the stall's end
        inside = [end for x, end in stalls if x <= t < end]
        t_lift = t
        before = [s for s in smp if t - 30 <= s[0] < t]
        if inside:
            t = int(max(inside))
        if not before or max(_nominal_ua(v, s) for s in before) <= max(probe_max, 20):
            continue  # nothing (judgeable) was flowing when it was lifted
        if any(t - 30 <= f <= t for f in v.faults):
            continue
        # A lift can only be sensed when the output next drives current into
        # the open load (a pulse train's gap shows nothing): count from there.
        drive = next((s[0] for s in smp if s[0] >= t and _nominal_ua(v, s) > probe_max), None)
        if drive is None:
            continue
        if any(t_lift < x <= drive for x in v.returns):
            continue  # contact was back before anything could sense the lift (a flap)
        t = drive
        # output to zero: the DAC back to nothing or the probe
        z = next((s[0] for s in smp if s[0] >= t and _nominal_ua(v, s) <= probe_max), None)
        nxt = min([x for x in v.returns if x > t] + [x for x, _ in tr.resets if x > t] + [tr.end_ms])
        if z is None or z > nxt:
            if nxt - t > LIFT_MAX_MS + SAMPLE_SLACK_MS:
                bad.append("SR-06: lifted at %d ms, the output never went to zero" % t)
            continue
        lift_ms.append(z - t)
        if z - t > LIFT_MAX_MS + SAMPLE_SLACK_MS:
            bad.append("SR-06: lifted at %d ms, output at zero only after %d ms" % (t, z - t))
        # the user told: an LED/tone pattern not seen in the 2 s before
        seen = {(s[3], s[4], s[5]) for s in smp if t - 2000 <= s[0] < t}
        told = next((s[0] for s in smp if s[0] >= t and (s[3], s[4], s[5]) not in seen), None)
        if told is not None and told <= nxt:
            told_ms.append(told - t)
            if told - t > TOLD_MAX_MS + SAMPLE_SLACK_MS:
                bad.append("SR-06: lifted at %d ms, the user was told only after %d ms" % (t, told - t))
        elif nxt - t > TOLD_MAX_MS + SAMPLE_SLACK_MS:
            bad.append("SR-06: lifted at %d ms, the user was never told" % t)
    for t in v.shorts:
        t_short = t
        # judged from the first instant a judgeable current flows into it (the
        # lowest setpoint, clamped: 85 uA of command; a ramp paused below it
        # shows the sense nothing to judge)
        first = next((s[0] for s in smp if s[0] >= t and _nominal_ua(v, s) >= SHORT_JUDGE_UA
                      and abs(s[1]) >= 1.0), None)
        if first is None:
            continue
        t = first
        end = next((x for x, act, a in tr.actions if x > t_short and (
            act == "inject" and a and a[0] in ("short=off", "clear") or act in ("load", "power_cut")
            or act == "contact")), tr.end_ms)
        if end <= t:
            continue  # the short was gone before any current flowed into it
        # Judged on the time the output drove a judgeable current into it (a
        # pulse train's gaps, a pause, a ramp below 85 uA show the sense
        # nothing), summed over the whole short: a pause does not restart the
        # count. The fault must come within SHORT_MAX_MS of that drive; a
        # short the output stopped driving (the user paused or stopped, the
        # short went away) before SHORT_MAX_MS of it needs none.
        fault = next((f for f in v.faults if t - 20 <= f <= end + 50), None)
        stop = fault if fault is not None else end
        drive = sum(v.dt for s in smp if t <= s[0] < stop and _nominal_ua(v, s) >= SHORT_JUDGE_UA
                    and abs(s[1]) >= 1.0)
        if fault is None:
            if any(t < x <= end for x in v.disturb if x != t_short):
                continue  # something else (a lift, a load step) ended it
            if drive > SHORT_MAX_MS + SAMPLE_SLACK_MS:
                bad.append("SR-06: a short at %d ms was driven for %d ms and never stopped the session with "
                           "a fault" % (t, drive))
                short_ms.append(end - t)
            continue
        short_ms.append(fault - t)
        short_drive.append(drive)
        if drive > SHORT_MAX_MS + SAMPLE_SLACK_MS:
            bad.append("SR-06: a short at %d ms stopped the output after %d ms (%d ms of drive)"
                       % (t, fault - t, drive))
    # overshoot after contact returns
    for t_on in v.returns:
        lifts = [x for x in v.lifts if x < t_on]
        if not lifts:
            continue
        t_off = lifts[-1]
        # the setpoint before the lift: the peak over one polarity period of
        # the slowest program (a pulse train's negative block runs at its mean)
        pre = v.env_between(t_off - 6500, t_off - 20)
        if not pre or max(pre) < 20:
            continue
        presses = [x for x, act, a in tr.actions if act in ("press", "hold", "release") and t_off - 6500 <= x]
        nxt = min([x for x in v.disturb if x > t_on] + presses + [t_on + 15000, tr.end_ms])
        if any(x <= t_on for x in presses if x >= t_off - 6500):
            continue
        if any(t_off - 6500 <= x < t_off for x in v.disturb):
            continue  # something else moved the current before the lift
        post = v.env_between(t_on + 10, nxt - 10)
        if not post:
            continue
        a0 = max(pre)
        o = (max(post) - a0) / a0
        overs.append(o)
        if max(post) > a0 * (1 + OVERSHOOT_MAX) + 2.5:
            bad.append("SR-06: after contact returned at %d ms the current reached %.1f uA, %.1f %% over "
                       "the %.1f uA before the lift" % (t_on, max(post), o * 100, a0))
    n = len(lift_ms) + len(short_ms) + len(overs)
    return _clause(not bad, n, lifts=len(lift_ms), lift_to_zero_max_ms=max(lift_ms, default=0),
                   lift_to_told_max_ms=max(told_ms, default=0), shorts=len(short_ms),
                   short_to_fault_max_ms=max(short_ms, default=0),
                   short_drive_to_fault_max_ms=max(short_drive, default=0), returns=len(overs),
                   overshoot_max_pct=round(max(overs, default=0.0) * 100, 2)), bad


# --- SR-07 ------------------------------------------------------------------------

def _flow_runs(v: _View, a, b, gap=1000, probes=True):
    """Spans with current between a and b (gaps up to `gap` ms bridged);
    probes=False leaves out the contact probe's pulses while the firmware
    says no contact (SR-06 allows them; they are not stimulation)."""
    runs = []
    probe_max = v.probe_ua * 1.5 + 3
    spans = v.probing
    for s in v.tr.samples:
        if s[0] < a or s[0] > b or abs(s[1]) < 0.5:
            continue
        if not probes and abs(s[1]) <= probe_max and any(x <= s[0] < y for x, y in spans):
            continue
        if runs and s[0] - runs[-1][1] <= gap:
            runs[-1][1] = s[0] + v.dt
        else:
            runs.append([s[0], s[0] + v.dt])
    return runs


def sr07(v: _View, sess):
    tr = v.tr
    bad = []
    planned = min(v.eff["session_min"] * 60, SESSION_HARD_S)
    worst = 0.0
    for s in sess:
        on = sum(b - a for a, b in _flow_runs(v, s["start"], s["end"] + 500, probes=False)) / 1000.0
        s["current_s"] = round(on, 2)
        worst = max(worst, on)
        if on > SESSION_HARD_S or on > planned + 5:
            bad.append("SR-07: a session gave %.1f s of current (planned %d s, hard limit 1200 s)" % (on, planned))
    # idle auto-off: the LEDs go dark (deep sleep) within idle_off_s of the
    # last activity (a button, current, a boot), unless in bench mode
    idle_s = v.eff["idle_off_s"]
    bench = any(k == "bench" for _, k, _ in tr.events)
    act = [0] + [t for t, a, _ in tr.actions if a in ("press", "hold", "release", "power_on")]
    act += [t for t, _ in tr.resets]
    flows = _flow_runs(v, 0, tr.end_ms, 200)
    act += [r[1] for r in flows]
    act.sort()
    lit = [s[0] for s in tr.samples if s[3] or s[4] or s[5]]
    import bisect

    idle_worst = 0.0
    idle_n = 0
    if not bench and lit:
        for i, t in enumerate(act):
            nxt = act[i + 1] if i + 1 < len(act) else tr.end_ms
            # the last lit instant before the next activity
            k = bisect.bisect_left(lit, nxt) - 1
            if k < 0 or lit[k] < t:
                continue
            awake = lit[k] - t
            if nxt - t < idle_s * 1000 + 8000:
                continue  # not idle long enough to judge
            if any(a < nxt and b > t for a, b in flows):
                continue  # current flowed in between: a session, not idling
            idle_n += 1
            idle_worst = max(idle_worst, awake / 1000.0)
            if awake > idle_s * 1000 + 8000:
                bad.append("SR-07: still on %d s after the activity at %d ms (idle off after %d s)"
                           % (awake // 1000, t, idle_s))
    return _clause(not bad, len(sess) + idle_n, sessions=len(sess), current_max_s=round(worst, 2),
                   planned_s=planned, idle_judged=idle_n, awake_after_idle_max_s=round(idle_worst, 1),
                   idle_off_s=idle_s, bench=bench), bad


# --- SR-08 ------------------------------------------------------------------------

def _cal_ratio(v: _View):
    """measured / expected on a nominal board with the stored calibration:
    (nominal stage gain / calibrated) x (nominal sense / calibrated sense)."""
    settings, _, _ = _firmware()
    nom = settings.defaults()
    eff = v.eff
    try:
        return (nom["cal_gain_na"] / eff["cal_gain_na"]) * (nom["cal_sense_uv_per_ua"] / eff["cal_sense_uv_per_ua"])
    except (KeyError, ZeroDivisionError, TypeError):
        return 1.0


def sr08(v: _View):
    tr = v.tr
    bad = []
    times = []
    stalls = _stalls(tr)
    for t, act, args in tr.actions:
        if act != "inject" or not args:
            continue
        key, _, val = args[0].partition("=")
        if key not in SENSE_FAULTS + HW_FAULTS:
            continue
        if key in ("sense_gain", "gain_drift"):
            # what the firmware sees is measured / expected by its stored
            # calibration (defaults: nominal): an injected gain on a board
            # whose calibration is off by the opposite can be no drift at all
            # (cal_gain_na +20 %, stage x1.3: 8 %, fuzz seed 2602512212)
            f = float(val) * _cal_ratio(v)
            if 0.75 <= f <= 1.25:
                continue  # within or at the edge of the 20 % band: not a fault to detect
        end = next((x for x, a2, ar in tr.actions if x > t and (
            a2 == "inject" and ar and ar[0].partition("=")[0] in ("clear", key) or a2 == "power_cut")), tr.end_ms)
        # judge from the first instant a judgeable current (>= 40 uA nominal,
        # into a load that takes it) flows after the onset
        start = None
        for s in tr.samples:
            if s[0] < t:
                continue
            if s[0] > end:
                break
            if _nominal_ua(v, s) >= 40 and abs(s[1]) >= 10:
                start = s[0]
                break
        if start is None:
            continue
        # the loop stalled: nothing runs to see the fault until the stall
        # ends (fuzz seeds 1885321789, 3167224417): judged from its end
        for x, y in stalls:
            if x <= start < y:
                start = int(y)
        z = None
        for s in tr.samples:
            if s[0] < start:
                continue
            if s[0] > end:
                break
            if s[2] == 0 and abs(s[1]) < 0.5:
                if z is None:
                    z = s[0]
                if any(start <= f <= s[0] + 20 for f in v.faults) or s[0] - z >= 1000:
                    break
            else:
                z = None
        lift_between = any(start <= x <= (z or end) for x in v.lifts)
        if lift_between:
            continue
        if z is None:
            if end - start > SENSOR_MAX_MS + 50:
                bad.append("SR-08: %s at %d ms was never detected (%d ms of output)" % (args[0], t, end - start))
                times.append(end - start)
            continue
        times.append(z - start)
        if z - start > SENSOR_MAX_MS + SAMPLE_SLACK_MS:
            bad.append("SR-08: %s at %d ms: output cut only after %d ms" % (args[0], t, z - start))
    return _clause(not bad, len(times), injected=len(times), onset_to_fault_max_ms=max(times, default=0)), bad


# --- SR-09 ------------------------------------------------------------------------

def sr09(v: _View):
    tr = v.tr
    bad = []
    bench = any(k == "bench" for _, k, _ in tr.events)
    spans = []
    on = None
    for t, act, args in tr.actions:
        a0 = args[0] if args else ""
        if act == "usb" or (act == "inject" and a0.startswith("usb=")):
            val = a0 if act == "usb" else a0.partition("=")[2]
            if val in ("on", "1") and on is None:
                on = t
            elif val in ("off", "0") and on is not None:
                spans.append((on, t))
                on = None
    if on is not None:
        spans.append((on, tr.end_ms))
    worst = 0
    n = 0
    stalls = _stalls(tr)
    for a, b in spans:
        n += 1
        flow = [s[0] for s in tr.samples if a <= s[0] < b and abs(s[1]) >= 0.5]
        if not flow:
            continue
        ms = len(flow) * v.dt
        last = flow[-1] - a
        worst = max(worst, ms)
        # a loop stall inside the reaction time delays it by its length (the
        # firmware runs nothing while stalled; SR-02 bounds a stall at the
        # watchdog's 1 s): fuzz seed 874132115, a 50 ms stall 5 ms after USB
        allow = USB_MAX_MS
        for x, y in stalls:
            if x < a + allow and y > a:
                allow += min(y, b) - max(x, a)
        if not bench and (last > allow or ms > allow):
            bad.append("SR-09: %d ms of current with USB power present (from %d ms, the last at +%d ms)"
                       % (ms, a, last))
    return _clause(not bad, n, usb_spans=n, current_with_usb_max_ms=worst, bench=bench), bad


# --- SR-10, SR-12 ---------------------------------------------------------------------

def _settings_ok(raw, written):
    """The firmware's settings file is valid JSON with valid fields, unless it
    is byte for byte one the scenario itself put there."""
    settings, _, _ = _firmware()
    if raw is None or raw in written:
        return True
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    if not isinstance(data, dict):
        return False
    try:
        for k, val in data.items():
            settings.validate_field(k, val)
    except settings.SettingsError:
        return False
    return True


def _log_ok(files):
    """Every log line the firmware wrote parses; sequence numbers never repeat."""
    _firmware()
    from wand import eventlog

    seqs = []
    for name in eventlog.FILES:
        raw = files.get(name)
        if raw is None:
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return False
        lines = [ln for ln in text.split("\n") if ln]
        recs = [eventlog.parse_line(ln) for ln in lines]
        # a cut may lose the line being written, never corrupt an earlier one
        if any(r is None for r in recs[:-1]):
            return False
        seqs += [r["seq"] for r in recs if r is not None]
    return len(seqs) == len(set(seqs))


def sr10(v: _View):
    tr = v.tr
    bad = []
    snaps = list(tr.cut_files) + [(tr.end_ms, tr.files)]
    n = 0
    from simboard import script

    hostile_log = {a[0] for t, act, a in tr.actions if act == "file" and a and a[0].startswith("log")}
    written = {script.file_bytes(a) for t, act, a in tr.actions if act == "file" and a[0] == "settings.json"}
    if tr.settings_bytes is not None:
        written.add(tr.settings_bytes)
    for t, files in snaps:
        n += 1
        if not _settings_ok(files.get("settings.json"), written):
            bad.append("SR-10: settings.json unreadable or invalid after the cut at %d ms" % t)
        if not hostile_log and not _log_ok(files):
            bad.append("SR-10: the event log is broken after the cut at %d ms" % t)
    return _clause(not bad, n, snapshots=n), bad


def sr12(v: _View):
    """After a fault (or a watchdog reset) no current until a deliberate act:
    a long press of power, or a power cycle."""
    tr = v.tr
    bad = []
    n = 0
    acts = []
    for t, act, args in tr.actions:
        if act == "press" and args and args[0] == "power" and len(args) > 1 and float(args[1]) >= 1.4:
            acts.append(t)
        elif act == "hold" and args and args[0] == "power":
            acts.append(t)
        elif act in ("power_cut", "power_on"):
            acts.append(t)
    acts.sort()
    relatched = 0
    for f in v.faults:
        n += 1
        clear = next((a for a in acts if a >= f), tr.end_ms)
        flow = next((s[0] for s in tr.samples if f + 30 <= s[0] < clear and abs(s[1]) >= 0.5), None)
        if flow is not None:
            bad.append("SR-12: current at %d ms after the fault at %d ms, with no deliberate act" % (flow, f))
        resets = [c for t, c in tr.resets if f < t < clear]
        relatched += len(resets)
    return _clause(not bad, n, faults=n, resets_after_fault=relatched), bad


def sr02(v: _View):
    """A stall longer than the watchdog timeout resets the chip; shorter ones do not."""
    tr = v.tr
    bad = []
    n = 0
    for t, act, args in tr.actions:
        if act != "stall":
            continue
        ms = float(args[0]) if args else 3000.0
        nxt_reset = next((x for x, c in tr.resets if x >= t), None)
        awake = any(t - 2100 <= s[0] <= t and (s[3] or s[4] or s[5]) for s in tr.samples)
        if not awake:
            continue
        n += 1
        # The firmware left its loop for the REPL (Ctrl-C, `repl`, an exception)
        # since the last reset: the watchdog is relaxed by design, so the stall
        # need not reset the chip, but no current may flow until the next reset
        # (the output is locked off until the 1000 ms watchdog is re-armed).
        last_reset = max([x for x, _c in tr.resets if x <= t] + [-1])
        # (a leave inside the stall, before the watchdog could fire, counts too)
        left = next((e[0] for e in tr.events if e[1] == "leave" and last_reset < e[0] <= t + min(ms, 1000)),
                    None)
        if left is not None:
            end = nxt_reset if nxt_reset is not None else tr.end_ms
            flow = next((s[0] for s in tr.samples if left + 20 <= s[0] <= end and abs(s[1]) >= 0.5), None)
            if flow is not None:
                bad.append("SR-02: %.1f uA at %d ms after the firmware left its loop at %d ms"
                           % (abs(next(s[1] for s in tr.samples if s[0] == flow)), flow, left))
            continue
        if nxt_reset is None and t + 1000 + 500 > tr.end_ms:
            continue  # the run ends before the watchdog (1000 ms) could have fired
        if ms >= 1200 and (nxt_reset is None or nxt_reset > t + ms + 2500):
            if not any(t <= x <= t + 1000 for x, a, _ in tr.actions if a in ("power_cut", "soft_reset")):
                bad.append("SR-02: a %d ms stall at %d ms did not reset the chip" % (ms, t))
    return _clause(not bad, n, stalls=n), bad


# --- all --------------------------------------------------------------------------

def _close_open_phase(tr: Trace):
    """The plant closes a phase when the polarity changes: the last one is
    still open when the run ends (its charge is `open_phase_uc`)."""
    q = float(tr.plant.get("open_phase_uc", 0.0) or 0.0)
    if q != 0.0 and not getattr(tr, "_open_closed", False):
        t0 = tr.phases[-1][1] if tr.phases else 0
        # it began where current flowed again after the last closed phase (a
        # later session's, not the end of the one before)
        t0 = next((s[0] for s in tr.samples if s[0] >= t0 and abs(s[1]) >= 0.5), t0)
        last_flow = max([s[0] for s in tr.samples if abs(s[1]) >= 0.5] + [t0])
        tr.phases = list(tr.phases) + [(t0, max(t0, last_flow + tr.sample_ms), q)]
        tr._open_closed = True
        tr._open_t0 = t0


def judge(tr: Trace) -> dict:
    tr.actions = sorted(tr.actions, key=lambda a: a[0])  # a script may list them in any order
    _close_open_phase(tr)
    v = _View(tr)
    sess = sessions(v)
    out: dict = {}
    bad: list = []
    for name, fn in (("SR-01", sr01), ("SR-02", sr02), ("SR-05", sr05), ("SR-06", sr06), ("SR-08", sr08),
                     ("SR-09", sr09), ("SR-10", sr10), ("SR-12", sr12)):
        c, b = fn(v)
        out[name] = c
        bad += b
    c, b = sr04(v, sess)
    out["SR-04"] = c
    bad += b
    c, b = sr07(v, sess)
    out["SR-07"] = c
    bad += b
    for s in sess:
        if not s["ended_by"]:
            bad.append("sessions: the session started at %d ms ended without a name" % s["start"])
    out["sessions"] = sess
    out["limit_ua"] = v.limit
    out["effective_settings"] = v.eff
    out["violations"] = bad
    out["ok"] = not bad
    return dict(sorted(out.items()))


def violation_classes(verdict) -> list:
    """The SR IDs that failed, e.g. ['SR-01', 'SR-06']."""
    return sorted({b.split(":", 1)[0] for b in verdict["violations"]})


def output_figures(tr: Trace, t0: int, t1: int) -> dict:
    """The output characterization (docs/safety.md) over the whole cycles
    inside [t0, t1] ms, measured on the load: peak, r.m.s., largest phase
    charge, largest net charge of a cycle, mean amplitude while on."""
    cyc = [c for c in _cycles(tr) if c[0] >= t0 and c[1] <= t1]
    if cyc:
        a, b = cyc[0][0], cyc[-1][1]
    else:
        a, b = t0, t1
    env = [p for t, p in (tr.slots or [(s[0], abs(s[1])) for s in tr.samples]) if a < t <= b]
    smp = [s[1] for s in tr.samples if a <= s[0] < b]
    on = [abs(x) for x in smp if abs(x) >= 0.5]
    phases = [p for p in tr.phases if p[0] >= a and p[1] <= b]
    # phase durations: the on-time of each phase (a pulse train's block is
    # timed by its samples with current; a biphasic phase by its span)
    span_s = (b - a) / 1000.0
    return {
        "window_ms": [a, b],
        "cycles": len(cyc),
        "peak_ua": max(env + [abs(x) for x in smp] + [0.0]),
        "rms_ua": (sum(x * x for x in smp) / len(smp)) ** 0.5 if smp else 0.0,
        "mean_abs_ua": sum(abs(x) for x in smp) / len(smp) if smp else 0.0,
        "phase_charge_uc": max([abs(p[2]) for p in phases] + [0.0]),
        "phase_ms_max": max([p[1] - p[0] for p in phases] + [0]),
        "frequency_hz": len(cyc) / span_s if span_s > 0 else 0.0,
        "net_charge_per_cycle_uc": max([abs(c[2] + c[3]) for c in cyc] + [0.0]),
        "mean_on_ua": sum(on) / len(on) if on else 0.0,
    }
