"""The one registry of analyses, and the drivers that run it.

Each analysis is a module beside this one that declares its `ANALYSIS`
(analysis.py): its name, its `check(raw)` (pass/fail with figures), and, when
it has them, its `simulate(ctx, pool)` (its raw numbers) and `table(raw,
checks)` (its rows of the README table), side by side. To add one, write the
module and list it once in ANALYSES below.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from . import (
    biphasic,
    body_diodes,
    compliance,
    faults,
    limiter,
    polarity,
    reset,
    reversals,
    sense,
    supervision,
    tracking,
    vload,
)
from .analysis import Analysis
from .design import load_board, write_params
from .limits import check_board
from .paths import BOARD_JSON
from .scenarios import Ctx

# In the order of the printed summary and of the README table's rows. The
# checks run after every simulation, so an analysis may read the runs of
# others (body_diodes reads every DC analysis's, hence last).
ANALYSES: tuple[Analysis, ...] = tuple(
    m.ANALYSIS
    for m in (
        tracking,
        compliance,
        polarity,
        limiter,
        faults,
        reset,
        sense,
        vload,
        supervision,
        biphasic,
        reversals,
        body_diodes,
    )
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
        ThreadPoolExecutor(max_workers=len(ANALYSES)) as analyses,
    ):
        futs = {a.raw: analyses.submit(a.simulate, ctx, pool) for a in ANALYSES if a.simulate is not None}
        raw = {key: f.result() for key, f in futs.items()}
    raw["board"] = ctx.summary()
    return raw


def evaluate(raw: dict) -> dict:
    checks = {a.name: a.check(raw) for a in ANALYSES}
    checks["ok"] = all(c["ok"] for c in checks.values())
    return checks


def run_all(board: dict | None = None) -> tuple[dict, dict]:
    raw = simulate(board)
    return raw, evaluate(raw)
