"""SR-01 layer 3, the hardware limiter: with the stage amplifier railed high
(the stage asks for ~1 mA) the limiter alone sets the current, at every
tolerance/temperature corner; and it stays above the stage's full scale, so
normal use never meets it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from .analysis import Analysis
from .markdown import pf
from .scenarios import CORNER_LOADS, CORNERS, Ctx, corner, corner_name
from .spice import run_ops


def simulate(ctx: Ctx, pool: ThreadPoolExecutor) -> dict:
    """Stage amplifier railed high (the stage asks for ~1 mA): the limiter alone
    sets the current, at every tolerance/temperature corner."""
    jobs = []
    for kind, t in CORNERS:
        c = corner(kind, t)
        temp = c.pop("TEMP")
        dac = ctx.v33 * c.get("K_V33", 1.0)
        scen = ctx.scen(VDAC=dac, F_U1A=1, **c)
        jobs.append((kind, t, pool.submit(run_ops, scen, CORNER_LOADS, (1, -1), ctx.v33, ctx.a["boost_v"], temp)))
    res = []
    for kind, t, fut in jobs:
        rows = fut.result()
        res.append(
            {
                "corner": corner_name(kind, t),
                "kind": kind,
                "min_ua": min(r["i_ua"] for r in rows),
                "max_ua": max(r["ihigh_ua"] for r in rows),
                "body_fwd_v": max(r["body_fwd_v"] for r in rows),
            }
        )
    return {"corners": res}


def check(raw: dict) -> dict:
    b = raw["board"]
    corners = raw["limiter"]["corners"]
    hi = max(c["max_ua"] for c in corners)
    lo = min(c["min_ua"] for c in corners)
    stage_fs = 255 * b["ua_per_code"]
    nominal = next(c for c in corners if c["kind"] == "nom")
    return {
        "max_ua": hi,
        "min_ua": lo,
        "nominal_ua": nominal["min_ua"],
        "stage_full_scale_ua": stage_fs,
        "ok": hi <= b["hw_limit_max_ua"] and lo > stage_fs,
    }


def table(raw: dict, checks: dict) -> list[str]:
    lim_max = raw["board"]["hw_limit_max_ua"]
    out = [
        "| SR-01 hardware limiter | stage amplifier railed, %s, loads 500 Ω..10 kΩ | %.1f .."
        " %.1f µA | ≤ %d µA | %s |" % (c["corner"], c["min_ua"], c["max_ua"], lim_max, pf(c["max_ua"] <= lim_max))
        for c in raw["limiter"]["corners"]
    ]
    lim = checks["limiter"]
    out.append(
        "| Limiter leaves normal range free | lowest limiter corner vs stage full scale | %.1f µA >"
        " %.1f µA | > full scale | %s |"
        % (lim["min_ua"], lim["stage_full_scale_ua"], pf(lim["min_ua"] > lim["stage_full_scale_ua"]))
    )
    return out


ANALYSIS = Analysis("limiter", check, simulate=simulate, table=table)
