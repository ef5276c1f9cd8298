"""SR-04 equal polarities: the tracking sweeps (tracking.py) compared code by
code, positive against negative, with the bridge legs mismatched. No
simulation of its own."""

from __future__ import annotations

from .analysis import Analysis
from .limits import POLARITY_TOL_PCT, POLARITY_TOL_UA
from .markdown import pf
from .scenarios import TRACK_LOADS


def check(raw: dict) -> dict:
    """SR-04: the same magnitude in both polarities, and really opposite signs
    (leg A drives electrode A positive, leg B electrode B)."""
    worst = 0.0
    worst_pct = 0.0
    ok = True
    wrong_sign = 0
    runs = raw["tracking"]["runs"]
    for load in TRACK_LOADS:
        pos = next(r for r in runs if r["load"] == load and r["pol"] > 0)["rows"]
        neg = next(r for r in runs if r["load"] == load and r["pol"] < 0)["rows"]
        for p, n in zip(pos, neg, strict=True):
            if p["code"] > 0 and not (p["i_signed_ua"] > 0 > n["i_signed_ua"]):
                wrong_sign += 1
            d = abs(p["i_ua"] - n["i_ua"])
            worst = max(worst, d)
            if p["i_ua"] > 10:
                worst_pct = max(worst_pct, d / p["i_ua"] * 100)
            if d > POLARITY_TOL_UA + POLARITY_TOL_PCT / 100 * p["i_ua"]:
                ok = False
    return {
        "max_diff_ua": worst,
        "max_diff_pct": worst_pct,
        "wrong_sign": wrong_sign,
        "ok": ok and wrong_sign == 0,
    }


def table(raw: dict, checks: dict) -> list[str]:
    pol = checks["polarity"]
    return [
        "| SR-04 both polarities equal | 4 loads × 256 codes, bridge legs mismatched (ΔVth 0.3 V) "
        "| max ∣I₊−I₋∣ %.3f µA (%.3f %%) | %g µA + %g %% | %s |"
        % (pol["max_diff_ua"], pol["max_diff_pct"], POLARITY_TOL_UA, POLARITY_TOL_PCT, pf(pol["ok"]))
    ]


ANALYSIS = Analysis("polarity", check, table=table)
