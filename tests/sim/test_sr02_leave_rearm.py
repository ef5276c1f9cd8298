"""SR-02 across the one way out: the HAL's output enable is locked until the
1000 ms watchdog is armed; leave() relaxes the running watchdog (WDT(0, ...)
again reconfigures it, as ports/esp32/machine_wdt.c does) and locks the output;
whatever enables the output again re-arms 1000 ms first."""

import sys
from pathlib import Path

import pytest

from simboard import esp32 as sim_esp32
from simboard import machine as m
from simboard import time as sim_time
from simboard.world import ChipReset

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "system"))
from harness import press, simulate  # noqa: E402


def test_sr02_wdt_construction_reconfigures_the_running_watchdog(world):
    with pytest.raises(ValueError, match="WDT timeout too short"):
        m.WDT(0, 0)
    wdt = m.WDT(0, 1000)
    assert world.wdt_on and world.wdt_timeout == 1_000_000
    m.WDT(0, 60_000)  # a second construction reconfigures it, and restarts the count
    assert world.wdt_timeout == 60_000_000 and world.wdt_deadline == world.now + 60_000_000 - 0
    sim_time.sleep_ms(5000)  # long past 1 s: no reset at 60 s
    wdt.feed()  # the first object feeds the same (only) task watchdog
    m.WDT(0, 1000)  # back to 1 s
    with pytest.raises(ChipReset) as e:
        sim_time.sleep_ms(1100)
    assert e.value.cause == "wdt"


def test_sr02_output_locked_until_armed_and_again_after_leave(world):
    from wand.hal import WDT_RELAXED_MS, Esp32Board

    b = Esp32Board(m, sim_time, sim_esp32)
    assert b.output_locked() and not b.watchdog_armed()
    with pytest.raises(RuntimeError, match="locked"):
        b.set_enable(True)
    assert world.pout[world.pin_oe] == 0
    b.arm_watchdog(1000)
    b.set_enable(True)
    assert world.pout[world.pin_oe] == 1
    b.relax_watchdog()  # what leave() does
    assert world.pout[world.pin_oe] == 0 and b.output_locked()
    assert world.wdt_timeout == WDT_RELAXED_MS * 1000
    with pytest.raises(RuntimeError, match="locked"):
        b.set_enable(True)
    assert world.pout[world.pin_oe] == 0
    with pytest.raises(ValueError):
        b.arm_watchdog(1001)
    b.arm_watchdog(1000)
    assert world.wdt_timeout == 1_000_000
    b.set_enable(True)
    assert world.pout[world.pin_oe] == 1


def test_sr02_every_enable_after_a_ctrl_c_and_restart_has_the_1000ms_watchdog():
    """Session, Ctrl-C (leave: relaxed watchdog), Ctrl-D at the REPL (soft reset:
    main.py hard-resets for its DAC), a new session: whenever the enable rises,
    the running watchdog times out in 1000 ms or less."""
    seen = []

    def hook(world, run, g):
        orig = world._stage_pin_changed

        def spy(n):
            orig(n)
            if n == world.pin_oe and world.plant.oe:
                seen.append((world.now // 1000, world.wdt_on, world.wdt_timeout))

        world._stage_pin_changed = spy

    run = simulate([press(1.0), (4.0, "interrupt"), (6.0, "soft_reset"), press(9.0)], seconds=13,
                   before_main=hook)
    assert [c for _, c in run.result["resets"]] == ["soft", "hard"], run.result["resets"]
    t_hard = run.result["resets"][1][0]
    assert any(t < 4000 for t, _, _ in seen) and any(t > t_hard for t, _, _ in seen), seen
    assert all(on and 0 < timeout <= 1_000_000 for _, on, timeout in seen), seen
    # between the Ctrl-C and the new boot: no current, watchdog relaxed, no reset
    assert all(abs(s.ua) < 1 for s in run.samples if 4010 < s.t < t_hard)
    assert any(abs(s.ua) > 1 for s in run.samples if s.t > t_hard)
