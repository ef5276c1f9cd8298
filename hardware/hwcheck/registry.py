"""The one registry of analyses, and the drivers that run it.

To add an analysis: write a module beside the others with `simulate(ctx, pool)`
(its raw numbers), `check(raw)` (pass/fail with figures) and `table(raw, checks)`
(its rows of the README table), then list it in the three tables below.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from . import biphasic, body_diodes, compliance, faults, limiter, reversals, sense, supervision, tracking
from .design import BOARD_JSON, load_board, write_params
from .limits import check_board
from .scenarios import Ctx

# raw[name] = simulate(ctx, pool): the ngspice runs, in the order of the JSON dump
SIMULATIONS = {
    "tracking": tracking.simulate,
    "sense": sense.simulate,
    "compliance": compliance.simulate,
    "supervision": supervision.simulate,
    "biphasic": biphasic.simulate,
    "reversals": reversals.simulate,
    "limiter": limiter.simulate,
    "faults": faults.simulate,
}

# checks[name] = check(raw): in the order of the printed summary
CHECKS = {
    "tracking": tracking.check_tracking,
    "compliance": compliance.check,
    "polarity": tracking.check_polarity,
    "limiter": limiter.check,
    "faults": faults.check,
    "reset": faults.check_reset,
    "sense": sense.check,
    "vload": tracking.check_vload,
    "supervision": supervision.check,
    "body_diodes": body_diodes.check,
    "charge_balance": biphasic.check,
    "reversals": reversals.check,
}

# the README table's rows, in its order (the reset check has no row: its two
# faults are rows of the fault table)
TABLE = (
    tracking.table_tracking,
    compliance.table,
    tracking.table_polarity,
    limiter.table,
    faults.table,
    sense.table,
    tracking.table_vload,
    supervision.table,
    biphasic.table,
    reversals.table,
    body_diodes.table,
)


def simulate(board: dict | None = None) -> dict:
    """Every analysis's ngspice runs. The decks go through one pool of
    `workers` threads (one ngspice process each); the analyses wait on them
    from their own threads, so the pool stays full."""
    board = board or load_board(BOARD_JSON)
    check_board(board)
    write_params(board)
    ctx = Ctx(board)
    workers = max(2, os.cpu_count() or 2)
    with (
        ThreadPoolExecutor(max_workers=workers) as pool,
        ThreadPoolExecutor(max_workers=len(SIMULATIONS)) as analyses,
    ):
        futs = {name: analyses.submit(fn, ctx, pool) for name, fn in SIMULATIONS.items()}
        raw = {name: f.result() for name, f in futs.items()}
    raw["board"] = ctx.summary()
    return raw


def evaluate(raw: dict) -> dict:
    checks = {name: fn(raw) for name, fn in CHECKS.items()}
    checks["ok"] = all(c["ok"] for c in checks.values())
    return checks


def run_all(board: dict | None = None) -> tuple[dict, dict]:
    raw = simulate(board)
    return raw, evaluate(raw)
