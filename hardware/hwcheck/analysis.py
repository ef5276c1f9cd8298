"""What an analysis is: one entry of the registry (registry.py), declared by
its own module beside its simulation, its check and its table rows."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from .scenarios import Ctx


@dataclass(frozen=True)
class Analysis:
    """One analysis of the hardware check.

    name: its key in the checks and its line of the printed summary.
    check(raw) -> {"ok": bool, ...figures}: pass/fail against limits.py.
    simulate(ctx, pool) -> its raw numbers, stored as raw[raw_key or name];
        None for an analysis that reads the runs of others.
    table(raw, checks) -> its rows of the README results table; None when its
        results are rows of another analysis's table.
    """

    name: str
    check: Callable[[dict], dict]
    simulate: Callable[[Ctx, ThreadPoolExecutor], dict] | None = None
    table: Callable[[dict, dict], list[str]] | None = None
    raw_key: str | None = None

    @property
    def raw(self) -> str:
        """The key of its simulation's numbers in raw."""
        return self.raw_key or self.name
