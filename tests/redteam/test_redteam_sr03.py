"""SR-03 red team: every exit leaves the output off.

Found: three Ctrl-C bytes in one burst (87 µs apart: back-to-back at 115200
baud, e.g. a tool or a paste sending "\\x03\\x03\\x03") during a session. The first
KeyboardInterrupt enters `main()`'s `except KeyboardInterrupt`, whose first
statement `b.output_off()` is interrupted by the second before its first pin
write; the `finally: b.output_off()` is interrupted by the third. main.py ends
in the REPL with output enable, bridge leg and DAC still on: 980 ms of DC
current (243 µA at level 6) until the watchdog resets the chip."""

import pytest
from harness import press
from rt import peak, simulate


def test_sr03_redteam_ctrl_c_burst_leaves_output_on():
    script = [press(1.0)] + [(8.0 + k * 87e-6, "interrupt") for k in range(3)]
    run = simulate(script, seconds=9.5, settings=dict(level=6))
    on_ms = 10 * sum(1 for s in run.samples if s.t > 8010 and abs(s.ua) > 1.0)
    assert on_ms == 0, ("ms of current after the Ctrl-C burst", on_ms, run.result["resets"])


@pytest.mark.parametrize("n", [1, 2])
def test_sr03_redteam_one_or_two_ctrl_c_leave_output_off(n):
    """Passing: one Ctrl-C (mpremote) or two back to back: output off at once."""
    script = [press(1.0)] + [(8.0 + k * 87e-6, "interrupt") for k in range(n)]
    run = simulate(script, seconds=9.5, settings=dict(level=6))
    assert peak(run, 8010) == 0.0
