"""Compliance voltage: the load swept at fixed setpoints; the stage must drive
at least board.json's compliance voltage (SR-06 tells contact from it)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from .analysis import Analysis
from .markdown import pf
from .scenarios import Ctx
from .spice import SWEEP_EXTRA, make_deck, run_deck, sweep_health


def _run(ctx: Ctx) -> dict:
    codes = [255, int(round(500.0 / ctx.ua_per_code))]
    control = []
    names = []
    for code in codes:
        name = "comp_%d.dat" % code
        names.append(name)
        control += [
            "alter vdacs %.9g" % (code * ctx.v33 / 255.0),
            "dc rload 20000 70000 100",
            "wrdata %s i(vmeas) v(ea) v(eb) %s" % (name, SWEEP_EXTRA),
        ]
    out = run_deck(make_deck(ctx.scen(), control), tuple(names))
    res = []
    for code in codes:
        t = out["files"]["comp_%d.dat" % code]
        body = sweep_health(t)
        iset = code * ctx.ua_per_code
        vmax = 0.0
        for i, va, vb in zip(t["i(vmeas)"], t["v(ea)"], t["v(eb)"], strict=True):
            if abs(i) * 1e6 >= 0.98 * iset:
                vmax = max(vmax, abs(va - vb))
        res.append({"code": code, "iset_ua": iset, "compliance_v": vmax, "body_fwd_v": body})
    return {"points": res}


def simulate(ctx: Ctx, pool: ThreadPoolExecutor) -> dict:
    """Sweep the load at fixed setpoints; compliance = load voltage where the
    current first falls 2 % below the setpoint."""
    return pool.submit(_run, ctx).result()


def check(raw: dict) -> dict:
    pts = raw["compliance"]["points"]
    need = raw["board"]["compliance_v"]
    return {
        "points": pts,
        "min_v": min(p["compliance_v"] for p in pts),
        "ok": all(p["compliance_v"] >= need for p in pts),
    }


def table(raw: dict, checks: dict) -> list[str]:
    b = raw["board"]
    return [
        "| Compliance voltage | %.0f µA (code %d), load swept 20..70 kΩ | %.2f V | ≥ %.1f V | %s |"
        % (
            p["iset_ua"],
            p["code"],
            p["compliance_v"],
            b["compliance_v"],
            pf(p["compliance_v"] >= b["compliance_v"]),
        )
        for p in checks["compliance"]["points"]
    ]


ANALYSIS = Analysis("compliance", check, simulate=simulate, table=table)
