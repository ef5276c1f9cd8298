"""SR-01 at every instant: polarity reversals, transient. Two reversals (A->B,
B->A) after 6 ms phases, the legs and DAC switched as Supervisor.apply() does,
into the skin model and resistors; and with the DAC at full scale under single
faults. The peak is the largest instantaneous current through the person in the
2 ms after each reversal."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from .analysis import Analysis
from .limits import REV_OVERSHOOT_PCT, REV_OVERSHOOT_UA
from .markdown import ohms, pf
from .scenarios import SHORT, Ctx, corner, corner_name, skin
from .spice import make_deck, run_deck

# Supervisor.apply() at a reversal (firmware/wand/safety.py): DAC 0, leg off,
# other leg on, DAC code; about one pin write (PIN_WRITE_S) apart on the ESP32.
PIN_WRITE_S = 20e-6
DAC_EDGE_S = 2e-6  # the ESP32 DAC settles in a few microseconds
DEAD_TIME_S = 20e-6  # both legs low at a polarity change (transient run)
REV_HALF_S = 6e-3  # reversal runs: 6 ms per phase (4 time constants of the skin model: charged)
REV_TMAX_S = 1e-6  # their largest time step

# (name, setpoint uA or None for the DAC at full scale, load, DAC to 0 around
# the gap?, corner, fault overrides)
REVERSALS = [
    (None, 200.0, "skin", True, ("nom", 25.0), {}),
    (None, 500.0, "skin", True, ("nom", 25.0), {}),
    (None, 200.0, 500.0, True, ("nom", 25.0), {}),
    (None, 500.0, 500.0, True, ("nom", 25.0), {}),
    (None, 200.0, 10e3, True, ("nom", 25.0), {}),
    (None, 500.0, 10e3, True, ("nom", 25.0), {}),
    ("DAC at full scale, no DAC-0 step", None, "skin", False, ("nom", 25.0), {}),
    ("DAC at full scale, no DAC-0 step", None, 500.0, False, ("nom", 25.0), {}),
    ("DAC at full scale, no DAC-0 step", None, 10e3, False, ("nom", 25.0), {}),
    ("DAC at full scale, no DAC-0 step", None, "skin", False, ("max", 0.0), {}),
    ("DAC at full scale, no DAC-0 step", None, "skin", False, ("max", 45.0), {}),
    ("stage amplifier output at +rail", None, "skin", False, ("max", 0.0), {"F_U1A": 1}),
    ("limiter amplifier output at -rail (limiter bypassed)", None, "skin", False, ("max", 0.0), {"F_U3": -1}),
    ("enable stuck on", None, "skin", False, ("max", 0.0), {"F_OE": SHORT}),
    ("electrode A to ground through the body (500 ohm)", None, "skin", False, ("max", 0.0), {"F_BODY": 500.0}),
]


def reversal_stimulus(v33: float, vdac: float, half: float, dac_to_zero: bool) -> list[str]:
    """Legs and DAC as the firmware drives them (Supervisor.apply): leg A high
    from t=0; at each reversal (every `half`, from t=half) the DAC goes to 0,
    one pin write later the active leg drops, one later the other rises, one
    later the DAC gets its code back. dac_to_zero=False: the DAC stays at its
    code throughout (a DAC stuck at full scale, or firmware without the step)."""
    w, e = PIN_WRITE_S, 1e-6
    ctl = [
        "alter @vlega[pulse] = [ %g 0 %g %g %g %g %g ]" % (v33, half + w, e, e, half + w - e, 2 * half),
        "alter @vlegb[pulse] = [ 0 %g %g %g %g %g %g ]" % (v33, half + 2 * w, e, e, half - w - e, 2 * half),
    ]
    if dac_to_zero:
        ctl.append(
            "alter @vdacs[pulse] = [ %g 0 %g %g %g %g %g ]"
            % (vdac, half, DAC_EDGE_S, DAC_EDGE_S, 3 * w - DAC_EDGE_S, half)
        )
    return ctl


def _run(ctx: Ctx, case) -> dict:
    fault, ua, load, dac0, (kind, temp), over = case
    c = corner(kind, temp)
    temp_c = c.pop("TEMP")
    v33 = ctx.v33 * c.get("K_V33", 1.0)
    code = 255 if ua is None else int(round(ua / ctx.ua_per_code))
    vdac = code * v33 / 255.0
    s = dict(c, VDAC=vdac)
    if load == "skin":
        s.update(skin(ctx.board))
    else:
        s["RLOAD"] = load
    s.update(over)
    half = REV_HALF_S
    name = "rev.dat"
    ctl = reversal_stimulus(v33, vdac, half, dac0) + [
        "tran %g %g 0 %g" % (REV_TMAX_S, 2.5 * half, REV_TMAX_S),
        "wrdata %s i(vmeas) i(vmh) v(ea)" % name,
    ]
    t = run_deck(make_deck(ctx.scen(**s), ctl, temp_c), (name,))["files"][name]
    ts, il, ih = t["time"], t["i(vmeas)"], t["i(vmh)"]
    r_body = over.get("F_BODY")
    # current through the person: the load, plus the body path when it exists
    person = [abs(x) + (abs(v) / r_body if r_body else 0.0) for x, v in zip(il, t["v(ea)"], strict=True)]
    steady = [j for j in range(len(ts)) if half - 1e-3 <= ts[j] < half]
    revs = []
    for tr in (half, 2 * half):
        idx = [j for j in range(1, len(ts)) if tr <= ts[j] <= tr + 2e-3]
        jp = max(idx, key=lambda j: person[j])
        revs.append(
            {
                "peak_ua": person[jp] * 1e6,
                "at_us": (ts[jp] - tr) * 1e6,
                "high_side_peak_ua": max(abs(ih[j]) for j in idx) * 1e6,
            }
        )
    return {
        "fault": fault or "none",
        "iset_ua": None if ua is None else code * ctx.ua_per_code,
        "code": code,
        "load": load,
        "dac_to_zero": dac0,
        "corner": corner_name(kind, temp),
        "steady_ua": max(person[j] for j in steady) * 1e6,
        "peak_ua": max(r["peak_ua"] for r in revs),
        "peak_at_us": max(revs, key=lambda r: r["peak_ua"])["at_us"],
        "high_side_peak_ua": max(r["high_side_peak_ua"] for r in revs),
        "reversals": revs,
    }


def simulate(ctx: Ctx, pool: ThreadPoolExecutor) -> dict:
    """Transient: two polarity reversals (A->B, B->A) after 6 ms phases, the
    legs and DAC switched as Supervisor.apply() does, into the skin model and
    resistors, and with the DAC at full scale under single faults. The peak is
    the largest instantaneous current through the person in the 2 ms after
    each reversal (load current; plus the body path in the body fault)."""
    futs = [pool.submit(_run, ctx, case) for case in REVERSALS]
    return {"runs": [f.result() for f in futs], "half_s": REV_HALF_S}


def _fw_ok(r: dict, lim_max: float) -> bool:
    return r["peak_ua"] <= min(lim_max, r["steady_ua"] * (1 + REV_OVERSHOOT_PCT / 100) + REV_OVERSHOOT_UA)


def check(raw: dict) -> dict:
    """SR-01 at every instant: no polarity reversal pushes the current through
    the person above the hardware ceiling; with the firmware's DAC-0 step the
    peak is not above the steady current either (no overshoot at all)."""
    lim = raw["board"]["hw_limit_max_ua"]
    runs = raw["reversals"]["runs"]
    worst = max(r["peak_ua"] for r in runs)
    fw = [r for r in runs if r["dac_to_zero"]]
    over = max(r["peak_ua"] - r["steady_ua"] for r in fw)
    ok_fw = all(r["peak_ua"] <= r["steady_ua"] * (1 + REV_OVERSHOOT_PCT / 100) + REV_OVERSHOOT_UA for r in fw)
    return {"max_peak_ua": worst, "max_fw_overshoot_ua": over, "ok": worst <= lim and ok_fw}


def table(raw: dict, checks: dict) -> list[str]:
    lim_max = raw["board"]["hw_limit_max_ua"]
    out = []
    for r in raw["reversals"]["runs"]:
        load = "skin model" if r["load"] == "skin" else ohms(r["load"])
        if r["dac_to_zero"]:
            cond = "%.0f µA, %s, firmware sequence (DAC 0 around the 20 µs gap)" % (r["iset_ua"], load)
            limit = "≤ steady + 1 %%, ≤ %d µA" % lim_max
            ok = _fw_ok(r, lim_max)
        else:
            cond = "%s, %s, %s" % (r["fault"], load, r["corner"])
            limit = "≤ %d µA" % lim_max
            ok = r["peak_ua"] <= lim_max
        out.append(
            "| SR-01 polarity reversal (transient) | %s | peak %.1f µA (steady %.1f µA) | %s | %s |"
            % (cond, r["peak_ua"], r["steady_ua"], limit, pf(ok))
        )
    return out


ANALYSIS = Analysis("reversals", check, simulate=simulate, table=table)
