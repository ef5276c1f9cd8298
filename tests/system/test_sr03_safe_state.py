"""SR-03: boot forces the output off first; any exception, Ctrl-C or soft
reset leaves the output off (DAC value and GPIO levels survive a soft reset on
the ESP32, and the WDT keeps running)."""

import json
from pathlib import Path

from harness import FIRMWARE, press, simulate

ROOT = Path(__file__).resolve().parents[2]


def test_sr03_boot_py_pins_match_board_json():
    pins = json.loads((ROOT / "hardware" / "board.json").read_text())["pins"]
    text = (FIRMWARE / "boot.py").read_text()
    code = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    assert code[0] == "import machine"
    assert code[1].startswith("machine.Pin(%d, machine.Pin.OUT, value=0)" % pins["out_enable"])
    assert "machine.Pin(%d, machine.Pin.OUT, value=0)" % pins["bridge_a"] in code[2]
    assert "machine.Pin(%d, machine.Pin.OUT, value=0)" % pins["bridge_b"] in code[3]
    assert code[4] == "try:"
    assert "machine.DAC(machine.Pin(%d))" % pins["dac"] in code[5]


def test_sr03_soft_reset_with_output_on_boots_with_output_off():
    """A soft reset that skips every cleanup (the output stage left driving):
    the DAC value and pin levels survive it, and boot.py alone turns them off."""
    seen = []

    def hook(world, run, g):
        from simboard import machine as m

        pl = world.plant
        seen.append((world.now // 1000, pl.dac_code if pl.dac_on else 0, pl.oe, pl.leg_a, pl.leg_b,
                     world.wdt_on))
        if len(seen) == 1:
            # first boot: drive the stage on, arm the WDT, then soft-reset at once
            m.WDT(0, 1000)
            g["BOOT_DAC"].write(150)
            m.Pin(32, m.Pin.OUT, value=1)
            m.Pin(27, m.Pin.OUT, value=1)
            world.now += 20_000
            world.plant.advance(world.now)
            assert abs(world.plant.load_current()) * 1e6 > 100  # really on
            m.soft_reset()

    run = simulate([], seconds=4, before_main=hook, load_ohms=10000)
    # The simulated chip keeps the DAC channel registered through a soft reset
    # (as ESP-IDF's oneshot driver may): boot.py pulls enable and legs low and
    # cannot re-create the DAC; main.py then hard-resets, which turns it off.
    assert [c for _, c in run.result["resets"]] == ["soft", "hard"]
    t_soft = run.result["resets"][0][0]
    assert len(seen) == 3  # first boot, after the soft reset, after the hard reset
    assert seen[1][2:5] == (0, 0, 0)  # after the soft reset: enable and legs low (boot.py)
    t, dac, oe, a, b, wdt = seen[2]
    assert (dac, oe, a, b) == (0, 0, 0, 0)
    # from the soft reset on, no current flows at any sample
    assert all(abs(s.ua) < 1 for s in run.samples if s.t > t_soft)


def test_sr03_boot_py_pulls_enable_low_before_touching_the_dac():
    run_order = []

    def hook(world, run, g):
        run_order.append("main")

    from harness import simulate as sim

    sim([], seconds=1, before_main=hook)
    assert run_order == ["main"]
    text = (FIRMWARE / "boot.py").read_text()
    assert text.index("machine.Pin(27") < text.index("machine.DAC(")
    # no reset in boot.py: mpremote's raw-REPL soft reset (boot.py only) keeps its session
    code = [ln.split("#", 1)[0] for ln in text.splitlines()]
    assert not any("machine.reset(" in ln for ln in code)


def test_sr03_soft_reset_mid_session_via_mpremote_leaves_output_off():
    """A soft reset is Ctrl-C, Ctrl-D: the firmware leaves on the Ctrl-C (output
    off and locked); main.py then hard-resets for a DAC of its own."""
    run = simulate([press(1.0), (5.0, "soft_reset")], seconds=8)
    after = [s for s in run.samples if s.t > 5000 + 10]
    assert after and all(abs(s.ua) < 1 for s in after)


def test_sr03_sr02_ctrl_c_leaves_output_off_and_drops_to_repl_with_the_watchdog_relaxed():
    """Ctrl-C mid-session: output off and locked, the watchdog reconfigured to a
    long timeout (nothing feeds it at the REPL), and no reset at all."""
    from wand.hal import WDT_RELAXED_MS

    run = simulate([press(1.0), (5.0, "interrupt")], seconds=9)
    after = [s for s in run.samples if s.t > 5000 + 10]
    assert any(abs(s.ua) > 1 for s in run.samples if s.t < 5000)  # it was running
    assert all(abs(s.ua) < 1 for s in after)
    assert run.result["resets"] == [], run.result["resets"]  # 4 s unfed at the REPL, no reset
    assert [e[2] for e in run.events if e[1] == "leave"] == [("interrupted",)]
    assert run.world.wdt_on and run.world.wdt_timeout == WDT_RELAXED_MS * 1000


def test_sr03_exception_in_the_loop_leaves_output_off():
    """A bug that raises on every tick: the output is cut at once (INTERNAL),
    and with no passing check the watchdog is not fed (SR-02): the chip resets
    and comes back in the fault state (SR-12)."""

    def hook(world, run, g):
        import wand.session as ses

        orig = ses.Session.step

        def step(self, now_ms, elapsed_ms, load):
            if 5_000_000 <= world.now < 7_000_000:
                raise RuntimeError("injected bug")
            return orig(self, now_ms, elapsed_ms, load)

        ses.Session.step = step

    run = simulate([press(1.0)], seconds=9, before_main=hook)
    assert 9 in run.faults()  # INTERNAL
    t = run.first("fault")[0]
    assert 5000 <= t <= 5020
    assert all(abs(s.ua) < 1 for s in run.samples if s.t > t + 10)
    resets = run.result["resets"]
    assert resets and resets[0][1] in ("wdt", "watchdog") and resets[0][0] <= t + 1100, resets
    # back up in the fault state after the watchdog reset: the first cause
    # (INTERNAL) is restored from RTC memory and stays the latched one
    after = [e for e in run.events if e[1] == "fault" and e[0] >= 0 and e[2][0] in (7, 9)]
    assert len(after) >= 2, run.events
    assert all(abs(s.ua) < 1 for s in run.samples if s.t > resets[-1][0])
