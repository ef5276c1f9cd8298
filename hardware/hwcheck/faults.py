"""SR-01 under single faults: the DAC at full scale and one part failed, at the
nominal and worst corners, four loads, both polarities; the current through the
person stays under the hardware ceiling. Its "ESP32 in reset" cases are also
the reset analysis's (reset.py)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from .analysis import Analysis
from .markdown import pf
from .scenarios import FAULT_CORNERS, FAULT_LOADS, FAULTS, Ctx, corner, corner_name
from .spice import run_ops


def simulate(ctx: Ctx, pool: ThreadPoolExecutor) -> dict:
    jobs = []
    for name, over in FAULTS:
        for kind, t in FAULT_CORNERS:
            c = corner(kind, t)
            temp = c.pop("TEMP")
            dac = ctx.v33 * c.get("K_V33", 1.0)
            scen = ctx.scen(VDAC=dac, **c)
            scen.update(over)
            fut = pool.submit(run_ops, scen, FAULT_LOADS, (1, -1), ctx.v33, ctx.a["boost_v"], temp)
            jobs.append((name, kind, t, fut))
    by_fault: dict[str, dict] = {}
    for name, kind, t, fut in jobs:
        rows = fut.result()
        f = by_fault.setdefault(
            name,
            {
                "fault": name,
                "max_ua": 0.0,
                "max_load_ua": 0.0,
                "worst_corner": "",
                "vadc_i_mv": [],
                "body_fwd_v": -99.0,
            },
        )
        f["body_fwd_v"] = max(f["body_fwd_v"], max(r["body_fwd_v"] for r in rows))
        # delivered current: through the load, and out of the high side (every
        # path to the electrodes starts there, so it bounds any body current)
        worst = max(max(r["i_ua"], r["ihigh_ua"]) for r in rows)
        if worst >= f["max_ua"]:
            f["max_ua"] = worst
            f["worst_corner"] = corner_name(kind, t)
        f["max_load_ua"] = max(f["max_load_ua"], max(r["i_ua"] for r in rows))
        f["vadc_i_mv"] += [r["vadi"] * 1e3 for r in rows]
    return {"faults": [by_fault[n] for n, _ in FAULTS]}


def check(raw: dict) -> dict:
    lim = raw["board"]["hw_limit_max_ua"]
    rows = raw["faults"]["faults"]
    return {
        "faults": rows,
        "max_ua": max(f["max_ua"] for f in rows),
        "ok": all(f["max_ua"] <= lim for f in rows),
    }


def table(raw: dict, checks: dict) -> list[str]:
    lim_max = raw["board"]["hw_limit_max_ua"]
    return [
        "| SR-01 single fault, DAC full scale | %s; 4 loads, both polarities, worst at %s | %.1f"
        " µA (load %.1f µA) | ≤ %d µA | %s |"
        % (
            f["fault"],
            f["worst_corner"],
            f["max_ua"],
            f["max_load_ua"],
            lim_max,
            pf(f["max_ua"] <= lim_max),
        )
        for f in checks["faults"]["faults"]
    ]


ANALYSIS = Analysis("faults", check, simulate=simulate, table=table)
