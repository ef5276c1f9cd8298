"""SR-02: the hardware WDT is armed (timeout <= 1000 ms) before the output can
first be enabled, fed only by the main loop after a passing check on a fresh
measurement; a stalled loop resets the chip."""

import re

from harness import FIRMWARE, hal_board, press, simulate


def test_sr02_armed_before_output_first_enabled():
    seen = []

    def hook(world, run, g):
        orig = world._stage_pin_changed

        def spy(n):
            orig(n)
            if n == world.pin_oe and world.plant.oe:
                seen.append((world.now, world.wdt_on, world.wdt_timeout))

        world._stage_pin_changed = spy

    run = simulate([press(1.0)], seconds=4, before_main=hook)
    assert seen, "the output was never enabled"
    t, armed, timeout_us = seen[0]
    assert armed and 0 < timeout_us <= 1_000_000, seen[0]
    assert all(s.wdt for s in run.samples if s.oe)


def test_sr02_fed_only_from_the_main_loop():
    feeders = []
    for path in sorted((FIRMWARE / "wand").glob("*.py")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if re.search(r"\bfeed_watchdog\(|\.feed\(\)", code) and "def " not in code:
                feeders.append((path.name, n, code.strip()))
    # the HAL's feed_watchdog wraps wdt.feed(); App.run is its only caller
    assert sorted(f[0] for f in feeders) == ["app.py", "hal.py"], feeders
    app = (FIRMWARE / "wand" / "app.py").read_text()
    run_body = app[app.index("    def run(self):"):app.index("    # --- power")]
    assert "b.feed_watchdog()" in run_body and "if ok:" in run_body
    for banned in ("Timer(", "irq(", "_thread", "schedule("):
        assert banned not in app


def test_sr02_stalled_loop_resets_the_chip():
    run = simulate([press(1.0), (6.0, "stall", 3000)], seconds=10)
    causes = [c for _, c in run.result["resets"]]
    assert "wdt" in causes or "watchdog" in " ".join(causes), run.result["resets"]
    t_reset = run.result["resets"][0][0]
    assert 6000 <= t_reset <= 6000 + 1100  # within the 1000 ms timeout (+ a tick)
    # after the reset the output is off (hardware reset) and stays off
    assert all(abs(s.ua) < 1 for s in run.samples if s.t > t_reset)


def test_sr02_latched_fault_with_current_still_flowing_is_not_fed():
    """If current flows with the output commanded off, the check fails and the
    loop stops feeding: the watchdog resets the chip (all pins released)."""
    from wand.regulator import Calibration
    from wand.safety import Supervisor

    board, _ = hal_board()  # the real HAL on the simulated chip
    sup = Supervisor(board, Calibration(), 400)
    sup.trip(0, 1)
    uv = 200_000 + 100 * 3500  # 100 µA flowing while the output is off
    assert sup.check(10, uv, 100, False) is False
    assert sup.check(20, 200_000, 0, False) is True
