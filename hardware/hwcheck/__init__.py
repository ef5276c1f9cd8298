"""Simulate the microwand analog path in ngspice and check it against the
safety requirements (docs/safety.md).

`make hardware-check` runs it (hardware/check.py, or `python -m hwcheck` with
hardware/ on the path). It

1. writes hardware/netlist/board_params.inc from hardware/board.json (design.py),
2. runs the netlist hardware/netlist/microwand.cir in ngspice, batch mode
   (spice.py), over DAC codes, loads, polarities, tolerance/temperature corners
   and single faults (scenarios.py),
3. checks the results against limits.py: one module per analysis, each
   declaring its check and, when it has them, its simulation and its rows of
   the table side by side (tracking, compliance, polarity, limiter, faults,
   reset, sense, vload, supervision, biphasic, reversals, body_diodes), listed
   once in registry.py,
4. prints a report, rewrites the results table in hardware/README.md between
   the markers (report.py), optionally dumps the raw numbers (--json PATH),
   and exits non-zero when a check fails (cli.py).

Every number in the table comes from an ngspice run of this invocation.
"""

from .design import derived, design_values, load_board, render_params, write_params
from .errors import CheckError
from .limits import (
    ADC_LINEAR_MV,
    BODY_FWD_MAX,
    CHARGE_BALANCE_PCT,
    POLARITY_TOL_PCT,
    POLARITY_TOL_UA,
    RESET_MAX_UA,
    TRACK_TOL_PCT,
    TRACK_TOL_UA,
    VLOAD_TOL_MV,
)
from .paths import BOARD_JSON
from .registry import ANALYSES, evaluate, run_all, simulate
from .report import BEGIN, END, render_table, summary, write_readme_table
from .reversals import PIN_WRITE_S, reversal_stimulus
from .scenarios import base_scenario

__all__ = [
    "ADC_LINEAR_MV",
    "ANALYSES",
    "BEGIN",
    "BODY_FWD_MAX",
    "BOARD_JSON",
    "CHARGE_BALANCE_PCT",
    "CheckError",
    "END",
    "PIN_WRITE_S",
    "POLARITY_TOL_PCT",
    "POLARITY_TOL_UA",
    "RESET_MAX_UA",
    "TRACK_TOL_PCT",
    "TRACK_TOL_UA",
    "VLOAD_TOL_MV",
    "base_scenario",
    "derived",
    "design_values",
    "evaluate",
    "load_board",
    "render_params",
    "render_table",
    "reversal_stimulus",
    "run_all",
    "simulate",
    "summary",
    "write_params",
    "write_readme_table",
]
