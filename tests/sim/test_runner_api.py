"""Runner: entries, observer pass-through, console interrupts, module isolation."""

import sys

from simboard import machine as sim_machine
from simboard.runner import LineObserver, Runner, sample_line

from .conftest import make_world

FW = __file__.rsplit("/", 1)[0] + "/fixtures/fw_basic"


class Obs:
    def __init__(self):
        self.events = []

    def event(self, now_ms, kind, *args):
        self.events.append((kind,) + args)


def test_app_entry_passes_the_observer_and_sees_button_presses(tmp_path):
    w = make_world(seed=1, flash_dir=str(tmp_path / "flash"), end_s=4)
    w.at(1000, "press", "power", 0.3)
    obs = Obs()
    res = Runner(w, FW, entry="app", observer=obs).run()
    assert obs.events[0] == ("boot", 1)
    assert ("press", 100) in obs.events
    # app entry after boot.py: boot.py made the DAC, so the app's own DAC() fails
    # (one DAC per boot) and this fixture runs without output
    assert res["stats"]["peak_ua"] == 0.0


def test_main_entry_hands_boot_dac_over_and_the_observer_via_globals(tmp_path):
    w = make_world(seed=1, flash_dir=str(tmp_path / "flash"), end_s=4)
    w.act_load(2000)
    w.at(1000, "press", "power", 0.3)
    obs = Obs()
    res = Runner(w, FW, entry="main", observer=obs).run()
    assert ("press", 100) in obs.events
    assert 200 < res["stats"]["peak_ua"] < 240  # 100 codes ~ 216 uA


def test_interrupt_event_raises_keyboardinterrupt_then_the_repl_lets_the_wdt_bite(tmp_path):
    w = make_world(seed=1, flash_dir=str(tmp_path / "flash"), end_s=5)
    w.at(2000, "interrupt")
    res = Runner(w, FW, entry="main").run()
    assert res["exceptions"][0][:2] == (2000, "KeyboardInterrupt")
    assert res["resets"][0][1] == "wdt"
    assert 2490 <= res["resets"][0][0] <= 2510  # the fixture's 500 ms WDT, last fed at ~2.0 s


def test_soft_reset_event_reboots_with_soft_reset_cause(tmp_path):
    w = make_world(seed=1, flash_dir=str(tmp_path / "flash"), end_s=3)
    w.at(1000, "soft_reset")
    obs = Obs()
    res = Runner(w, FW, entry="main", observer=obs).run()
    assert res["resets"][0] == (1000, "soft")
    assert [e for e in obs.events if e[0] == "boot"] == [("boot", 1), ("boot", 5)]


def test_sys_modules_and_cwd_are_restored_after_a_run(tmp_path):
    import os

    before = {k: sys.modules.get(k) for k in ("machine", "time", "esp32")}
    cwd = os.getcwd()
    w = make_world(seed=1, flash_dir=str(tmp_path / "flash"), end_s=1)
    Runner(w, FW, entry="main").run()
    assert {k: sys.modules.get(k) for k in before} == before
    assert os.getcwd() == cwd
    assert "wand" not in sys.modules and "wand.app" not in sys.modules
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
