"""The examples in README.md and docs/*.md are what the commands print: tools/docexamples.py re-runs
them (`wandctl sim`; the real firmware on a virtual board for the console) and compares."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import docexamples  # noqa: E402


def test_every_generated_example_matches_a_fresh_run():
    names = {n for p in docexamples.documents() for n, _ in docexamples.blocks_in(p)}
    assert {"sim", "console-session", "console-help", "console-stream"} <= names
    problems = docexamples.check(docexamples.generate(names))
    assert not problems, "\n\n".join(problems) + "\n\nrun `python tools/docexamples.py --write` if the change is meant"


def test_the_comparison_catches_a_drift_and_ignores_timing_only():
    block = "uptime      23 s\nwand> set user_max_ua 600\nerr denied: 600 uA is above the hard ceiling of 500 uA\n"
    assert docexamples.mask("console-session", block) == docexamples.mask(
        "console-session", block.replace("23 s", "41 s"))
    assert docexamples.mask("console-session", block) != docexamples.mask(
        "console-session", block.replace("500 uA", "600 uA"))
    rows = ("t_ms setpoint_ua measured_ua state load_kohm contact\n1 90 89 running 2.0 good\n"
            "2 90 90 running 2.1 good\n")
    assert docexamples.mask("console-session", rows) == docexamples.mask(
        "console-session", rows + "3 90 91 running 2.0 good\n")
