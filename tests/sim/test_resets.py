"""Reset semantics (docs/platform.md) with the runner booting code on the world."""

import pytest

from simboard import esp32 as sim_esp32
from simboard import machine as m
from simboard import time as t
from simboard.runner import Runner
from simboard.world import ChipReset

from .conftest import make_world


@pytest.fixture
def fw(tmp_path):
    d = tmp_path / "fw"
    d.mkdir()
    (d / "boot.py").write_text("import machine\nBOOTED = machine.reset_cause()\n")
    return str(d)


class Script:
    """An entry that runs boot number k with self.boots[k](g)."""

    def __init__(self, *boots):
        self.boots = list(boots)
        self.n = 0
        self.log = []

    def __call__(self, g, observer):
        k = self.n
        self.n += 1
        self.log.append(("boot", k, g.get("BOOTED"), m.reset_cause()))
        if k < len(self.boots):
            self.boots[k](self, g)
        while True:  # then idle on the clock until the end
            t.sleep_ms(100)


def _run(world, fw, script):
    return Runner(world, fw, entry=script).run()


def test_sr02_watchdog_expiry_resets_the_chip_and_no_code_touches_hardware_after(tmp_path, fw):
    """SR-02: a stalled loop is reset by the WDT; the next boot sees WDT_RESET,
    and code that runs while the reset unwinds cannot touch the hardware."""
    w = make_world(seed=4, flash_dir=str(tmp_path / "flash"), end_s=5)
    w.act_load(2000)
    w.at(1000, "stall")

    def first(s, g):
        oe = m.Pin(27, m.Pin.OUT, value=0)
        a = m.Pin(32, m.Pin.OUT, value=0)
        dac = m.DAC(m.Pin(25))
        dac.write(120)
        oe.value(1)
        a.value(1)
        wdt = m.WDT(0, 500)
        try:
            while True:
                wdt.feed()
                t.sleep_ms(10)
        finally:
            s.log.append(("unwind", w.now, w.load_current()))
            try:
                dac.write(255)
                s.log.append(("wrote", w.now))
            except ChipReset as e:
                s.log.append(("refused", e.cause))
            try:
                m.Pin(33, m.Pin.OUT, value=1)
            except ChipReset:
                s.log.append(("refused", "pin"))

    s = Script(first)
    res = _run(w, fw, s)
    assert res["resets"][0][1] == "wdt"
    assert 1500 <= res["resets"][0][0] <= 1520  # last feed at ~1.0 s + 500 ms
    assert ("refused", "wdt") in s.log and ("refused", "pin") in s.log
    assert not [e for e in s.log if e[0] == "wrote"]
    unwind = [e for e in s.log if e[0] == "unwind"][0]
    assert unwind[2] == 0.0  # the reset already cut the output (GPIOs to inputs)
    boots = [e for e in s.log if e[0] == "boot"]
    assert boots[1][2] == m.WDT_RESET and boots[1][3] == m.WDT_RESET  # boot.py and the app see it
    assert not w.wdt_on  # a hard reset disarms the WDT
    assert w.plant.dac_on is False and w.plant.oe == 0
    # output flowed before the stall, and not after the reset
    st = res["stats"]
    assert st["flow_s"] == pytest.approx(1.5, abs=0.03)


def test_sr03_soft_reset_keeps_dac_and_gpio_levels_while_hard_reset_clears_them(tmp_path, fw):
    """SR-03: on a soft reset the DAC value, GPIO levels and the WDT survive
    (the output keeps flowing!), PWM pins go low; a hard reset clears them."""
    w = make_world(seed=4, flash_dir=str(tmp_path / "flash"), end_s=10)
    w.act_load(2000)
    seen = {}

    def first(s, g):
        m.Pin(27, m.Pin.OUT, value=1)
        m.Pin(32, m.Pin.OUT, value=1)
        m.DAC(m.Pin(25)).write(150)
        m.PWM(m.Pin(18), freq=1000, duty_u16=40000)
        m.WDT(0, 1000)
        m.RTC().memory(b"keep")
        t.sleep_ms(100)
        m.soft_reset()

    def second(s, g):
        seen["soft_i"] = w.load_current()
        seen["soft_dac"] = (w.plant.dac_on, w.plant.dac_code)
        seen["soft_pins"] = (m.Pin(27).value(), m.Pin(32).value())
        seen["soft_pwm"] = (dict(w.pwm), m.Pin(18).value())
        seen["soft_wdt"] = w.wdt_on
        with pytest.raises(OSError):  # the DAC channel is still registered
            m.DAC(m.Pin(25))
        seen["rtc1"] = m.RTC().memory()
        m.reset()

    def third(s, g):
        seen["hard_i"] = w.load_current()
        seen["hard_dac"] = (w.plant.dac_on, w.plant.dac_code)
        seen["hard_modes"] = (w.pmode[27], w.pmode[32])
        seen["hard_wdt"] = w.wdt_on
        seen["rtc2"] = m.RTC().memory()
        m.DAC(m.Pin(25))  # free again after a hard reset

    s = Script(first, second, third)
    res = _run(w, fw, s)
    assert [c for _, c in res["resets"]] == ["soft", "hard"]
    assert [e[3] for e in s.log] == [m.PWRON_RESET, m.SOFT_RESET, m.HARD_RESET]
    assert seen["soft_i"] > 250e-6
    assert seen["soft_dac"] == (True, 150)
    assert seen["soft_pins"] == (1, 1)
    assert seen["soft_pwm"] == ({}, 0)
    assert seen["soft_wdt"] is True
    assert seen["hard_i"] == 0.0
    assert seen["hard_dac"] == (False, 0)
    assert seen["hard_modes"] == (0, 0)
    assert seen["hard_wdt"] is False
    assert seen["rtc1"] == b"keep" and seen["rtc2"] == b"keep"


def test_watchdog_keeps_running_through_soft_reset_and_resets_an_idle_repl(tmp_path, fw):
    w = make_world(seed=4, flash_dir=str(tmp_path / "flash"), end_s=10)

    def first(s, g):
        m.WDT(0, 700)
        t.sleep_ms(100)
        m.soft_reset()

    def second(s, g):
        raise KeyboardInterrupt  # main.py interrupted: the REPL does not feed the WDT

    s = Script(first, second)
    res = _run(w, fw, s)
    # armed at 0 ms with 700 ms and never fed again: the soft reset at 100 ms
    # does not stop or restart it, so it bites at 700 ms
    assert [c for _, c in res["resets"][:2]] == ["soft", "wdt"]
    assert res["resets"][0][0] == pytest.approx(100, abs=2)
    assert res["resets"][1][0] == pytest.approx(700, abs=2)


def test_boot_py_and_main_py_share_globals_and_boot_errors_do_not_stop_main(tmp_path):
    d = tmp_path / "fw"
    d.mkdir()
    (d / "boot.py").write_text("X = 41\nraise ValueError('boot failed')\n")
    (d / "main.py").write_text(
        "import machine\nmachine.RTC().memory(bytes([X + 1, __name__ == '__main__']))\n")
    w = make_world(seed=0, flash_dir=str(tmp_path / "flash"), end_s=1)
    r = Runner(w, str(d), entry="main")
    res = r.run()
    assert w.rtc_mem == bytes([42, 1])
    assert res["exceptions"][0][1] == "ValueError"


def test_deepsleep_wakes_on_ext0_button_press(tmp_path, fw):
    w = make_world(seed=2, flash_dir=str(tmp_path / "flash"), end_s=20)
    w.at(5000, "press", "power", 0.2)

    def first(s, g):
        btn = m.Pin(13, m.Pin.IN, m.Pin.PULL_UP)
        sim_esp32.wake_on_ext0(btn, sim_esp32.WAKEUP_ALL_LOW)
        m.deepsleep()

    s = Script(first)
    res = _run(w, fw, s)
    assert res["resets"][0] == (5000, "deepsleep")
    assert s.log[1][3] == m.DEEPSLEEP_RESET
    assert w.wake_reason == m.EXT0_WAKE


def test_power_cut_then_power_on_loses_rtc_memory_and_boots_pwron(tmp_path, fw):
    w = make_world(seed=2, flash_dir=str(tmp_path / "flash"), end_s=10)
    w.at(1000, "power_cut")
    w.at(3000, "power_on")

    def first(s, g):
        m.RTC().memory(b"lost")
        m.Pin(27, m.Pin.OUT, value=1)

    s = Script(first)
    res = _run(w, fw, s)
    assert res["resets"][0] == (3000, "power_on")
    assert s.log[1][3] == m.PWRON_RESET
    assert w.rtc_mem == b""
    assert w.pmode[27] == 0


def test_ticks_restart_after_a_hard_reset_but_not_after_a_soft_reset(tmp_path, fw):
    w = make_world(seed=2, flash_dir=str(tmp_path / "flash"), end_s=3)
    got = []

    def first(s, g):
        t.sleep_ms(200)
        got.append(t.ticks_ms())
        m.soft_reset()

    def second(s, g):
        got.append(t.ticks_ms())
        m.reset()

    def third(s, g):
        got.append(t.ticks_ms())

    _run(w, fw, Script(first, second, third))
    assert got[1] - got[0] in (0, 1) or got[1] < got[0]  # soft: same clock (may wrap)
    assert got[2] <= 1


def test_deepsleep_with_a_timer_wakes_after_the_time(tmp_path, fw):
    w = make_world(seed=2, flash_dir=str(tmp_path / "flash"), end_s=10)

    def first(s, g):
        t.sleep_ms(100)
        m.deepsleep(2000)

    s = Script(first)
    res = _run(w, fw, s)
    assert res["resets"][0] == (2100, "deepsleep")
    assert w.wake_reason == m.TIMER_WAKE
    assert s.log[1][3] == m.DEEPSLEEP_RESET


def test_power_cut_loses_uncommitted_flash_writes_of_the_firmware(tmp_path, fw):
    w = make_world(seed=2, flash_dir=str(tmp_path / "flash"), end_s=6)
    w.at(1000, "power_cut")
    w.at(2000, "power_on")
    seen = []

    def first(s, g):
        fs = w.flashfs()
        f = fs.open("settings.json", "w")
        f.write("half written")
        t.sleep_ms(5000)  # the cut comes while the file is open

    def second(s, g):
        fs = w.flashfs()
        seen.append(fs.exists("settings.json"))
        with fs.open("settings.json") as f:
            seen.append(f.read())

    _run(w, fw, Script(first, second))
    assert seen == [True, ""]  # created, never committed: empty
