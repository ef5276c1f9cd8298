"""Current sense amplifier (GPIO36): its transfer over 0..600 µA against the
firmware's formula, and its output inside the ADC's linear range at every
simulated point (SR-08 reads it)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from .analysis import Analysis
from .limits import ADC_LINEAR_MV, SENSE_TOL_MV, SENSE_TOL_PCT
from .markdown import pf
from .scenarios import Ctx
from .spice import SWEEP_EXTRA, legs, make_deck, run_deck, sweep_health


def _run(ctx: Ctx) -> dict:
    i_max = ctx.a["hw_limit_max_ua"] * 1e-6
    v_end = i_max * ctx.a["r_set_ohms"] / ctx.a["vi_divider_ratio"]
    control = [
        "alter rload 2000",
        *legs(1, ctx.v33),
        "dc vdacs 0 %.9g %.9g" % (v_end * 1.0001, v_end / 120),
        "wrdata sense.dat i(vmeas) v(adc_i) %s" % SWEEP_EXTRA,
    ]
    out = run_deck(make_deck(ctx.scen(F_U3=-1), control), ("sense.dat",))
    t = out["files"]["sense.dat"]
    body = sweep_health(t)
    rows = [{"i_ua": abs(i) * 1e6, "vadc_mv": v * 1e3} for i, v in zip(t["i(vmeas)"], t["v(adc_i)"], strict=True)]
    return {"rows": rows, "body_fwd_v": body}


def simulate(ctx: Ctx, pool: ThreadPoolExecutor) -> dict:
    """Sense amplifier over 0..600 uA: DAC swept past full scale to 600 uA,
    limiter bypassed (bench characterization, not a use case)."""
    return pool.submit(_run, ctx).result()


def check(raw: dict) -> dict:
    b = raw["board"]
    lo, hi = ADC_LINEAR_MV
    rows = raw["sense"]["rows"]
    worst = 0.0
    ok_map = True
    for r in rows:
        want = b["sense_offset_mv"] + b["sense_mv_per_ua"] * r["i_ua"]
        e = abs(r["vadc_mv"] - want)
        worst = max(worst, e)
        if e > SENSE_TOL_MV + SENSE_TOL_PCT / 100 * want:
            ok_map = False
    # over every operating point of the tracking sweeps as well
    all_mv = [r["vadc_mv"] for r in rows]
    for run in raw["tracking"]["runs"]:
        all_mv += [r["vadc_i_mv"] for r in run["rows"]]
    # and in the fault runs where the sense amplifier itself is healthy
    for f in raw["faults"]["faults"]:
        if "sense amplifier" not in f["fault"]:
            all_mv += f["vadc_i_mv"]
    v0 = rows[0]["vadc_mv"]
    vmax_i = rows[-1]["i_ua"]
    vmax = rows[-1]["vadc_mv"]
    in_range = min(all_mv) >= lo and max(all_mv) <= hi
    return {
        "v_at_0ua_mv": v0,
        "i_top_ua": vmax_i,
        "v_at_top_mv": vmax,
        "min_mv": min(all_mv),
        "max_mv": max(all_mv),
        "max_map_err_mv": worst,
        "ok": ok_map and in_range and v0 >= lo,
    }


def table(raw: dict, checks: dict) -> list[str]:
    b = raw["board"]
    s = checks["sense"]
    return [
        "| Sense amplifier transfer | 0..%.0f µA vs %g mV + %g mV/µA | %.1f mV at 0 µA, %.1f mV at"
        " %.0f µA, max error %.2f mV "
        "| ±(%g mV + %g %%) | %s |"
        % (
            s["i_top_ua"],
            b["sense_offset_mv"],
            b["sense_mv_per_ua"],
            s["v_at_0ua_mv"],
            s["v_at_top_mv"],
            s["i_top_ua"],
            s["max_map_err_mv"],
            SENSE_TOL_MV,
            SENSE_TOL_PCT,
            pf(s["ok"]),
        ),
        "| Sense output in ADC linear range | every simulated point (sweeps and faults with a"
        " healthy sense amp) "
        "| %.1f .. %.1f mV | %g .. %g mV | %s |"
        % (
            s["min_mv"],
            s["max_mv"],
            ADC_LINEAR_MV[0],
            ADC_LINEAR_MV[1],
            pf(ADC_LINEAR_MV[0] <= s["min_mv"] and s["max_mv"] <= ADC_LINEAR_MV[1]),
        ),
    ]


ANALYSIS = Analysis("sense", check, simulate=simulate, table=table)
