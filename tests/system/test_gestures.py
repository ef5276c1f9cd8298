"""The gesture table of the README, on the full firmware with bouncing buttons
(the simulated buttons chatter for 5..30 ms at every edge)."""

from harness import press, simulate


def states(run):
    return run.states()


def test_power_short_starts_then_pauses_then_resumes():
    run = simulate([press(1.0), press(6.0), press(9.0)], seconds=14, settings={"level": 5})
    s = states(run)
    assert s[:3] == ["ramp_up", "running", "hold"], s
    assert "ramp_up" in s[3:], s


def test_power_long_stops_the_session():
    run = simulate([press(1.0), (8.0, "press", "power", 2.0)], seconds=16, settings={"level": 5})
    assert run.first("session_end")[2][0] == "button"


def test_level_short_up_long_down_and_repeat():
    script = [press(1.0), (5.0, "press", "level", 0.15), (6.0, "press", "level", 0.15),
              (8.0, "press", "level", 2.2)]  # long: -1, then repeats
    run = simulate(script, seconds=12, settings={"level": 3})
    levels = [int(e[2][0]) for e in run.kinds("level")]
    assert levels[:2] == [4, 5], levels
    assert levels[2:] and levels[-1] < 5 and len(levels) >= 4, levels


def test_level_short_in_idle_changes_program_and_long_toggles_mute():
    run = simulate([(2.0, "press", "level", 0.15), (4.0, "press", "level", 1.2)], seconds=6)
    assert [e[2][0] for e in run.kinds("program")] == ["tone"]


def test_power_long_in_idle_switches_off():
    run = simulate([(2.0, "press", "power", 2.0), (10.0, "press", "power", 0.3)], seconds=12)
    # asleep from the long press (3.5 s); the release at 4 s wakes the chip, which sleeps again at once (a sleep
    # armed on the held button's low level woke at once: red team rt7); the press at 10 s wakes it
    resets = run.result["resets"]
    assert [c for _, c in resets] == ["deepsleep", "deepsleep"], resets
    assert 4000 <= resets[0][0] < 4100 and 10000 <= resets[1][0] < 10100, resets
    assert not [s for s in run.samples if 3600 < s.t < 10000 and (s.g or s.r)]  # dark in between


def test_one_press_per_bouncy_press_over_many_presses():
    script = [press(1.0)] + [(5.0 + i * 0.7, "press", "level", 0.12) for i in range(6)]
    run = simulate(script, seconds=12, settings={"level": 1})
    assert [int(e[2][0]) for e in run.kinds("level")] == [2, 3, 4, 5, 6, 7]
