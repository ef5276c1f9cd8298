"""hardware/: one source for the numbers (board.json), a netlist that uses
them, a BOM that matches, docs that carry the safety notes. No ngspice needed."""

import csv
import re
import subprocess
from pathlib import Path

import pytest

from wandctl.tools import ToolNotFound, find_tool

ROOT = Path(__file__).resolve().parents[2]
HW = ROOT / "hardware"


def _params(text):
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"^\.param (\w+)=(\S+)$", text, re.M)}


def test_netlist_params_are_generated_from_board_json(check, board):
    inc = (HW / "netlist" / "board_params.inc").read_text(encoding="utf-8")
    assert inc == check.render_params(board), "run `make hardware-check` to regenerate board_params.inc"
    p = _params(inc)
    a = board["analog"]
    assert p["R_SET"] == a["r_set_ohms"]
    assert p["R_SENSE"] == a["sense_r_ohms"]
    assert p["R_DIV_BOT"] / (p["R_DIV_TOP"] + p["R_DIV_BOT"]) == pytest.approx(a["vi_divider_ratio"])
    assert p["R_SA_FB"] / p["R_SA_IN"] == pytest.approx(a["sense_gain"])
    v33 = p["V33"]
    assert v33 * 1000 == pytest.approx(a["dac_full_scale_mv"])
    assert v33 * p["R_OFF_BOT"] / (p["R_OFF_BOT"] + p["R_OFF_TOP_I"]) * 1000 == pytest.approx(a["sense_offset_mv"])
    assert v33 * p["R_OFF_BOT"] / (p["R_OFF_BOT"] + p["R_OFF_TOP_V"]) * 1000 == pytest.approx(a["vload_offset_mv"])
    v_lim = p["LIM_REF_V"] * p["R_D1"] / (p["R_D1"] + p["R_D2"])
    assert v_lim / p["R_LIM"] * 1e6 == pytest.approx(a["hw_limit_ua"])
    assert p["BOOST_V"] == a["boost_v"]
    assert p["R_BAT_BOT"] / (p["R_BAT_BOT"] + p["R_BAT_TOP"]) == pytest.approx(a["vbat_divider"])
    assert p["R_VL_FB"] / p["R_VL_IN"] == pytest.approx(a["vload_gain"])
    # the stage gain the firmware uses follows from these values
    ua_per_code = a["dac_full_scale_mv"] / 255 * a["vi_divider_ratio"] / a["r_set_ohms"] * 1000
    i_code = (v33 / 255) * p["R_DIV_BOT"] / (p["R_DIV_TOP"] + p["R_DIV_BOT"]) / p["R_SET"] * 1e6
    assert i_code == pytest.approx(ua_per_code)


def test_netlist_uses_the_generated_values():
    """No second copy of a board.json number in the circuit file."""
    cir = (HW / "netlist" / "microwand.cir").read_text(encoding="utf-8")
    for line in (
        "RSET f 0 {R_SET}",
        "RSENSE t f {R_SENSE}",
        "RDT dac vset {R_DIV_TOP}",
        "RDB vset 0 {R_DIV_BOT}",
        "RLIM vb ls {R_LIM*K_RLIM}",
        "RSA2 u1b_n i_amp {R_SA_FB}",
        "VBOOST vbi 0 {BOOST_V*K_VB}",
    ):
        assert line in cir
    body = "\n".join(ln for ln in cir.splitlines() if not ln.startswith("*"))
    for literal in ("1200", "1.2k", "570", "3.5", "0.0909", "24 "):
        assert literal not in body


BOM_COLUMNS = ["reference", "value", "tolerance", "part_number", "role", "approx_cost_usd"]


def _bom():
    with open(HW / "bom.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return rows


def _ohms(value):
    m = re.match(r"^([\d.]+)\s*([kM]?)", value)
    return float(m.group(1)) * {"": 1, "k": 1e3, "M": 1e6}[m.group(2)]


def test_bom_has_every_column_and_part():
    with open(HW / "bom.csv", newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert header == BOM_COLUMNS
    rows = _bom()
    refs = [r["reference"] for r in rows]
    assert len(refs) == len(set(refs))
    text = " ".join(r["part_number"] + " " + r["role"] + " " + r["value"] for r in rows).lower()
    for needed in (
        "esp32",
        "li-ion",
        "charger",
        "boost",
        "mcp6002",
        "mcp6041",
        "lm4040",
        "bss138",
        "bss84",
        "electrode",
        "gel",
        "resistor",
    ):
        assert needed in text, needed
    for r in rows:
        assert float(r["approx_cost_usd"]) >= 0
        assert r["role"].strip()


def test_bom_values_match_the_netlist(check, board):
    """The parts a builder buys are the values the simulation used (within the
    part's tolerance plus the nearest standard value)."""
    p = check.design_values(board)
    by_ref = {r["reference"]: r for r in _bom()}
    pairs = [
        ("R_SET", "RSET"),
        ("R_SENSE", "RSENSE"),
        ("R_DIV_TOP", "RDT"),
        ("R_DIV_BOT", "RDB"),
        ("R_LIM", "RLIM"),
        ("R_D1", "RD1"),
        ("R_D2", "RD2"),
        ("R_SA_IN", "RSA1"),
        ("R_SA_IN", "RSA3"),
        ("R_SA_FB", "RSA2"),
        ("R_SA_FB", "RSA4"),
        ("R_OFF_TOP_I", "ROFI1"),
        ("R_OFF_BOT", "ROFI2"),
        ("R_VL_IN", "RVA"),
        ("R_VL_IN", "RVB"),
        ("R_VL_FB", "RVF"),
        ("R_VL_GM", "RVG"),
        ("R_VL_B", "RVO"),
        ("R_VL_C", "RVC"),
        ("R_BAT_TOP", "RBT"),
        ("R_BAT_BOT", "RBB"),
        ("R_USB_TOP", "RUT"),
        ("R_USB_BOT", "RUB"),
        ("R_Z", "RZ"),
    ]
    # the reversal fix (hardware/README.md, "Polarity reversals")
    pairs += [
        ("R_MD1", "RMD1"),
        ("R_MD2", "RMD2"),
        ("R_MDX", "RMDA"),
        ("R_DL", "RDLA"),
        ("R_DL", "RDLB"),
        ("R_HSG", "RPA1"),
        ("R_HSG", "RPA2"),
        ("R_HSG", "RPB1"),
        ("R_HSG", "RPB2"),
        ("R_LSG", "RGNA"),
        ("R_LSG", "RGNB"),
        ("R_LVG", "RGA"),
        ("R_LVG", "RGB"),
    ]
    for param, ref in pairs:
        assert ref in by_ref, ref
        assert _ohms(by_ref[ref]["value"]) == pytest.approx(p[param], rel=0.01), ref
    # the (+) taps of the load-voltage sense: one from each high-side source
    for ref in ("RVHA", "RVHB"):
        assert _ohms(by_ref[ref]["value"]) == pytest.approx(2 * p["R_VL_A"], rel=0.01), ref
    # every diode and capacitor of the netlist is in the BOM
    for ref in ("DA", "DB", "DNA", "DNB", "DMD", "XMD", "XDA", "XDB", "CMA", "CMB", "C10", "CMD", "CDLA", "CDLB"):
        assert ref in by_ref, ref
    assert "bat54" in by_ref["DA"]["part_number"].lower()


def test_ensure_ngspice_is_a_noop_when_installed():
    try:
        find_tool("ngspice")
    except ToolNotFound:
        pytest.skip("ngspice absent: the install path is exercised by the session fixture")
    out = subprocess.run(["bash", str(HW / "ensure_ngspice.sh")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    assert out.stderr == ""


NOT_FOR = (
    "pacemaker",
    "defibrillator",
    "implant",
    "pregnan",
    "epilepsy",
    "eyes",
    "neck",
    "head",
    "chest",
    "broken",
    "inflamed",
    "usb",
    "under 18",
    "not a medical",
)


@pytest.mark.parametrize("doc", ["BUILD_GUIDE.md", "README.md"])
def test_docs_carry_the_not_for_list(doc):
    text = (HW / doc).read_text(encoding="utf-8").lower()
    for word in NOT_FOR:
        assert word in text, (doc, word)


def test_build_guide_walks_to_a_first_session_on_a_resistor(board):
    text = (HW / "BUILD_GUIDE.md").read_text(encoding="utf-8")
    low = text.lower()
    for step in (
        "without the esp32",
        "dummy",
        "multimeter",
        "wandctl flash",
        "10 kω",
        "in series",
        "only then",
    ):
        assert step in low, step
    for name, pin in board["pins"].items():
        assert re.search(r"GPIO ?%d\b" % pin, text), name
    assert "mA/cm²" in text


def test_readme_links_the_schematic_and_has_the_table(check):
    text = (HW / "README.md").read_text(encoding="utf-8")
    assert "(schematic.png)" in text
    assert check.BEGIN in text and check.END in text
    assert (ROOT / "hardware" / "schematic.png").stat().st_size > 10_000
