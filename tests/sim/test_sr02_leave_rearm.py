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


# --- every way out goes through wand.entry.leave ------------------------------------------


def _spy(seen, extra=None):
    """A before_main hook: records each leave(), and the board's state at the
    moment the chip is put to sleep or reset (or leave() returns to the REPL):
    the output pins, the watchdog, and the Supervisor's and the engine's copies
    of the output state."""

    def hook(world, run, g):
        import wand.entry as entry
        from wand.hal import Esp32Board

        orig_leave = entry.leave
        state = {}

        def snap(how):
            app = state.get("app")
            views = None
            if app is not None:
                views = (app.sup.output_on, app.sup.code, app.sup.polarity, app.engine.code,
                         app.engine.polarity, app.engine.running)
            seen.append({"reason": state.get("reason"), "how": how, "wdt_on": world.wdt_on,
                         "wdt_timeout": world.wdt_timeout, "oe": world.pout[world.pin_oe],
                         "a": world.pout[world.pin_a], "b": world.pout[world.pin_b],
                         "dac": world.plant.dac_code if world.plant.dac_on else 0,
                         "locked": state["board"].output_locked() if state.get("board") else None,
                         "views": views, "app": app is not None})

        def leave(b, app, reason):
            state.update(app=app, reason=reason, board=b)
            orig_leave(b, app, reason)
            snap("repl")

        orig_sleep, orig_reset = Esp32Board.deepsleep, Esp32Board.hard_reset

        def deepsleep(self):
            snap("sleep")
            orig_sleep(self)

        def hard_reset(self):
            snap("reset")
            orig_reset(self)

        entry.leave = leave
        Esp32Board.deepsleep = deepsleep
        Esp32Board.hard_reset = hard_reset
        if extra is not None:
            extra(world, run, g)

    return hook


def _log_lines(flash):
    lines = []
    for name in ("log0.txt", "log1.txt"):
        p = Path(flash, name)
        if p.exists():
            lines += [ln.split() for ln in p.read_text().splitlines()]
    return sorted(lines, key=lambda ln: int(ln[0]))


def _left(seen, reason, how, wdt_ms=1000):
    from wand.hal import WDT_RELAXED_MS

    got = [s for s in seen if s["reason"] == reason]
    assert [s["how"] for s in got] == [how], seen
    s = got[0]
    # output off at the pins, locked until arm_watchdog() (SR-02)
    assert s["oe"] == 0 and s["a"] == 0 and s["b"] == 0 and s["dac"] == 0 and s["locked"], s
    if s["views"] is not None:  # the Supervisor and the engine agree with the board
        assert s["views"] == (False, 0, 0, 0, 0, False), s
    # the watchdog is relaxed only on the way to the REPL; otherwise it runs
    # on as it was (wdt_ms) until the chip stops
    if how == "repl":
        assert s["wdt_timeout"] == WDT_RELAXED_MS * 1000, s
    else:
        assert s["wdt_on"] and s["wdt_timeout"] == wdt_ms * 1000, s
    return s


def test_sr07_sr02_idle_auto_off_sleeps_through_leave(tmp_path):
    seen = []
    run = simulate([], seconds=33, settings={"idle_off_s": 30}, flash=tmp_path, before_main=_spy(seen))
    _left(seen, "auto_off", "sleep")
    assert [e[2] for e in run.kinds("leave")] == [("auto_off",)]
    assert 30000 <= run.first("leave")[0] <= 30100
    assert [ln[3:5] for ln in _log_lines(tmp_path) if ln[3] == "leave"] == [["leave", "auto_off"]]
    assert run.result["resets"] == []  # asleep until a press


def test_sr02_power_long_press_mid_session_and_then_idle_sleeps_through_leave(tmp_path):
    """The long press ends a running session first (with its ramp-down); a
    second long press, with nothing running, puts the wand to sleep by
    leave(): the Supervisor's and the engine's copies of the output agree
    with the board."""
    seen = []
    run = simulate([press(1.0), (4.0, "press", "power", 2.0), (9.0, "press", "power", 2.0)], seconds=12,
                   flash=tmp_path, before_main=_spy(seen))
    assert run.first("session_end")[2][0] == "button"
    # the long press sleeps with the button held: the chip wakes at its release and, before the App or the
    # watchdog, sleeps again through leave() (red team rt7), so that is a second way out, with nothing on
    assert [x["reason"] for x in seen] == ["power_off", "power_off"] and seen[1]["views"] is None, seen
    assert seen[1]["oe"] == 0 and seen[1]["dac"] == 0 and not seen[1]["wdt_on"], seen[1]
    _left(seen[:1], "power_off", "sleep")
    assert [e[2] for e in run.kinds("leave")] == [("power_off",)]
    assert 10400 <= run.first("leave")[0] <= 10600
    assert [ln[3:5] for ln in _log_lines(tmp_path) if ln[3] == "leave"] == [["leave", "power_off"]]


def test_sr02_ctrl_c_mid_session_leaves_every_copy_of_the_output_state_off(tmp_path):
    seen = []
    run = simulate([press(1.0), (5.0, "interrupt")], seconds=7, flash=tmp_path, before_main=_spy(seen))
    assert any(abs(s.ua) > 1 for s in run.samples if s.t < 5000)  # it was running
    s = _left(seen, "interrupted", "repl")
    assert s["views"] is not None
    assert [ln[3:5] for ln in _log_lines(tmp_path) if ln[3] == "leave"] == [["leave", "interrupted"]]


def test_sr02_console_reboot_mid_session_resets_through_leave(tmp_path):
    """Console `reboot` (wand.diag: board.leave("reboot")), here raised from the
    loop mid-session: output off, fault state kept, a hard reset."""

    def reboot_at_3s(world, run, g):
        from wand.controls import Controls

        orig = Controls.step

        def step(self, now, bits):
            if now >= 3000 and not run.checks:
                run.checks.append(now)
                self.app.board.leave("reboot")
            return orig(self, now, bits)

        Controls.step = step

    seen = []
    run = simulate([press(1.0)], seconds=5, flash=tmp_path, before_main=_spy(seen, reboot_at_3s))
    _left(seen, "reboot", "reset")
    assert [c for _, c in run.result["resets"]] == ["hard"]
    assert [ln[3:5] for ln in _log_lines(tmp_path) if ln[3] == "leave"] == [["leave", "reboot"]]


def test_sr02_a_dac_still_held_after_a_soft_reset_hard_resets_through_leave():
    """A soft reset is Ctrl-C (leave: the REPL, watchdog relaxed), then Ctrl-D:
    main.py finds the DAC still held and leaves again, by a hard reset, with
    the watchdog as the first leave left it."""
    from wand.hal import WDT_RELAXED_MS

    seen = []
    run = simulate([press(1.0), (3.0, "soft_reset")], seconds=6, before_main=_spy(seen))
    _left(seen, "interrupted", "repl")
    s = _left(seen, "dac_held", "reset", WDT_RELAXED_MS)
    assert not s["app"]  # before the App: nothing to log it in
    assert [c for _, c in run.result["resets"]] == ["soft", "hard"]


def test_sr02_ctrl_c_before_the_loop_with_the_watchdog_armed_still_relaxes_it():
    """A Ctrl-C after arm_watchdog() but before the loop (here while the App is
    built) goes through leave() too: at the REPL the 1000 ms watchdog would
    reset the chip under the user."""

    def interrupt_in_app_init(world, run, g):
        import wand.app

        orig = wand.app.App.__init__

        def init(self, *a, **k):
            orig(self, *a, **k)
            raise KeyboardInterrupt

        wand.app.App.__init__ = init

    seen = []
    run = simulate([], seconds=4, before_main=_spy(seen, interrupt_in_app_init))
    s = _left(seen, "interrupted", "repl")
    assert not s["app"]
    assert run.result["resets"] == [], run.result["resets"]  # 4 s unfed at the REPL
    assert all(abs(x.ua) < 1 for x in run.samples)


def test_sr02_a_ctrl_c_landing_in_the_sleep_still_sleeps_with_the_watchdog_running(tmp_path):
    """A Ctrl-C (mpremote, wandctl) that lands just as the wand auto-offs: the
    sleep is tried again, never the REPL with the 1000 ms watchdog running (which
    would reset the chip a second later with a watchdog fault latched)."""

    def ctrl_c_in_the_first_sleep(world, run, g):
        from wand.hal import Esp32Board

        spied = Esp32Board.deepsleep

        def deepsleep(self):
            if not run.checks:
                run.checks.append("interrupted")
                raise KeyboardInterrupt
            spied(self)

        Esp32Board.deepsleep = deepsleep

    seen = []
    run = simulate([], seconds=33, settings={"idle_off_s": 30}, flash=tmp_path,
                   before_main=_spy(seen, ctrl_c_in_the_first_sleep))
    assert run.checks == ["interrupted"]
    _left(seen, "auto_off", "sleep")
    assert run.result["resets"] == []  # asleep, no watchdog reset
    assert not run.kinds("fault")


def test_sr02_a_log_that_cannot_be_written_does_not_stop_the_way_out(tmp_path):
    """leave()'s steps after the cut (the stored fault, the log line) may fail
    (a full filesystem, an RTC error): the wand still sleeps."""

    def log_fails_on_leave(world, run, g):
        import wand.app

        orig = wand.app.App.note

        def note(self, now, kind, *args):
            if kind == "leave":
                raise OSError(28)  # ENOSPC
            return orig(self, now, kind, *args)

        wand.app.App.note = note

    seen = []
    run = simulate([], seconds=33, settings={"idle_off_s": 30}, flash=tmp_path,
                   before_main=_spy(seen, log_fails_on_leave))
    _left(seen, "auto_off", "sleep")
    assert run.result["resets"] == []
