"""SR-09 power supervision: the USB VBUS sense (GPIO35, a digital input) and the
battery divider (GPIO34, inside the ADC's linear range)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from .analysis import Analysis
from .limits import ADC_LINEAR_MV, USB_PIN_MAX_V
from .markdown import pf
from .scenarios import Ctx
from .spice import make_deck, run_deck


def _run(ctx: Ctx) -> dict:
    b = ctx.board["battery"]
    control = []
    cases = [("usb", v) for v in (0.0, ctx.a["usb_threshold_v"], 5.0, 5.25)]
    cases += [("bat", v) for v in (b["critical_v"], b["low_v"], b["nominal_v"], b["full_v"], 4.2)]
    for kind, v in cases:
        src = "vbuss" if kind == "usb" else "vbats"
        control += [
            "alter %s %g" % (src, v),
            "op",
            'echo "RES kind=%s v=%g usb=$&v(usb35) bat=$&v(adc_bat)"' % (kind, v),
        ]
    out = run_deck(make_deck(ctx.scen(), control))
    return {"points": out["res"]}


def simulate(ctx: Ctx, pool: ThreadPoolExecutor) -> dict:
    """USB VBUS sense (GPIO35) and battery divider (GPIO34)."""
    return pool.submit(_run, ctx).result()


def check(raw: dict) -> dict:
    b = raw["board"]
    usb = {p["v"]: p["usb"] for p in raw["supervision"]["points"] if p["kind"] == "usb"}
    bat = {p["v"]: p["bat"] for p in raw["supervision"]["points"] if p["kind"] == "bat"}
    v5 = usb[5.0]
    ok_usb = usb[0.0] <= b["vil_v"] and v5 >= b["vih_v"] and max(usb.values()) <= USB_PIN_MAX_V
    lo, hi = ADC_LINEAR_MV
    ok_bat = all(lo <= v * 1000 <= hi for v in bat.values())
    return {"usb": usb, "bat": bat, "ok_usb": ok_usb, "ok_bat": ok_bat, "ok": ok_usb and ok_bat}


def table(raw: dict, checks: dict) -> list[str]:
    b = raw["board"]
    sup = checks["supervision"]
    u = sup["usb"]
    bat = sup["bat"]
    return [
        "| USB sense (GPIO35) | VBUS 0 / %.1f / 5.0 / 5.25 V | %.2f / %.2f / %.2f / %.2f V | low ≤"
        " %.3f V, high ≥ %.3f V, ≤ %g V | %s |"
        % (
            b["usb_threshold_v"],
            u[0.0],
            u[b["usb_threshold_v"]],
            u[5.0],
            u[5.25],
            b["vil_v"],
            b["vih_v"],
            USB_PIN_MAX_V,
            pf(sup["ok_usb"]),
        ),
        "| Battery sense (GPIO34) | cell %s V | %s V | %g .. %g mV | %s |"
        % (
            " / ".join("%.2f" % k for k in bat),
            " / ".join("%.3f" % bat[k] for k in bat),
            ADC_LINEAR_MV[0],
            ADC_LINEAR_MV[1],
            pf(sup["ok_bat"]),
        ),
    ]


ANALYSIS = Analysis("supervision", check, simulate=simulate, table=table)
