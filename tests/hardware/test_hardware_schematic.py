"""hardware/schematic.py draws the circuit headless and the README shows it."""

import importlib.util
from pathlib import Path

import pytest

HW = Path(__file__).resolve().parents[2] / "hardware"


def _schematic():
    spec = importlib.util.spec_from_file_location("microwand_hw_schematic", HW / "schematic.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow  # draws the whole schematic
def test_schematic_regenerates_without_error(tmp_path):
    out = tmp_path / "schematic.png"
    assert _schematic().main([str(out)]) == 0
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 50_000  # a full drawing, not an empty canvas


def test_schematic_shows_the_board_json_values(tmp_path, check, board):
    """The labels come from check.design_values(board.json), not from literals."""
    src = (HW / "schematic.py").read_text(encoding="utf-8")
    assert "design_values(board)" in src
    for literal in ("1.2k", "570", '24 V"', "3.57M"):
        assert literal not in src
