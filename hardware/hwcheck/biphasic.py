"""SR-04 charge balance: a 10 Hz square biphasic program into board.json's skin
model, transient, driven as the firmware drives it; net charge per cycle at
most 1 % of the phase charge."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from .analysis import Analysis
from .limits import CHARGE_BALANCE_PCT
from .markdown import pf
from .reversals import reversal_stimulus
from .scenarios import Ctx, skin
from .spice import make_deck, run_deck

PERIOD_S = 0.1
CYCLES = 4


def _run(ctx: Ctx, ua: float) -> dict:
    code = int(round(ua / ctx.ua_per_code))
    vdac = code * ctx.v33 / 255.0
    scen = ctx.scen(VDAC=vdac, **skin(ctx.board))
    name = "bip_%d.dat" % code
    ctl = reversal_stimulus(ctx.v33, vdac, PERIOD_S / 2, True) + [
        "tran 20u %g 0 50u" % (PERIOD_S * CYCLES),
        "wrdata %s i(vmeas) i(vmh)" % name,
    ]
    t = run_deck(make_deck(scen, ctl), (name,))["files"][name]
    ts, il = t["time"], t["i(vmeas)"]
    nets, phases = [], []
    for k in range(1, CYCLES):  # the first cycle starts from rest
        q = qpos = 0.0
        for j in range(1, len(ts)):
            if k * PERIOD_S <= ts[j - 1] and ts[j] <= (k + 1) * PERIOD_S:
                dt = ts[j] - ts[j - 1]
                q += 0.5 * (il[j] + il[j - 1]) * dt
                qpos += 0.5 * (max(il[j], 0.0) + max(il[j - 1], 0.0)) * dt
        nets.append(q * 1e6)
        phases.append(qpos * 1e6)
    return {"code": code, "iset_ua": code * ctx.ua_per_code, "net_uc": nets, "phase_uc": phases}


def simulate(ctx: Ctx, pool: ThreadPoolExecutor) -> dict:
    """Transient: a 10 Hz square biphasic program into board.json's skin model
    (series R, then R || C), driven as the firmware drives it (DAC to 0 around
    the break-before-make gap). Net charge per cycle (SR-04)."""
    futs = [pool.submit(_run, ctx, ua) for ua in (200.0, 500.0)]
    return {"runs": [f.result() for f in futs], "period_s": PERIOD_S}


def check(raw: dict) -> dict:
    """SR-04: net charge per cycle at most 1 % of the phase charge."""
    worst = 0.0
    for r in raw["biphasic"]["runs"]:
        for net, phase in zip(r["net_uc"], r["phase_uc"], strict=True):
            worst = max(worst, abs(net) / phase * 100.0)
    return {"max_net_pct": worst, "ok": worst <= CHARGE_BALANCE_PCT}


def table(raw: dict, checks: dict) -> list[str]:
    out = []
    for r in raw["biphasic"]["runs"]:
        worst = max(abs(n) / p * 100 for n, p in zip(r["net_uc"], r["phase_uc"], strict=True))
        out.append(
            "| SR-04 net charge per cycle | %.0f µA, 10 Hz square biphasic, skin model of board.json, "
            "20 µs dead time (transient) | phase %.2f µC, net ≤ %.4f µC (%.3f %%) | ≤ %g %% | %s |"
            % (
                r["iset_ua"],
                min(r["phase_uc"]),
                max(abs(n) for n in r["net_uc"]),
                worst,
                CHARGE_BALANCE_PCT,
                pf(worst <= CHARGE_BALANCE_PCT),
            )
        )
    return out


ANALYSIS = Analysis("charge_balance", check, simulate=simulate, table=table, raw_key="biphasic")
