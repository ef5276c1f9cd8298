"""SR-08 sensor plausibility, SR-09 power (USB refusal, bench mode, battery),
SR-12 fault latch."""

import pytest
from harness import press, simulate

LEVEL6 = {"level": 6}


def test_sr08_boot_check_trips_when_sense_reads_current_with_output_off():
    run = simulate([(0.0, "inject", "sense_gain=1.0")], seconds=3,
                   config={"sense_offset_error_mv": 0})
    assert not run.faults()  # a healthy sense passes the boot check
    run = simulate([(0.0, "inject", "sense_open")], seconds=3)
    assert run.faults() and run.faults()[0] in (3, 5), run.faults()  # SENSE_OPEN / BOOT_SENSE
    # a fault at boot means no session can start
    run = simulate([(0.0, "inject", "sense_open"), press(1.0)], seconds=4)
    assert run.first("session_start") is None


@pytest.mark.parametrize("spec,codes", [
    ("sense_stuck", (2, 4)),       # SENSE_STUCK (or GAIN_DRIFT first)
    ("sense_open", (3,)),          # SENSE_OPEN
    ("sense_gain=1.3", (4, 1)),    # GAIN_DRIFT (reads 30 % high)
    ("sense_gain=0.7", (4,)),      # GAIN_DRIFT (reads 30 % low)
    ("gain_drift=1.25", (4, 1)),   # stage drift: GAIN_DRIFT or OVERCURRENT
])
def test_sr08_sense_fault_while_running_trips_within_500ms(spec, codes):
    t_inject = 8.0
    script = [press(1.0), (t_inject, "inject", spec)]
    if spec == "sense_stuck":
        # a stuck reading shows once the command moves: change the level
        script.append((t_inject + 0.05, "press", "level", 0.1))
    run = simulate(script, seconds=11, settings=LEVEL6)
    assert run.faults(), spec
    code = run.faults()[0]
    assert code in codes, (spec, code)
    t = run.first("fault")[0]
    assert t_inject * 1000 <= t <= t_inject * 1000 + 500, (spec, t)
    assert all(abs(s.ua) < 1 for s in run.samples if s.t > t + 10)


def test_sr09_start_refused_on_usb_power_and_told():
    run = simulate([(0.5, "usb", "on"), press(1.0)], seconds=4)
    assert run.first("session_start") is None
    assert run.first("usb_refused") is not None
    assert max(abs(s.ua) for s in run.samples) < 1


def test_sr09_usb_plugged_mid_session_cuts_at_once_with_a_fault():
    """Tethered to a computer (and so to mains) outside bench mode: the output
    is cut at once, as a fault (SR-05 allows only faults to cut), until the
    user acknowledges it."""
    run = simulate([press(1.0), (8.0, "usb", "on"), (9.0, "usb", "off")], seconds=12, settings=LEVEL6)
    end = run.first("session_end")
    assert end is not None and end[2][0] == "usb"
    assert 10 in run.faults()  # USB_POWER
    t = run.first("fault")[0]
    assert 8000 <= t <= 8050
    assert all(abs(s.ua) < 1 for s in run.samples if s.t > t + 10)


def test_sr09_bench_mode_needs_the_level_button_held_at_power_up():
    # held from power-up for 1.5 s: bench mode on, shown on the LED, USB allowed
    run = simulate([(0.0, "press", "level", 1.5), (0.2, "usb", "on"), press(3.0)], seconds=8,
                   settings=LEVEL6)
    assert run.first("bench") is not None
    assert run.first("session_start") is not None
    # pressed later than power-up: no bench mode
    run = simulate([(0.5, "press", "level", 1.5), (0.2, "usb", "on"), press(3.0)], seconds=6)
    assert run.first("bench") is None
    assert run.first("session_start") is None


def test_sr09_bench_mode_is_shown_on_the_led():
    from wand import ui as uimod

    u = uimod.Ui()
    u.step(1000, uimod.LED_IDLE, 3, 0, False, True)
    assert u.red > 0  # dim red under every pattern in bench mode
    u.step(1000, uimod.LED_IDLE, 3, 0, False, False)
    assert u.red == 0


def test_sr09_low_battery_ends_session_with_ramp_down():
    run = simulate([press(1.0), (8.0, "inject", "battery_low")], seconds=16, settings=LEVEL6)
    end = run.first("session_end")
    assert end is not None and end[2][0] == "battery"
    assert not run.faults()
    t_low = run.first("battery_low")[0]
    assert max(abs(s.ua) for s in run.samples if t_low + 50 < s.t < t_low + 300) > 50


def test_sr09_critical_battery_cuts_at_once():
    run = simulate([press(1.0), (8.0, "inject", "battery_critical")], seconds=12, settings=LEVEL6)
    assert 8 in run.faults()
    t = run.first("fault")[0]
    assert 8000 <= t <= 8200
    assert all(abs(s.ua) < 1 for s in run.samples if s.t > t + 10)


def test_sr12_fault_latched_until_long_press_never_by_itself():
    script = [press(1.0), (6.0, "inject", "short"), (6.5, "inject", "short=off"),
              (30.0, "press", "power", 0.2),   # short press: not an acknowledge
              (32.0, "press", "power", 0.2),
              (40.0, "press", "power", 2.0),   # long press: acknowledge
              (45.0, "press", "power", 0.2)]   # now a session may start again
    run = simulate(script, seconds=50, settings=LEVEL6)
    t_fault = run.first("fault")[0]
    cleared = run.first("fault_cleared")
    assert cleared is not None and cleared[0] >= 41000, cleared
    # nothing flowed between the fault and the acknowledge
    assert all(abs(s.ua) < 1 for s in run.samples if t_fault + 10 < s.t < cleared[0])
    starts = run.kinds("session_start")
    assert len(starts) == 2 and starts[1][0] >= 45000


def test_sr12_fault_shows_its_blink_code():
    from wand import ui as uimod

    u = uimod.Ui()
    blinks = 0
    prev = 0
    for t in range(0, 6 * 500 + 1500, 10):
        u.step(t, uimod.LED_FAULT, 1, 6, False, False)
        if u.red and not prev:
            blinks += 1
        prev = u.red
    assert blinks == 6


def test_sr12_watchdog_reset_comes_back_in_fault_state():
    run = simulate([press(1.0), (6.0, "stall", 3000), (9.0, "press", "power", 0.2)], seconds=12)
    assert run.result["resets"] and run.result["resets"][0][1] in ("wdt", "watchdog")
    assert 7 in run.faults()  # WATCHDOG
    assert len(run.kinds("session_start")) == 1  # the press after the reset did not start one


def test_sr12_fault_survives_auto_off_deep_sleep_and_reboot():
    """A latched fault is kept in RTC memory: deep sleep (auto-off) and a
    reset do not clear it; only the long press (or a power cycle) does."""
    script = [press(1.0), (6.0, "inject", "short"), (6.5, "inject", "short=off"),
              (45.0, "press", "power", 0.3),  # wakes from auto-off
              (48.0, "press", "power", 0.2)]  # a short press must not start anything
    run = simulate(script, seconds=52, settings={"level": 6, "idle_off_s": 30})
    assert [c for _, c in run.result["resets"]] == ["deepsleep"]
    t_wake = run.result["resets"][0][0]
    assert run.faults().count(6) >= 2  # latched before, restored after the wake
    assert len(run.kinds("session_start")) == 1
    assert all(abs(s.ua) < 1 for s in run.samples if s.t > t_wake)


def test_sr12_power_cycle_clears_the_latch():
    script = [press(1.0), (6.0, "inject", "short"), (6.5, "inject", "short=off"), (8.0, "power_cut"),
              (9.0, "power_on"), (11.0, "press", "power", 0.2)]
    run = simulate(script, seconds=16, settings={"level": 6})
    assert len(run.kinds("session_start")) == 2


@pytest.mark.parametrize("program", ["lift", "tone", "smooth"])
def test_sr08_sense_frozen_at_a_plausible_value_is_caught_by_the_probe(program):
    """A sense that stops following but still reads a plausible, noisy value
    (continuous programs have no gaps to show it): the active probe (a 4-code
    dip every 16th tick of a positive half) must show, else SENSE_STUCK."""
    run = simulate([press(1.0), (9.0, "inject", "sense_frozen")], seconds=12,
                   settings={"level": 6, "program": program})
    assert 2 in run.faults(), run.faults()  # SENSE_STUCK
    t = run.first("fault")[0]
    assert 9000 <= t <= 9000 + 2000, t
