"""Runner: entries, observer pass-through, console interrupts, module isolation
(the real firmware, firmware/, on the simulated board)."""

import os
import sys

import pytest

from simboard import machine as sim_machine
from simboard.runner import LineObserver, Runner, sample_line
from wandctl.paths import FIRMWARE

from .conftest import make_world

FW = str(FIRMWARE)


@pytest.fixture(autouse=True)
def console_stdin(monkeypatch):
    """The firmware's console reads sys.stdin, as on the chip; pytest's stand-in cannot be read
    (no readinto), so the board gets a quiet one: nobody types."""
    with open(os.devnull, "rb") as quiet:
        monkeypatch.setattr(sys, "stdin", quiet)
        yield


class Obs:
    def __init__(self):
        self.events = []

    def event(self, now_ms, kind, *args):
        self.events.append((now_ms, kind) + args)


def _kinds(obs):
    return [e[1:] for e in obs.events]


def _boot_log(flash):
    """(kind, reset cause) of the boot records in the firmware's event log on the flash."""
    lines = (flash / "log0.txt").read_text().splitlines()
    return [tuple(ln.split()[3:5]) for ln in lines if ln.split()[3:4] == ["boot"]]


def _session_run(tmp_path, entry):
    w = make_world(seed=1, flash_dir=str(tmp_path / "flash"), end_s=4)
    w.act_load(2000)
    w.at(1000, "press", "power", 0.3)
    obs = Obs()
    res = Runner(w, FW, entry=entry, observer=obs).run()
    return obs, res


def test_app_entry_passes_the_observer_and_boot_dac_and_sees_button_presses(tmp_path):
    obs, res = _session_run(tmp_path, "app")
    # the press (1.0 s + 0.3 s hold) starts a session: the observer is the one the runner handed in
    assert _kinds(obs)[:3] == [("session_start", "lift", 3), ("state", "ramp_up"), ("state", "running")]
    assert 1300 <= obs.events[0][0] <= 1320
    # app entry after boot.py: boot.py's DAC is handed over (one DAC per boot), so current flows
    # and no reset loop starts (the firmware hard-resets when it cannot get the DAC)
    assert res["resets"] == [] and res["exceptions"] == []
    assert 100 < res["stats"]["peak_ua"] < 150  # level 3 of the lift program on 2 kOhm


def test_main_entry_hands_boot_dac_over_and_the_observer_via_globals(tmp_path):
    obs, res = _session_run(tmp_path, "main")
    assert ("session_start", "lift", 3) in _kinds(obs)
    assert res["resets"] == [] and res["exceptions"] == []
    assert 100 < res["stats"]["peak_ua"] < 150
    app_obs, app_res = _session_run(tmp_path / "app", "app")
    assert obs.events == app_obs.events and res["stats"] == app_res["stats"]  # both entries: the same run


def test_interrupt_event_raises_keyboardinterrupt_in_the_firmware(tmp_path):
    w = make_world(seed=1, flash_dir=str(tmp_path / "flash"), end_s=5)
    w.act_load(2000)
    w.at(1000, "press", "power", 0.3)
    w.at(2000, "interrupt")
    samples = []
    w.set_sampler(100, lambda world: samples.append(sample_line(world).split()))
    obs = Obs()
    res = Runner(w, FW, entry="main", observer=obs).run()
    # the firmware catches the Ctrl-C itself: it leaves with the output off and locked
    # (its last tick began before 2.0 s), so nothing reaches the top and no reset follows
    left = [e for e in obs.events if e[1] == "leave"]
    assert [e[1:] for e in left] == [("leave", "interrupted")] and 1990 <= left[0][0] <= 2000
    assert res["exceptions"] == [] and res["resets"] == []
    assert _boot_log(tmp_path / "flash") == [("boot", "power_on")]
    ua = {int(s[1]): float(s[2]) for s in samples}
    assert max(ua[t] for t in ua if 1500 <= t < 2000) > 0  # a session ran before the interrupt
    assert all(ua[t] == 0.0 for t in ua if t >= 2100)  # output off after it


def test_soft_reset_event_reboots_with_soft_reset_cause(tmp_path):
    w = make_world(seed=1, flash_dir=str(tmp_path / "flash"), end_s=3)
    w.at(1000, "soft_reset")
    obs = Obs()
    res = Runner(w, FW, entry="main", observer=obs).run()
    # the soft reboot sees SOFT_RESET with the DAC still held from the last boot (as the ESP-IDF
    # driver keeps it) and hard-resets itself at once; the next boot logs that cause
    assert res["resets"] == [(1000, "soft"), (1000, "hard")]
    assert _kinds(obs)[0] == ("leave", "interrupted")
    assert _boot_log(tmp_path / "flash") == [("boot", "power_on"), ("boot", "hard")]


def test_sys_modules_and_cwd_are_restored_after_a_run(tmp_path):
    import os

    before = {k: sys.modules.get(k) for k in ("machine", "time", "esp32")}
    cwd = os.getcwd()
    w = make_world(seed=1, flash_dir=str(tmp_path / "flash"), end_s=1)
    Runner(w, FW, entry="main").run()
    assert {k: sys.modules.get(k) for k in before} == before
    assert os.getcwd() == cwd
    assert not [k for k in sys.modules if k == "wand" or k.startswith("wand.")]
    assert (tmp_path / "flash").is_dir()


def test_sample_and_event_lines(tmp_path):
    w = make_world(seed=1, flash_dir=str(tmp_path / "flash"), end_s=1)
    lines = []
    w.set_sampler(250, lambda world: lines.append(sample_line(world)))
    obs = LineObserver(w, lines.append)
    obs.event(0, "fault", 4, "gain_drift", 1.25)
    Runner(w, FW, entry="main").run()
    assert lines[0] == "E 0 fault 4 gain_drift 1.250"
    assert lines[1:] == ["S 250 0.0 0 0 0 0", "S 500 0.0 0 0 0 0", "S 750 0.0 0 0 0 0"]
    assert sim_machine.PWRON_RESET == 1
