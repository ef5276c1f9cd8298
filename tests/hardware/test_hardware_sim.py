"""The analog path, simulated in ngspice by hardware/check.py, meets docs/safety.md.

Every assertion here is on numbers ngspice produced in this session."""

import copy
import subprocess
from pathlib import Path

import pytest

HW_NET = Path(__file__).resolve().parents[2] / "hardware" / "netlist"

LOADS = (500.0, 2e3, 10e3, 47e3)


def _faults(hw):
    raw, checks = hw
    return {f["fault"]: f for f in checks["faults"]["faults"]}


def test_current_tracks_setpoint_up_to_compliance(hw, check):
    raw, checks = hw
    by_load = {t["load"]: t for t in checks["tracking"]["loads"]}
    assert set(by_load) == set(LOADS)
    for load in (500.0, 2e3, 10e3):
        # 550 uA x 10 kohm = 5.5 V: every code is inside the compliance
        assert by_load[load]["codes_in_compliance"] == 256
    assert 150 < by_load[47e3]["codes_in_compliance"] < 256  # 47 kohm runs out of compliance
    for t in by_load.values():
        assert t["ok"], t
        assert t["max_err_ua"] <= check.TRACK_TOL_UA + check.TRACK_TOL_PCT / 100 * 550
    # the raw sweep really covers codes 0..255 for both polarities
    for run in raw["tracking"]["runs"]:
        assert [r["code"] for r in run["rows"]] == list(range(256))


def test_past_compliance_current_falls_short_never_over(hw, board):
    raw, checks = hw
    compliance = raw["board"]["compliance_v"]
    for run in raw["tracking"]["runs"]:
        if run["load"] != 47e3:
            continue
        top = run["rows"][255]
        assert top["i_ua"] < top["iset_ua"]
        # what it does deliver is at least the compliance voltage's worth
        assert top["i_ua"] * 1e-6 * 47e3 >= compliance
    assert all(t["no_overshoot"] for t in checks["tracking"]["loads"])


def test_compliance_voltage_meets_board_value(hw):
    raw, checks = hw
    need = raw["board"]["compliance_v"]
    assert checks["compliance"]["ok"]
    assert len(checks["compliance"]["points"]) == 2
    for p in checks["compliance"]["points"]:
        assert p["compliance_v"] >= need


def test_sr01_hardware_limiter_holds_under_single_faults(hw, board):
    raw, checks = hw
    ceiling = board["analog"]["hw_limit_max_ua"]
    faults = _faults(hw)
    for name in (
        "sense resistor shorted",
        "stage amplifier output at +rail",
        "sense amplifier output at +rail",
        "enable stuck on",
        "r_set shorted",
        "stage transistor drain-source short",
        "limiter sense resistor shorted",
        "limiter amplifier output at -rail (limiter bypassed)",
    ):
        assert name in faults
    for name, f in faults.items():
        assert f["max_ua"] <= ceiling, (name, f["max_ua"])
        assert f["max_load_ua"] <= f["max_ua"] + 1e-9
    # the faults that take the stage out of regulation are caught by the limiter:
    # current near the limiter's value, not near 0 (the fault really happened)
    for name in ("stage amplifier output at +rail", "r_set shorted", "stage transistor drain-source short"):
        assert faults[name]["max_ua"] > board["analog"]["hw_limit_ua"] * 0.95
    assert checks["faults"]["ok"]


def test_sr01_limiter_alone_bounds_a_path_to_ground_through_the_body(hw, board):
    f = _faults(hw)["electrode A to ground through the body (500 ohm)"]
    assert f["max_ua"] <= board["analog"]["hw_limit_max_ua"]


def test_sr01_limiter_corners_never_above_600ua(hw, board):
    raw, checks = hw
    a = board["analog"]
    corners = raw["limiter"]["corners"]
    assert len(corners) == 5
    for c in corners:
        assert c["max_ua"] <= a["hw_limit_max_ua"], c
    nominal = next(c for c in corners if c["kind"] == "nom")
    assert abs(nominal["min_ua"] - a["hw_limit_ua"]) / a["hw_limit_ua"] < 0.02


def test_sr01_limiter_leaves_the_normal_range_free(hw):
    raw, checks = hw
    lim = checks["limiter"]
    assert lim["min_ua"] > lim["stage_full_scale_ua"]
    assert lim["ok"]


def test_sr04_both_polarities_equal(hw, check):
    raw, checks = hw
    pol = checks["polarity"]
    assert pol["ok"]
    assert pol["max_diff_ua"] <= check.POLARITY_TOL_UA
    assert pol["wrong_sign"] == 0  # the legs really reverse the current
    for run in raw["tracking"]["runs"]:
        top = run["rows"][255]["i_signed_ua"]
        assert (top > 0) == (run["pol"] > 0)
    pols = {(r["load"], r["pol"]) for r in raw["tracking"]["runs"]}
    assert pols == {(load, p) for load in LOADS for p in (1, -1)}
    # the bridge legs are deliberately mismatched in the netlist
    base = check.base_scenario(check.load_board(check.BOARD_JSON))
    assert base["VT_PA"] != base["VT_PB"] and base["VT_NA"] != base["VT_NB"]


def test_sr03_output_off_with_esp32_in_reset(hw, check):
    raw, checks = hw
    assert checks["reset"]["ok"]
    assert checks["reset"]["max_load_ua"] < check.RESET_MAX_UA


def test_sense_amp_output_inside_adc_linear_range(hw, check):
    raw, checks = hw
    s = checks["sense"]
    lo, hi = check.ADC_LINEAR_MV
    assert lo <= s["min_mv"] and s["max_mv"] <= hi
    assert lo <= s["v_at_0ua_mv"] <= 250.0  # zero current reads above the dead zone
    assert s["i_top_ua"] >= 599.0  # the transfer was simulated up to 600 uA
    assert s["ok"]


def test_sense_amp_matches_firmware_formula(hw, board):
    raw, checks = hw
    a = board["analog"]
    for r in raw["sense"]["rows"]:
        want = a["sense_offset_mv"] + r["i_ua"] * a["sense_r_ohms"] * a["sense_gain"] / 1000.0
        assert abs(r["vadc_mv"] - want) <= 10.0 + 0.01 * want


def test_load_voltage_sense_matches_firmware_formula(hw, check):
    raw, checks = hw
    assert checks["vload"]["ok"]
    assert checks["vload"]["max_err_mv"] <= check.VLOAD_TOL_MV
    assert checks["vload"]["max_mv"] <= check.ADC_LINEAR_MV[1]


def test_sr09_usb_sense_reads_vbus(hw):
    raw, checks = hw
    sup = checks["supervision"]
    b = raw["board"]
    assert sup["usb"][5.0] >= b["vih_v"]
    assert sup["usb"][0.0] <= b["vil_v"]
    assert max(sup["usb"].values()) <= 3.6


def test_battery_sense_in_adc_range(hw, board):
    raw, checks = hw
    bat = checks["supervision"]["bat"]
    for v_cell, v_pin in bat.items():
        assert v_pin == pytest.approx(v_cell * board["analog"]["vbat_divider"], rel=1e-3)
    assert checks["supervision"]["ok_bat"]


def test_body_diodes_never_forward_biased(hw, check):
    raw, checks = hw
    assert checks["body_diodes"]["max_fwd_v"] < check.BODY_FWD_MAX


def test_check_flags_a_fault_above_600ua(hw, check):
    """The checker itself fails when a number breaks the limit."""
    raw, _ = hw
    bad = copy.deepcopy(raw)
    bad["faults"]["faults"][1]["max_ua"] = raw["board"]["hw_limit_max_ua"] + 1.0
    assert not check.evaluate(bad)["ok"]
    bad = copy.deepcopy(raw)
    run = bad["tracking"]["runs"][0]
    run["rows"][100]["i_ua"] *= 1.05
    assert not check.evaluate(bad)["tracking"]["ok"]


def test_results_table_is_written_between_markers(hw, check, tmp_path):
    raw, checks = hw
    table = check.render_table(raw, checks)
    assert "SR-01" in table and "SR-04" in table and "Overall: PASS" in table
    readme = tmp_path / "README.md"
    readme.write_text("intro\n%s\nold\n%s\noutro\n" % (check.BEGIN, check.END), encoding="utf-8")
    check.write_readme_table(table, readme)
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("intro\n") and text.endswith("outro\n")
    assert "old" not in text and table in text
    readme.write_text("no markers\n", encoding="utf-8")
    with pytest.raises(check.CheckError):
        check.write_readme_table(table, readme)


def test_sr04_net_charge_per_cycle_within_1_percent(hw, check, board):
    """Transient: square biphasic into the skin model of board.json."""
    raw, checks = hw
    runs = raw["biphasic"]["runs"]
    assert {round(r["iset_ua"]) for r in runs} == {201, 500}
    for r in runs:
        assert len(r["net_uc"]) == 3
        # the phase charge is what the setpoint says: I x half period
        want = r["iset_ua"] * raw["biphasic"]["period_s"] / 2
        for net, phase in zip(r["net_uc"], r["phase_uc"], strict=True):
            assert phase == pytest.approx(want, rel=0.05)
            assert abs(net) <= check.CHARGE_BALANCE_PCT / 100 * phase
    assert checks["charge_balance"]["ok"]


# ---------------------------------------------------------------------------
# SR-01 at every instant: polarity reversals (transient runs of check.py)
# ---------------------------------------------------------------------------
def _reversals(hw):
    raw, _ = hw
    return raw["reversals"]["runs"]


def test_sr01_no_current_spike_at_polarity_reversal(hw, board):
    """SR-01 layer 3 at every instant: the load current never exceeds 600 uA
    at a polarity reversal, driven as Supervisor.apply() drives the bridge (DAC
    0, leg off, other leg on, DAC code), into the skin model and resistors."""
    raw, checks = hw
    ceiling = board["analog"]["hw_limit_max_ua"]
    fw = [r for r in _reversals(hw) if r["dac_to_zero"]]
    assert {(round(r["iset_ua"]), r["load"]) for r in fw} == {
        (i, load) for i in (201, 500) for load in ("skin", 500.0, 10e3)
    }
    for r in fw:
        assert len(r["reversals"]) == 2  # A->B and B->A
        assert r["peak_ua"] <= ceiling, r
        # no overshoot at all: the peak is the steady phase current
        assert r["peak_ua"] <= r["steady_ua"] * 1.01 + 2.0, r
        assert r["steady_ua"] == pytest.approx(r["iset_ua"], rel=0.02, abs=2.0)
    assert checks["reversals"]["ok"]


def test_sr01_reversal_with_dac_stuck_at_full_scale_stays_under_600ua(hw, board):
    """The DAC stuck at full scale (no DAC-0 step at the reversal): the hardware
    alone keeps every instant under 600 uA, at the tolerance corners."""
    ceiling = board["analog"]["hw_limit_max_ua"]
    stuck = [r for r in _reversals(hw) if r["fault"] == "DAC at full scale, no DAC-0 step"]
    assert {r["load"] for r in stuck} == {"skin", 500.0, 10e3}
    assert {r["corner"] for r in stuck} >= {"nominal 25 C", "max 0 C", "max 45 C"}
    for r in stuck:
        assert r["code"] == 255 and not r["dac_to_zero"]
        assert r["steady_ua"] > 540.0  # the stage really runs at full scale
        assert r["peak_ua"] <= ceiling, r


def test_sr01_reversal_under_single_faults_stays_under_600ua(hw, board):
    """Reversals with the DAC at full scale and one more fault at the worst
    corner: stage amplifier railed (the limiter alone holds the current),
    limiter bypassed, enable stuck on, electrode A to ground through the body."""
    ceiling = board["analog"]["hw_limit_max_ua"]
    by = {r["fault"]: r for r in _reversals(hw)}
    for name in (
        "stage amplifier output at +rail",
        "limiter amplifier output at -rail (limiter bypassed)",
        "enable stuck on",
        "electrode A to ground through the body (500 ohm)",
    ):
        r = by[name]
        assert r["peak_ua"] <= ceiling, r
    # the railed stage is held by the limiter, near its value, through the reversal
    rail = by["stage amplifier output at +rail"]
    assert rail["steady_ua"] > board["analog"]["hw_limit_ua"] * 0.95


def test_check_flags_a_spike_at_a_reversal(hw, check):
    """The checker itself fails on a reversal spike above 600 uA, and on any
    overshoot with the firmware's sequence."""
    raw, _ = hw
    bad = copy.deepcopy(raw)
    bad["reversals"]["runs"][-1]["peak_ua"] = raw["board"]["hw_limit_max_ua"] + 1.0
    assert not check.evaluate(bad)["reversals"]["ok"]
    bad = copy.deepcopy(raw)
    r = next(r for r in bad["reversals"]["runs"] if r["dac_to_zero"])
    r["peak_ua"] = r["steady_ua"] * 1.2
    assert not check.evaluate(bad)["reversals"]["ok"]


def test_reversal_runs_use_the_firmware_sequence(check):
    """The transient stimulus is Supervisor.apply()'s order: DAC 0 first, leg
    off one pin write later, the other leg on one later, the code one later."""
    ctl = " ".join(check.reversal_stimulus(3.3, 2.0, 1e-3, True))
    w = check.PIN_WRITE_S
    assert "@vdacs[pulse] = [ 2 0 0.001 " in ctl  # DAC drops at the reversal
    assert "@vlega[pulse] = [ 3.3 0 %g " % (1e-3 + w) in ctl  # leg A off after one write
    assert "@vlegb[pulse] = [ 0 3.3 %g " % (1e-3 + 2 * w) in ctl  # leg B on after two
    assert "@vdacs" not in " ".join(check.reversal_stimulus(3.3, 2.0, 1e-3, False))


def test_model_has_body_diodes_and_the_bridge_blocks_them(ngspice, tmp_path):
    """The level-1 MOSFETs carry their body diode as the bulk junction (bulk
    tied to source): a P-MOSFET with its drain 0.7 V above its source conducts
    mA. Every bridge switch and the steering switch has a series diode opposed
    to its body diode, so the skin capacitance cannot discharge around the sink."""
    deck = tmp_path / "bd.cir"
    deck.write_text(
        "* body diode\n.include %s\nVS s 0 10\nVG g 0 10\nVD d 0 10.7\nX1 d g s BSS84\n"
        '.control\nop\necho "RES i=$&i(vd)"\nquit 0\n.endc\n.end\n' % (HW_NET / "models.lib"),
        encoding="utf-8",
    )
    out = subprocess.run([ngspice, "-b", str(deck)], capture_output=True, text=True, timeout=60)
    i = float(out.stdout.split("RES i=")[1].split()[0])
    assert abs(i) > 1e-3
    cir = (HW_NET / "microwand.cir").read_text(encoding="utf-8")
    for line in (
        "DA vh sa BAT54",
        "XPA ea gpa sa BSS84",
        "DB vh sb BAT54",
        "XPB eb gpb sb BSS84",
        "DNA ea na_d BAT54",
        "XNA na_d gnag k BSS138",
        "DNB eb nb_d BAT54",
        "XNB nb_d gnbg k BSS138",
        "DMD vh mdd BAS16",
        "XMD mdd gmd k BSS138",
    ):
        assert line in cir, line
