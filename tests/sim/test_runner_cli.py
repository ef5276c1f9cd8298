"""The runner's command line gives the same E/S/R lines on CPython and on the
MicroPython unix port, running the real firmware (firmware/).

The MicroPython heap is the one `wandctl sim --interpreter micropython` gives
(simrun.MICROPYTHON_HEAP): the simulator and the firmware share it, so it is
larger than the chip's; the firmware's own heap budget is `wandctl bench`'s."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from simboard.simrun import MICROPYTHON_HEAP
from wandctl import paths
from wandctl.tools import find_tool

ROOT = Path(__file__).resolve().parents[2]
FW = paths.FIRMWARE
MPY = Path(find_tool("micropython"))
RUNNER = ROOT / "host_tools" / "simboard" / "runner.py"

SCRIPT = """\
# scenario: start, level up, lift and put back, a gain drift, a stalled loop
1.0 press power 0.2
2.5 press level 0.1
3 contact off
3.5 contact on
4.2 inject gain_drift=1.2
5.0 stall 1000
"""


def _args(tmp_path, tag, seed=3):
    script = tmp_path / "scenario.txt"
    script.write_text(SCRIPT)
    return ["--firmware", str(FW), "--flash", str(tmp_path / ("flash-" + tag)), "--seconds", "8",
            "--seed", str(seed), "--script", str(script), "--trace-ms", "100",
            "--inject", "sense_gain=1.0@0.5"]


def _run_cpython(tmp_path, tag="cp", seed=3):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "host_tools"))
    r = subprocess.run([sys.executable, "-m", "simboard.runner"] + _args(tmp_path, tag, seed),
                       capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=120, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


def _lines(out, kinds):
    return [ln for ln in out if ln.split(" ", 1)[0] in kinds]


def test_cli_output_format_and_content(tmp_path):
    out = _run_cpython(tmp_path)
    s = _lines(out, ("S",))
    assert len(s) == 79  # every 100 ms for 8 s
    assert all(len(ln.split()) == 7 for ln in s)
    events = [ln.split()[1:] for ln in _lines(out, ("E",))]
    assert events[0][1:] == ["session_start", "lift", "3"] and 1200 <= int(events[0][0]) <= 1220  # the 1.0 s press
    assert ["level", "4"] in [e[1:] for e in events]  # the 2.5 s press
    assert ["contact_lost"] in [e[1:] for e in events] and ["contact_back"] in [e[1:] for e in events]
    resets = _lines(out, ("R",))
    # the 1 s stall from 5.0 s outlasts the firmware's 1000 ms watchdog, last fed in the tick before
    assert len(resets) == 1 and resets[0].split()[2] == "wdt" and 5980 <= int(resets[0].split()[1]) <= 6000
    t_wdt = int(resets[0].split()[1])
    # the next boot sees WDT_RESET and latches the watchdog fault
    assert [e[1:] for e in events if int(e[0]) > t_wdt][:1] == [["fault", "7", "watchdog"]]
    assert out[-1].startswith("SUMMARY {")
    import json

    summary = json.loads(out[-1][len("SUMMARY "):])
    assert summary["peak_ua"] <= 600
    assert summary["resets"][0][1] == "wdt"


def test_same_seed_same_stream_different_seed_different_noise(tmp_path):
    a = _run_cpython(tmp_path, "a", seed=3)
    b = _run_cpython(tmp_path, "b", seed=3)
    c = _run_cpython(tmp_path, "c", seed=4)
    assert a == b
    assert _lines(a, ("E",)) != _lines(c, ("E",))  # the seed moves the board's start and noise


@pytest.mark.skipif(not MPY.exists(), reason="MicroPython unix port not installed")
def test_cli_gives_identical_lines_on_cpython_and_micropython(tmp_path):
    cp = _run_cpython(tmp_path)
    r = subprocess.run([str(MPY), "-X", MICROPYTHON_HEAP, str(RUNNER)] + _args(tmp_path, "mp"),
                       capture_output=True, text=True, cwd=str(ROOT), timeout=300, env=paths.micropython_env(),
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    mp = r.stdout.splitlines()
    kinds = ("E", "S", "R", "X")
    assert _lines(mp, kinds) == _lines(cp, kinds)
    assert len(_lines(cp, kinds)) > 85
    assert not _lines(mp, ("X",))  # the firmware ran (no MemoryError at boot)
    assert mp[-1] == cp[-1]  # the summary too


@pytest.mark.skipif(not MPY.exists(), reason="MicroPython unix port not installed")
def test_micropython_run_is_told_where_board_json_is(tmp_path):
    """MicroPython cannot import wandctl.paths: without SIMBOARD_BOARD_JSON it says so, no guess."""
    env = {k: v for k, v in paths.micropython_env().items() if k != "SIMBOARD_BOARD_JSON"}
    r = subprocess.run([str(MPY), "-X", MICROPYTHON_HEAP, str(RUNNER)] + _args(tmp_path, "nb"),
                       capture_output=True, text=True, cwd=str(ROOT), timeout=300, env=env, stdin=subprocess.DEVNULL)
    assert r.returncode != 0 and "set SIMBOARD_BOARD_JSON" in r.stdout + r.stderr, r.stdout + r.stderr
    assert paths.micropython_env()["SIMBOARD_BOARD_JSON"] == str(ROOT / "hardware" / "board.json")


def test_a_script_that_flaps_an_input_1200_times_runs_on_micropython(tmp_path):
    """Red team rt4: `flap usb 10 1200` ran the MicroPython simulation out of
    its 400K heap (each toggle an event) and `wandctl sim` failed with an
    empty message. The heap is 2M; a failure's message has the traceback."""
    from wandctl import cli

    script = tmp_path / "flap.script"
    script.write_text("0 load skin\n0.5 flap usb 10 1200\n2 press power\n")
    out = tmp_path / "s.json"
    rc = cli.main(["sim", "--script", str(script), "--seconds", "6", "--interpreter", "micropython",
                   "--summary-json", str(out)])
    assert rc == 0 and out.is_file()
