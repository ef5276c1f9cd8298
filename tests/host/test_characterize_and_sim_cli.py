"""wandctl characterize and wandctl sim end to end (subprocesses of the real CLI)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from wandctl.characterization import characterize

ROOT = Path(__file__).resolve().parents[2]
WANDCTL = [sys.executable, "-m", "wandctl"]


@pytest.mark.slow  # a full session
def test_characterization_every_program_regulates_and_stays_balanced():
    """SR-01/SR-04 at the top level on resistive loads. 47 kOhm is past the
    compliance for the top level (470 uA x 47 kOhm = 22 V > 21.5 V): SR-06
    counts a load the stage cannot drive the setpoint into as a lift, so the
    wand says no contact within its start ramp and drives only its 10 uA
    contact probe (not a fault)."""
    rows = characterize([2000, 47000])
    assert {r["program"] for r in rows} == {"lift", "tone", "smooth", "pulse"}
    for r in rows:
        assert not r["faults"], r
        assert r["peak_ua"] <= 500 * 1.02, r
        assert r["net_charge_per_cycle_uc"] <= 0.01 * r["phase_charge_uc"] + 0.05, r
        if r["load_ohms"] == 2000:
            assert not r["no_contact"], r
            # the SR-01 clamp assumes the worst real stage gain (+6 %): on a
            # board at nominal gain the top level is ~6 % under (docs/safety.md)
            assert -7.0 <= r["regulation_error_pct"] <= 2.0, r
        else:
            assert r["no_contact"] and r["peak_ua"] <= 30, r


def run(*args, timeout=300):
    return subprocess.run(WANDCTL + list(args), capture_output=True, text=True, cwd=ROOT, timeout=timeout)


@pytest.mark.slow  # a full session
def test_sim_default_session_writes_summary_and_plot(tmp_path):
    summary, plot = tmp_path / "summary.json", tmp_path / "session.png"
    r = run("sim", "--summary-json", str(summary), "--plot", str(plot))
    assert r.returncode == 0, r.stderr
    assert "contact lost" in r.stdout and "session end: by timer" in r.stdout
    s = json.loads(summary.read_text())
    for key in ("program", "level", "planned_s", "delivered_s", "ended_by", "peak_current_ua", "rms_current_ua",
                "net_charge_uc", "max_phase_charge_uc", "contact_losses", "faults", "max_ramp_ua_per_s", "resets"):
        assert key in s, key
    # (lift's ramp-down starts up to 3 s early: its envelope waits through each negative half)
    assert s["ended_by"] == "timer" and s["planned_s"] == 300 and 297 <= s["delivered_s"] <= 300
    assert s["level"] == 5 and s["contact_losses"] == 1 and s["faults"] == [] and s["resets"] == []
    # SR-05 allows 200; the design (90 µA/s envelope) keeps a clear margin, so
    # an artefact such as a probe dip on a ramp shows up here first
    assert s["max_ramp_ua_per_s"] <= 150
    assert s["net_per_cycle_max_ratio"] <= 0.01
    assert plot.stat().st_size > 20000 and plot.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("args,needle", [
    (["--minutes", "25"], "--minutes"),
    (["--level", "0"], "--level"),
    (["--program", "zap"], "--program"),
    (["--inject", "short"], "NAME[=VALUE]@SECONDS"),
    (["--inject", "lightning@3"], "unknown fault"),
    (["--inject", "gain_drift@3"], "needs a value"),
    (["--inject", "gain_drift=x@3"], "not a number"),
    (["--script", "/nonexistent/script"], "--script"),
    (["--load-ohms", "-5"], "--load-ohms"),
])
def test_sim_user_mistakes_are_one_line_and_exit_1(args, needle):
    r = run("sim", *args)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert r.stderr.startswith("wandctl: ") and needle in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def test_sim_bad_script_line_is_reported(tmp_path):
    bad = tmp_path / "bad.script"
    bad.write_text("1.0 press power 0.2\nsoon dance\n")
    r = run("sim", "--script", str(bad))
    assert r.returncode == 1 and r.stderr.startswith("wandctl: script %s line 2: bad time " % bad), r.stderr


@pytest.mark.slow  # a full session
def test_sim_injected_fault_ends_by_fault(tmp_path):
    summary = tmp_path / "s.json"
    r = run("sim", "--minutes", "1", "--inject", "sense_open@20", "--summary-json", str(summary))
    assert r.returncode == 0, r.stderr
    s = json.loads(summary.read_text())
    assert s["ended_by"] == "fault" and 3 in s["faults"]


def test_sim_summary_of_a_run_that_ends_inside_the_session(tmp_path):
    """`--seconds 40` ends the run while the session still runs: the wand writes its load estimate with the
    session's end, so there is none, but current flowed: the summary says why, not `not measured`. The
    current density is r.m.s. over the electrode, as README and docs/characterization.md define it (it was
    the peak)."""
    summary = tmp_path / "s.json"
    r = run("sim", "--load-ohms", "2000", "--seconds", "40", "--summary-json", str(summary))
    assert r.returncode == 0, r.stderr
    s = json.loads(summary.read_text())
    assert s["ended_by"] != "timer" and s["rms_current_ua"] > 50
    assert s["load_kohm"] is None
    assert s["contact"].startswith("not recorded: the session's end was not written (the run ended first")
    assert s["current_density_ma_cm2"] == round(s["rms_current_ua"] / 1000.0 / s["electrode_area_cm2"], 4)
    assert s["current_density_ma_cm2"] < s["peak_current_ua"] / 1000.0 / s["electrode_area_cm2"]
    assert "contact                  not recorded" in r.stdout


def test_sim_summary_says_not_measured_when_no_current_flowed(tmp_path):
    script = tmp_path / "idle.script"
    script.write_text("# nobody presses anything\n1 usb on\n")
    r = run("sim", "--script", str(script), "--seconds", "5", "--json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["contact"] == "not measured (no current flowed)" and s["rms_current_ua"] == 0
