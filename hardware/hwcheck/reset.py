"""SR-03: with the ESP32 in reset (all pins high-Z) the output is off. Reads
the "ESP32 in reset" cases of the fault runs (faults.py), whose table rows show
them; no simulation or table rows of its own."""

from __future__ import annotations

from .analysis import Analysis
from .limits import RESET_MAX_UA


def check(raw: dict) -> dict:
    rows = [f for f in raw["faults"]["faults"] if f["fault"].startswith("ESP32 in reset")]
    worst = max(f["max_load_ua"] for f in rows)
    return {"max_load_ua": worst, "ok": worst < RESET_MAX_UA}


ANALYSIS = Analysis("reset", check)
