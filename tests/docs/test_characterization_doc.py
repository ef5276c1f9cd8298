"""docs/characterization.md is what `wandctl characterize` prints: a fresh run
(seeded, so every figure is exact) must give the same table, or the document
has drifted from the firmware (regenerate it with the command in the README)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # sixteen 30 s sessions on the simulated board
def test_characterization_document_matches_a_fresh_run(tmp_path):
    out = tmp_path / "characterization.md"
    r = subprocess.run([sys.executable, "-m", "wandctl", "characterize", "--markdown", str(out)],
                       capture_output=True, text=True, cwd=ROOT, timeout=1200)
    assert r.returncode == 0, r.stderr
    assert out.read_text() == (ROOT / "docs" / "characterization.md").read_text(), (
        "docs/characterization.md drifted: run `wandctl characterize --markdown docs/characterization.md`")
