"""Red team rt6 (a helper that did not write the firmware): console commands
typed at bad moments, calibration through the console, resets and button
timing; each was fixed, and each test here asserts the requirement (docs/safety.md).
The console is typed on by the script's `line` action (simboard.script)."""

import json

import pytest
from harness import press, simulate, verdict


class _Typed:
    def __init__(self, world):
        self.world = world

    def text(self):
        return bytes(self.world.serial_out).decode()


def simulate_console(script, lines, **kw):
    """A run with lines typed on the USB console at their times (the script's `line` action)."""
    run = simulate(list(script) + [(t, "line") + tuple(text.split()) for t, text in lines], **kw)
    run.serial = _Typed(run.world)
    return run


BENCH = [(0, "hold", "level"), (1.5, "release", "level")]  # level held at power-up: bench mode (SR-09)


def _session_spans(run):
    """[start_ms, end_ms) of every session from the firmware's events."""
    spans, t0 = [], None
    for t, k, _ in run.events:
        if k == "session_start":
            t0 = t
        elif k == "session_end" and t0 is not None:
            spans.append((t0, t))
            t0 = None
    if t0 is not None:
        spans.append((t0, 10**12))
    return spans


def _bench_only(run):
    """The output outside the sessions, and whether bench mode was on before it."""
    spans = _session_spans(run)
    outside = [s for s in run.samples if abs(s.ua) > 1 and not any(a <= s.t < b for a, b in spans)]
    bench = run.first("bench")
    return outside, bench is not None and all(s.t > bench[0] for s in outside)


def test_sr05_sr11_console_calibrate_ramps_its_current_in_bench_mode():
    """Was (rt6): bench mode, the wand on skin (the firmware cannot tell skin
    from the calibration resistor), `calibrate 10000`: the calibration wrote
    code 46 (about 100 uA) then 139 (about 300 uA) at once, alternating
    polarity every tick: 1999 uA/s. Now its code moves one a pair of ticks
    (about 110 uA/s) up to each point and back down to zero; the output
    outside a session is the calibration's, in bench mode only (SR-09, SR-11)."""
    run = simulate_console([(0, "load", "skin")] + BENCH, [(3.5, "calibrate 10000")], seconds=15, seed=1)
    assert '"gain_na_per_code"' in run.serial.text(), run.serial.text()  # the calibration ran and was stored
    outside, bench = _bench_only(run)
    assert outside and bench and max(abs(s.ua) for s in outside) > 250
    v = verdict(run)
    assert v["ok"], v["violations"]
    assert v["SR-04"]["outside_runs_judged"] == 1 and 0 < v["SR-05"]["max_ramp_ua_per_s"] <= 150, v["SR-05"]


def test_sr04_a_calibration_leaves_no_dc():
    """Was (rt6): the calibration's last tick (negative) was written and cut
    in the same tick, so the positive tick before it was never paid: +2.96 uC,
    100 % of that 10 ms phase, per calibration. The oracle judged SR-04 only
    in sessions; it judges every run of output outside them now."""
    run = simulate_console([(0, "load", 10000)] + BENCH, [(3.5, "calibrate 10000")], seconds=15, seed=1)
    assert '"gain_na_per_code"' in run.serial.text(), run.serial.text()
    phases = [p for p in run.phase_records if p[0] >= 3400]
    big = max(abs(p[2]) for p in phases)
    net = sum(p[2] for p in phases)
    assert abs(net) <= 0.01 * big, "net %.3f uC, phase %.3f uC (%.0f %%)" % (net, big, 100 * abs(net) / big)
    v = verdict(run)
    assert v["ok"] and v["SR-04"]["outside_runs_judged"] == 1, v["violations"]


@pytest.mark.parametrize("stall_at", [4.133, 4.6, 7.005])
def test_sr04_a_loop_stall_in_a_calibration_is_paid_back(stall_at):
    """A 600 ms loop stall in a calibration (on its way up, at a point, in
    the tick of a reversal): the code that flowed through it is booked to the
    microsecond and paid back at no more than the code, skipping the other
    polarity's ticks meanwhile, before the calibration goes on."""
    run = simulate_console([(0, "load", 10000)] + BENCH + [(stall_at, "stall", 600)],
                           [(3.5, "calibrate 10000")], seconds=16, seed=2)
    assert '"gain_na_per_code"' in run.serial.text(), run.serial.text()
    v = verdict(run)
    assert v["ok"] and v["SR-04"]["outside_runs_judged"] == 1, v["violations"]


def test_sr04_sr05_a_power_press_during_a_calibration_starts_no_session_and_a_long_one_stops_it():
    """Was (rt6): a power press during a console calibration started a session
    the calibration's square wave ran inside (SR-04 99 % of a phase, SR-05
    1999 uA/s). A short press is refused now (the refusal's tone); a long
    press stops the calibration at its ramp's rate, nothing stored."""
    run = simulate_console([(0, "load", "skin"), press(4.6)] + BENCH, [(3.5, "calibrate 10000")], seconds=15,
                           seed=1)
    assert run.first("session_start") is None, run.events
    assert '"gain_na_per_code"' in run.serial.text()
    assert verdict(run)["ok"]
    run = simulate_console([(0, "load", "skin"), press(5.0, "power", 1.7)] + BENCH, [(3.5, "calibrate 10000")],
                           seconds=12, seed=1)
    assert "stopped by the power button" in run.serial.text(), run.serial.text()
    assert run.first("leave") is None and run.first("session_start") is None, run.events
    v = verdict(run)
    assert v["ok"] and v["SR-04"]["outside_runs_judged"] == 1, v["violations"]


@pytest.mark.parametrize("reset", ["wdt", "soft"])
def test_sr09_bench_mode_needs_a_power_up_not_any_reset_with_the_level_button_held(reset):
    """Was (rt6): the user holds the level button to step the level down (a
    long press, repeats) when the loop stalls past the watchdog (or a Ctrl-C
    Ctrl-D comes from a tethered computer). The chip reset with the button
    still held and booted in bench mode, though no power-up took place: after
    the watchdog fault was acknowledged, USB power appeared and the power
    button started a session on USB power (10.7 s at 204 uA), and the wand
    never idled off. The oracle took bench mode from the firmware's own event
    and saw nothing. Bench mode is a power-up's only now (power applied, or the
    power button's wake from sleep), and the oracle judges it from the inputs."""
    ev = (5.5, "stall", 1500) if reset == "wdt" else (5.5, "soft_reset")
    ack = [press(10, "power", 2.0)] if reset == "wdt" else []  # the watchdog fault's acknowledgement
    script = [(0, "load", "skin"), press(0.5), (5.0, "hold", "level"), ev, (9.0, "release", "level"),
              (13, "usb", "on"), press(14)] + ack
    run = simulate(script, seconds=25, seed=1, settings={"program": "lift", "level": 5, "idle_off_s": 30})
    resets = run.result["resets"]
    assert all(name != "power_on" for _, name in resets), resets  # no power-up took place
    assert run.first("bench") is None, "bench mode entered at %d ms after %s" % (run.first("bench")[0], resets)
    assert run.first("usb_refused") is not None, run.events
    on_usb = [s for s in run.samples if s.t > 13100 and abs(s.ua) > 5]
    assert not on_usb, "%.1f s of current on USB power, peak %.1f uA" % (len(on_usb) / 100,
                                                                          max(abs(s.ua) for s in on_usb))
    v = verdict(run)
    assert v["ok"], v["violations"]


def test_sr09_bench_mode_still_comes_at_a_power_up_and_a_wake_from_sleep():
    """The fix takes nothing from the deliberate act: the level button held
    at power applied (a power cut and back) or at the power button's wake from
    the idle auto-off turns bench mode on, and a session runs on USB power."""
    cut = [(0, "load", "skin"), (3.0, "power_cut"), (3.2, "hold", "level"), (3.3, "power_on"),
           (5.0, "release", "level"), (6, "usb", "on"), press(7)]
    run = simulate(cut, seconds=12, seed=1, settings={"program": "lift", "level": 5})
    assert run.first("bench") is not None and run.first("session_start") is not None, run.events
    v = verdict(run)
    assert v["ok"] and v["SR-09"]["bench"], v["violations"]
    wake = [(0, "load", "skin"), (33.0, "hold", "level"), press(33.05, "power", 0.3), (35.0, "release", "level")]
    run = simulate(wake, seconds=38, seed=1, settings={"program": "lift", "level": 5, "idle_off_s": 30})
    assert [n for _, n in run.result["resets"]] == ["deepsleep"], run.result["resets"]
    assert run.first("bench") is not None, run.events
    assert verdict(run)["ok"]


@pytest.mark.parametrize("interpreter", ["cpython", "micropython"])
def test_sr09_no_bench_mode_after_a_watchdog_reset_on_both_interpreters(interpreter, tmp_path):
    from simboard import simrun

    script = tmp_path / "wdt.script"
    script.write_text("0 file settings.json " + json.dumps({"program": "lift", "level": 5}).encode().hex() + "\n"
                      "0 load skin\n0.5 press power 0.2\n5.0 hold level\n5.5 stall 1500\n9.0 release level\n"
                      "10 press power 2.0\n13 usb on\n14 press power 0.2\n")
    res = simrun.run(simrun.SimOptions(script=str(script), seed=1, seconds=25, interpreter=interpreter))
    v = simrun.verdict(res)
    assert v["ok"], v["violations"]
    assert not v["SR-09"]["bench"] and v["SR-09"]["current_with_usb_max_ms"] == 0, v["SR-09"]


def test_sr07_a_watchdog_reset_with_the_level_button_held_still_idles_off():
    """Was (rt6): the same unintended bench mode turned the idle auto-off
    off; the wand was still lit at 80 s with idle_off_s 30. A session, the
    level button held, a 1.5 s loop stall: the fault stays latched, nobody
    touches the wand again, and it idles off."""
    script = [(0, "load", "skin"), press(0.5), (5.0, "hold", "level"), (5.5, "stall", 1500), (9.0, "release", "level")]
    run = simulate(script, seconds=80, seed=1, settings={"program": "lift", "level": 5, "idle_off_s": 30})
    assert [n for _, n in run.result["resets"]] == ["wdt"]
    lit = [s.t for s in run.samples if s.g or s.r]
    assert run.first("leave") is not None and lit[-1] < 9000 + 30000 + 8000, (run.first("leave"), lit[-1])
    v = verdict(run)
    assert v["ok"] and v["SR-07"]["idle_judged"] >= 1, (v["violations"], v["SR-07"])


def test_oracle_sr04_a_returns_rebalance_counts_only_its_own_sessions_part_of_a_phase():
    """Found by rt6 (reported unconfirmed): `tone`, a pause then a stop, a
    second session started lifted, contact back, and a pause 0.45 s later. The
    oracle's re-balance after the return summed the whole plant phase the
    return's probe fell in, which had run on through the idle gap from the
    first session's pause: 53 % of a phase, never paid (it was the first
    session's, and balanced there). It takes this session's part now, as the
    session's DC check does: 0.2 %."""
    script = [(1.5, "release", "level"), (1.744, "press", "power", 0.2), (3.337, "press", "power", 1.49),
              (6.235, "press", "level", 1.51), (7.804, "press", "level", 0.05), (6.842, "inject", "gain_drift=1.1"),
              (10.803, "press", "level", 1.51), (12.446, "press", "level", 1.5), (11.785, "press", "power", 12),
              (15.456, "press", "power", 1.49), (16.876, "contact", "off"), (18.681, "contact", "on"),
              (18.004, "press", "power", 1.45), (18.092, "press", "level", 1.45)]
    settings = {"program": "tone", "level": 6, "user_max_ua": 250, "session_min": 1, "idle_off_s": 30}
    run = simulate(script, seconds=30, seed=4, settings=settings)
    assert [e[0] for e in run.events if e[1] == "session_start"][1:] and run.first("contact_back") is not None
    v = verdict(run)
    assert v["ok"] and v["SR-04"]["lifts_rebalanced"] == 1 and v["SR-04"]["rebalance_worst_pct"] < 1, v["SR-04"]
