"""The netlist omits the MOSFET body diodes (see models.lib): prove none would
conduct at any simulated DC point. No simulation of its own: it reads the
forward voltages every DC analysis recorded."""

from __future__ import annotations

from .analysis import Analysis
from .limits import BODY_FWD_MAX
from .markdown import pf


def check(raw: dict) -> dict:
    """The netlist omits the MOSFET body diodes (see models.lib): prove none
    would conduct at any simulated point."""
    vals = [r["body_fwd_v"] for r in raw["tracking"]["runs"]]
    vals.append(raw["sense"]["body_fwd_v"])
    vals += [p["body_fwd_v"] for p in raw["compliance"]["points"]]
    vals += [c["body_fwd_v"] for c in raw["limiter"]["corners"]]
    vals += [f["body_fwd_v"] for f in raw["faults"]["faults"]]
    worst = max(vals)
    return {"max_fwd_v": worst, "points": len(vals), "ok": worst < BODY_FWD_MAX}


def table(raw: dict, checks: dict) -> list[str]:
    bd = checks["body_diodes"]
    return [
        "| Unblocked MOSFET body diodes stay off | XMLIM, XMOE, Q1, XDA/XDB at every DC point (the bridge's"
        " and XMD's are in series with an opposed diode) "
        "| max forward %.3f V | < %g V | %s |" % (bd["max_fwd_v"], BODY_FWD_MAX, pf(bd["ok"]))
    ]


ANALYSIS = Analysis("body_diodes", check, table=table)
