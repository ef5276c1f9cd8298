"""A console `stop` (bench mode) is its own end reason, "console": the
session's end event, the event log, the session history and the host's
renderings of both say so, never "the power button"."""

from __future__ import annotations

from appboard import SimApp
from console_fakes import FakeSerial

from wandctl.console_format import describe_event
from wandctl.history_format import format_table


def _run_until(sim, done, ticks):
    for _ in range(ticks):
        sim.tick()
        if done():
            return True
    return False


def test_a_console_stop_ends_the_session_as_console_not_as_the_power_button():
    serial_ = FakeSerial()
    sim = SimApp(serial_, bench=True, usb=True)
    app = sim.app
    app.open_console()
    serial_.send(b"start\n")
    assert _run_until(sim, app.session.active, 100), serial_.text()
    for _ in range(150):
        sim.tick()
    serial_.out.clear()
    serial_.send(b"stop\n")
    assert _run_until(sim, lambda: not app.session.active(), 2000), serial_.text()
    assert "ok" in serial_.text() and "err" not in serial_.text(), serial_.text()
    assert app.session.ended_by == "console"
    ends = [e for e in app.log.tail(32) if e["kind"] == "session_end"]
    assert len(ends) == 1 and ends[0]["a"] == "console", ends
    recs = app.hist.records()
    assert recs and recs[-1]["ended"] == "console", recs
    assert "by a console `stop`" in describe_event("session_end", ends[0]["a"], ends[0]["b"])
    assert "power button" not in describe_event("session_end", ends[0]["a"], ends[0]["b"])
    table = format_table(recs)
    assert table.splitlines()[-1].endswith("console stop"), table


def test_the_power_button_still_ends_it_as_button():
    """The other way to stop it, for contrast: a long press of power."""
    serial_ = FakeSerial()
    sim = SimApp(serial_, bench=True, usb=True)
    app = sim.app
    assert app.start_session(app.now) is None
    for _ in range(150):
        sim.tick()
    sim.world.at(sim.world.now // 1000 + 10, "press", "power", 2.0)
    assert _run_until(sim, lambda: not app.session.active(), 2000)
    assert app.session.ended_by == "button"
    assert app.hist.records()[-1]["ended"] == "button"


def test_the_one_way_out_reads_in_words():
    """Auto-off and the power button now log `leave <reason>` (wand.entry.leave):
    `wandctl log` still says what happened."""
    assert describe_event("leave", "auto_off") == "switched off after idling"
    assert describe_event("leave", "power_off") == "switched off with the power button"
    assert describe_event("leave", "repl").startswith("left to the MicroPython REPL (console `repl`")
    assert "hard reset" in describe_event("leave", "dac_held")
    assert "nosuch" in describe_event("leave", "nosuch")  # any other reason: still named
