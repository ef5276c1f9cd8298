"""SR-11 (no bypass from the console) and SR-12 (fault latch) red team.

Found:
- SR-11: `repl` is accepted outside bench mode and hard-resets into the plain
  REPL with NO watchdog (console.Console._c_repl checks only the session
  state; docs/console.md promises "No command feeds or stops the watchdog");
- SR-12: a power-button hold that began BEFORE a watchdog reset (the user
  holding power to stop a session while the loop hung) is taken, after the
  reboot, as the long press that acknowledges the fault: the WATCHDOG latch is
  cleared 1.5 s after boot without the user ever seeing it (App.__init__
  builds `Button(long_ms=1500)` with pressed=False, so a button already held
  at boot counts as a fresh press);
- SR-12: a fault found by the boot check of a power-on boot is stored and
  then erased from RTC memory in the same `App.boot` (the PWRON branch), so
  the next soft/hard reset boots without it.
"""

import pytest
from harness import press
from rt import FakeSerial, peak, simulate


def test_sr11_redteam_repl_outside_bench_mode_stops_the_watchdog():
    from appboard import SimApp

    from simboard.world import ChipReset

    ser = FakeSerial()
    sim = SimApp(ser, bench=False, usb=True)
    sim.app.open_console()
    ser.send("repl")
    reset = None
    try:
        for _ in range(100):
            sim.tick()
    except ChipReset as e:
        reset = e
    # the requirement: refused (err), no reset, nothing that leaves the watchdog off
    assert reset is None and not sim.world.rtc_mem.startswith(b"wand:r"), (reset, sim.world.rtc_mem, ser.replies())


def test_sr11_redteam_console_junk_during_a_session_changes_nothing():
    """Passing: console loaded before a battery session (no bench); during the
    session 6 KB of junk, over-long lines and every forbidden command arrive:
    the true current is the same as without them, one reply per line, the
    watchdog stays armed and no fault appears."""
    from appboard import SimApp

    def session(junk):
        ser = FakeSerial()
        sim = SimApp(ser, bench=False, usb=False)
        sim.app.open_console()
        w = sim.world
        w.at(w.now // 1000 + 200, "press", "power", 0.2)
        cur = []
        for i in range(900):
            if junk and i == 400:
                ser.inbox += bytes(range(256)) * 8 + b"x" * 3000 + b"\n"
                for cmd in (
                    "set user_max_ua 500",
                    "set session_min 20",
                    "start",
                    "level 10",
                    "clear",
                    "calibrate 10000",
                    "reboot",
                    "repl",
                    "selftest",
                    "set cal_gain_na 1",
                    "stream on 50",
                ):
                    ser.send(cmd)
            sim.tick()
            cur.append(round(w.load_current() * 1e6, 3))
        return sim, ser, cur

    ref_sim, _, ref = session(False)
    sim, ser, cur = session(True)
    assert cur == ref
    assert sim.board.watchdog_armed() and not sim.app.sup.fault
    assert sim.app.settings.values == ref_sim.app.settings.values
    assert max(abs(x) for x in cur) > 100  # a session really ran
    last = ser.replies()[-11:]  # the 11 commands: only selftest and stream may say ok
    assert [r.split(" ", 1)[0] for r in last] == ["err"] * 8 + ["ok", "err", "ok"], last


def test_sr12_redteam_press_started_before_watchdog_reset_clears_the_latch():
    script = [
        press(1.0),
        (8.0, "hold", "power"),
        (8.05, "stall", 1500),
        (11.5, "release", "power"),
        (13.0, "press", "power", 0.2),
    ]
    run = simulate(script, seconds=15, settings=dict(level=6))
    assert run.result["resets"] and run.result["resets"][0][1] == "wdt"
    assert run.first("fault_cleared") is None, run.first("fault_cleared")
    assert peak(run, 13000) == 0.0


# Passing: the latch holds across every other reset kind and clears only by a long press.
RESETS = {
    # mpremote's Ctrl-C, Ctrl-D: the app hard-resets into the REPL, then a soft reset boots it again
    "ctrl_c_then_soft_reset": [(8.0, "interrupt"), (9.0, "soft_reset")],
    "soft_reset_twice": [(8.0, "soft_reset"), (9.0, "soft_reset")],
    "watchdog": [(8.0, "stall", 1500)],
    "idle_deep_sleep_and_wake": [(40.0, "press", "power", 0.2)],
}


@pytest.mark.parametrize("kind", sorted(RESETS))
def test_sr12_redteam_latch_survives_reset_kinds(kind):
    script = [press(1.0), (5.0, "inject", "short")] + RESETS[kind]
    t_try = 45.0 if kind.startswith("idle") else 12.0
    script += [(t_try, "press", "power", 0.2)]  # a short press: must not start anything
    run = simulate(script, seconds=t_try + 3, settings=dict(level=6, idle_off_s=30))
    assert run.faults()[0] == 6
    assert run.first("fault_cleared") is None
    assert len(run.kinds("session_start")) == 1
    # from the fault on, nothing flows again (how fast a short is judged is SR-06's, not this test's)
    assert peak(run, run.first("fault")[0] + 10) == 0.0
    if kind.startswith("idle"):
        assert any(c == "deepsleep" for _, c in run.result["resets"]), run.result["resets"]
    # then the deliberate act clears it
    run2 = simulate(
        script + [(t_try + 3, "press", "power", 2.0)], seconds=t_try + 6, settings=dict(level=6, idle_off_s=30)
    )
    assert run2.first("fault_cleared") is not None


def test_sr12_redteam_power_on_boot_fault_lost_on_the_next_reset():
    script = [
        (0, "inject", "sense_open"),
        (3.0, "inject", "clear"),
        (4.0, "interrupt"),
        (5.0, "soft_reset"),
        (8.0, "press", "power", 0.2),
    ]
    run = simulate(script, seconds=10, settings=dict(level=6))
    assert run.faults()[:1] == [3]
    assert run.first("session_start") is None, (run.first("session_start"), peak(run, 8000))
