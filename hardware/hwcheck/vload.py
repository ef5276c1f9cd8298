"""Load-voltage sense (GPIO39): at every point of the tracking sweeps
(tracking.py), its ADC voltage against the firmware's formula and inside the
ADC's linear range. No simulation of its own."""

from __future__ import annotations

from .analysis import Analysis
from .limits import ADC_LINEAR_MV, VLOAD_TOL_MV
from .markdown import pf


def check(raw: dict) -> dict:
    b = raw["board"]
    worst = 0.0
    vmax = 0.0
    for run in raw["tracking"]["runs"]:
        for r in run["rows"]:
            if r["code"] == 0:
                continue  # no current, bridge idle: the reading is not used
            want = b["vload_offset_mv"] + r["vload_v"] * b["vload_gain"] * 1000.0
            worst = max(worst, abs(r["vadc_v_mv"] - want))
            vmax = max(vmax, r["vadc_v_mv"])
    return {"max_err_mv": worst, "max_mv": vmax, "ok": worst <= VLOAD_TOL_MV and vmax <= ADC_LINEAR_MV[1]}


def table(raw: dict, checks: dict) -> list[str]:
    b = raw["board"]
    v = checks["vload"]
    return [
        "| Load-voltage sense (GPIO39) | all tracking points vs %g mV + %g·∣V_load∣ | max error %.2f"
        " mV, max %.0f mV | ±%g mV, ≤ %g mV | %s |"
        % (
            b["vload_offset_mv"],
            b["vload_gain"],
            v["max_err_mv"],
            v["max_mv"],
            VLOAD_TOL_MV,
            ADC_LINEAR_MV[1],
            pf(v["ok"]),
        )
    ]


ANALYSIS = Analysis("vload", check, table=table)
