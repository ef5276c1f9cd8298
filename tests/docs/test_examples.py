"""The examples in README.md and docs/*.md are what the commands print: tools/docexamples.py re-runs
them (`wandctl sim`; the real firmware on a virtual board for the console) and compares."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import docexamples  # noqa: E402


@pytest.mark.slow  # a 5-minute session and the firmware on a virtual board, re-run
def test_every_generated_example_matches_a_fresh_run():
    names = {n for p in docexamples.documents() for n, _ in docexamples.blocks_in(p)}
    assert {"sim", "console-session", "console-help", "console-stream"} <= names
    assert {"image-build", "image-refusals", "web-manifest", "flash-image"} <= names
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


def test_the_flashing_examples_show_the_whole_run_and_mask_only_what_varies():
    blocks = dict(docexamples.blocks_in(ROOT / "docs" / "flashing.md"))
    flash = blocks["flash-image"]
    assert flash.rstrip("\n").splitlines()[-1].startswith("the firmware answers hello: {")
    assert "nothing was written" in flash and "Hash of data verified." in flash
    assert '"new_install_improv_wait_time": 0' in blocks["web-manifest"]
    build = blocks["image-build"]
    # the sha256 prefix changes with any firmware byte: not compared; sizes and file counts are
    assert docexamples.mask("image-build", build) == docexamples.mask(
        "image-build", build.replace("sha256 ", "sha256 0123abcd", 1))
    assert docexamples.mask("image-build", build) != docexamples.mask(
        "image-build", build.replace(" files", "0 files", 1))
    assert docexamples.mask("image-build", build) != docexamples.mask(
        "image-build", build.replace(" bytes ", "1 bytes ", 1))
    # esptool's speed and ratio vary from run to run; what it wrote where does not
    wrote = next(line for line in flash.splitlines() if line.startswith("Wrote "))
    faster = flash.replace(wrote, wrote.replace(" in ", " in 9", 1))
    assert docexamples.mask("flash-image", flash) == docexamples.mask("flash-image", faster)
    assert docexamples.mask("flash-image", flash) != docexamples.mask(
        "flash-image", flash.replace("flash 4MB", "flash 8MB", 1))
