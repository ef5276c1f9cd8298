"""What the host prints from the board's records, and what the session plot draws: the `leave` event in
words, the contact band in one word for `monitor --text`, the plot's envelope at the session's end."""

from __future__ import annotations

import pytest

from wandctl.console_format import describe_event, format_record
from wandctl.contact_bands import contact_word
from wandctl.simplot import envelope


@pytest.mark.parametrize("reason,words", [
    ("interrupted", "interrupted by Ctrl-C: left to the MicroPython REPL (output off and locked, watchdog relaxed, "
                    "no reset)"),
    ("repl", "left to the MicroPython REPL (console `repl`: output off and locked, watchdog relaxed, no reset)"),
    ("reboot", "rebooting (console `reboot`): output off, hard reset"),
    ("exception", "firmware error: left to the MicroPython REPL with the output off and locked"),
])
def test_the_leave_event_is_printed_in_words(reason, words):
    """wand.entry.leave() logs kind `leave` with its reason; `wandctl log` printed `leave interrupted`."""
    assert describe_event("leave", reason, None) == words
    line = format_record({"boot": 4, "t_ms": 1334, "kind": "leave", "a": reason})
    assert line.startswith("boot 4 ") and line.endswith(words) and "1.334 s" in line


def test_a_leave_with_an_unknown_reason_still_says_what_leaving_means():
    assert describe_event("leave", "brownout", None) == ("left the firmware (brownout): output off and locked, "
                                                         "watchdog relaxed")


@pytest.mark.parametrize("ohms,state,word", [
    (100, "running", "short"), (2000, "running", "good"), (10000, "running", "fair"), (47000, "running", "poor"),
    (None, "running", "-"), (None, "no_contact", "none"), (2000, "no_contact", "none"),
])
def test_the_contact_band_in_one_word(ohms, state, word):
    assert contact_word(ohms, state) == word


def _square(t_end_s: float, run_s: float, amp: float, half_s: float = 1.0, dt: float = 0.01):
    """A square wave of `amp` uA for run_s, then zero until t_end_s."""
    t, ua = [], []
    n = int(round(t_end_s / dt))
    for i in range(n + 1):
        x = i * dt
        t.append(x)
        ua.append(0.0 if x >= run_s else (amp if int(x / half_s) % 2 == 0 else -amp))
    return t, ua


def test_the_envelope_drops_after_the_last_phase():
    """It held the last phase's peak to the end of the axis (the last block's drop was never added), so the
    timed end could not be seen."""
    t, ua = _square(40.0, 20.0, 300.0)
    ts, hi, lo = envelope(t, ua, hold_s=2.5)
    assert ts == sorted(ts)
    assert max(hi) == pytest.approx(300.0) and min(lo) == pytest.approx(-300.0)
    assert hi[-1] == 0.0 and lo[-1] == 0.0
    # down within hold_s of the last phase of each sign, and zero from there on
    after = [(x, h, lw) for x, h, lw in zip(ts, hi, lo, strict=True) if x >= 20.0 + 2.5]
    assert after and all(h == 0.0 and lw == 0.0 for _, h, lw in after)
    # still up while the wave runs
    during = [(h, lw) for x, h, lw in zip(ts, hi, lo, strict=True) if 2.0 <= x <= 19.0]
    assert during and all(h == pytest.approx(300.0) and lw == pytest.approx(-300.0) for h, lw in during)


def test_the_envelope_of_a_current_still_flowing_at_the_end_stays_up():
    t, ua = _square(10.0, 20.0, 200.0)  # the run ends before the session
    ts, hi, lo = envelope(t, ua, hold_s=2.5)
    assert ts == sorted(ts) and ts[-1] == pytest.approx(10.0)
    assert hi[-1] == pytest.approx(200.0) and lo[-1] == pytest.approx(-200.0)  # no drop: the wave runs on
