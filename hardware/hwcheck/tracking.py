"""Current tracking: DC sweeps of the DAC over codes 0..255, four loads, both
polarities; the current follows the setpoint wherever the load lets it. The
same sweeps serve the polarity (polarity.py), load-voltage sense (vload.py),
current-sense range (sense.py) and body-diode (body_diodes.py) checks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from .analysis import Analysis
from .limits import TRACK_TOL_PCT, TRACK_TOL_UA
from .markdown import ohms, pf
from .scenarios import TRACK_LOADS, Ctx
from .spice import SWEEP_EXTRA, legs, make_deck, run_deck, sweep_health


def _deck(ctx: Ctx, rl: float, pol: int) -> dict:
    step = ctx.v33 / 255.0
    name = "trk.dat"
    control = [
        "alter rload %g" % rl,
        *legs(pol, ctx.v33),
        "dc vdacs 0 %.9g %.9g" % (ctx.v33 + step / 4, step),
        "wrdata %s i(vmeas) i(vmh) v(adc_i) v(adc_v) v(ea) v(eb) v(vh) %s" % (name, SWEEP_EXTRA),
    ]
    return run_deck(make_deck(ctx.scen(), control), (name,))["files"][name]


def simulate(ctx: Ctx, pool: ThreadPoolExecutor) -> dict:
    """DC sweep of the DAC over 0..255 codes for each load and polarity (one
    ngspice process per sweep: a sweep that starts from a fresh operating
    point converges faster than one continued after `alter`)."""
    step = ctx.v33 / 255.0
    jobs = {(rl, pol): pool.submit(_deck, ctx, rl, pol) for rl in TRACK_LOADS for pol in (1, -1)}
    runs = []
    for (rl, pol), job in jobs.items():
        t = job.result()
        rows = []
        for i, v in enumerate(t["v-sweep"]):
            code = int(round(v / step))
            if code > 255:
                continue
            rows.append(
                {
                    "code": code,
                    "iset_ua": code * ctx.ua_per_code,
                    "i_ua": abs(t["i(vmeas)"][i]) * 1e6,
                    "i_signed_ua": t["i(vmeas)"][i] * 1e6,
                    "ihigh_ua": t["i(vmh)"][i] * 1e6,
                    "vadc_i_mv": t["v(adc_i)"][i] * 1e3,
                    "vadc_v_mv": t["v(adc_v)"][i] * 1e3,
                    "vload_v": abs(t["v(ea)"][i] - t["v(eb)"][i]),
                }
            )
        runs.append({"load": rl, "pol": pol, "rows": rows, "body_fwd_v": sweep_health(t)})
    return {"runs": runs}


def check(raw: dict) -> dict:
    """Per load: worst error where the setpoint is reachable (I*R <= compliance),
    and no overshoot anywhere (past compliance the current may only fall short)."""
    b = raw["board"]

    def tol(r):
        return TRACK_TOL_PCT / 100.0 * r["iset_ua"] + TRACK_TOL_UA

    out = []
    for load in TRACK_LOADS:
        rows = [r for run in raw["tracking"]["runs"] if run["load"] == load for r in run["rows"]]
        inside = [r for r in rows if r["iset_ua"] * 1e-6 * load <= b["compliance_v"]]
        worst = max(abs(r["i_ua"] - r["iset_ua"]) for r in inside)
        tracks = all(abs(r["i_ua"] - r["iset_ua"]) <= tol(r) for r in inside)
        no_overshoot = all(r["i_ua"] - r["iset_ua"] <= tol(r) for r in rows)
        out.append(
            {
                "load": load,
                "codes_in_compliance": len({r["code"] for r in inside}),
                "max_err_ua": worst,
                "i_code255_ua": max(r["i_ua"] for r in rows if r["code"] == 255),
                "no_overshoot": no_overshoot,
                "ok": tracks and no_overshoot and len(inside) > 0,
            }
        )
    return {"loads": out, "ok": all(x["ok"] for x in out)}


def table(raw: dict, checks: dict) -> list[str]:
    return [
        "| Current tracks setpoint | %s, codes 0..255, both polarities; %d codes within compliance"
        " | max error %.2f µA; %.1f µA at code 255 | ±(%g %% + %g µA), no overshoot | %s |"
        % (
            ohms(t["load"]),
            t["codes_in_compliance"],
            t["max_err_ua"],
            t["i_code255_ua"],
            TRACK_TOL_PCT,
            TRACK_TOL_UA,
            pf(t["ok"]),
        )
        for t in checks["tracking"]["loads"]
    ]


ANALYSIS = Analysis("tracking", check, simulate=simulate, table=table)
