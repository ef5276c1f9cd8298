"""SR-10 red team, end to end through the App: power lost at every flash
operation of a console `set` (settings write + its log event) and of the
event-log rotation leaves the old or the new settings, a readable log, and a
wand that boots and runs a session with them."""

import pytest
from appboard import make_world
from rt import FakeSerial

from simboard import esp32 as sim_esp32
from simboard import machine as sim_machine
from simboard import time as sim_time
from simboard.flashfs import FlashFS, PowerCut


def _app(world, fs, serial):
    from wand.app import App
    from wand.hal import WDT_TIMEOUT_MS, Esp32Board

    b = Esp32Board(sim_machine, sim_time, sim_esp32)
    b.output_off()
    b.arm_watchdog(WDT_TIMEOUT_MS)
    app = App(b, fs, serial)
    app.boot()
    return app, b


def _tick(app, b):
    if app.tick():
        b.feed_watchdog()
    sim_time.sleep_ms(app.period_ms())


@pytest.mark.parametrize("n", range(1, 9))  # the set takes 7 flash operations; 8: no cut
def test_sr10_redteam_power_cut_at_every_flash_op_of_a_console_set(n):
    world = make_world(bench=False, usb=True)
    fs = world.flashfs()
    ser = FakeSerial()
    app, b = _app(world, fs, ser)
    app.open_console()
    for _ in range(5):
        _tick(app, b)
    from wand.eventlog import HALF

    for i in range(40):
        app.log_event(0, "filler", i)
    while app.log._count < HALF:  # fill the current file: the `setting` event rotates (opens the other, "w")
        app.log_event(0, "filler", -1)
    ser.send("set level 7")
    fs.cut_after(n)
    cut = False
    try:
        for _ in range(50):
            _tick(app, b)
    except PowerCut:
        cut = True
    # power back: a fresh filesystem on the same flash, a fresh App
    from wand.eventlog import EventLog
    from wand.settings import Settings

    fs2 = FlashFS(world.flash_dir)
    s = Settings(fs2)
    assert s.load() == [], (n, cut)
    assert s.values["level"] in (3, 7), s.values
    log = EventLog(fs2)
    log.open()
    tail = log.tail(64)
    seqs = [r["seq"] for r in tail]
    assert seqs == sorted(seqs) and len(tail) >= 32, (n, len(tail))
    if not cut:
        assert s.values["level"] == 7
