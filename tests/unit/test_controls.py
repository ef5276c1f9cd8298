"""wand.controls.Controls: what each gesture of the two buttons does in each
session state (SR-09, SR-12), the bench window at power-up, the button
settings saved only when no session runs, and SR-07's idle auto-off. The real
Session, OutputEngine, Ui and Buttons behind a small App stand-in (the part of
the App that Controls uses). Runs on CPython and on the MicroPython unix port.

Not covered here: the power-off long press in idle, whose path out of the
firmware (deep sleep) is being moved to wand.entry's one way out; the system
tests (tests/system/test_gestures.py) run it on the simulated board."""

from wand import session as ses
from wand import ui as uimod
from wand.controls import Controls
from wand.session import Session
from wand.waveform import OutputEngine

POWER = 1
LEVEL = 2
TICK = 10


class Sup:
    def __init__(self):
        self.fault_ms = 0


class Settings:
    def __init__(self):
        self.values = {"idle_off_s": 60}
        self.written = []

    def set(self, name, value):
        self.values[name] = value
        self.written.append((name, value))


class Board:
    """The part of the board Controls uses: the idle seconds kept in RTC memory."""

    def __init__(self):
        self.idle_s = []

    def store_idle_s(self, s):
        self.idle_s.append(s)


class App:
    """The App as Controls sees it; records what Controls asks of it."""

    def __init__(self):
        self.board = Board()
        self.session = Session(OutputEngine())
        self.sup = Sup()
        self.settings = Settings()
        self.ui = uimod.Ui()
        self.bench = False
        self.reset_cause = 1  # power applied (machine.PWRON_RESET)
        self.calibrating = None
        self.now = 0
        self.started = []
        self.cleared = []
        self.events = []
        self.observer = self  # (the simulator's hook: event(now, kind, value))

    def start_session(self, now):
        self.started.append(now)
        self.session.start(now)

    def clear_fault(self, now, why):
        self.cleared.append((now, why))
        self.session.state = ses.IDLE

    def log_event(self, now, *what):
        self.events.append(what)

    def event(self, now, *what):
        pass

    def note(self, now, *what):
        self.events.append(what)


def rig(bits_at_boot=0, t=2000, reset_cause=1):
    app = App()
    app.reset_cause = reset_cause
    c = Controls(app)
    c.boot(bits_at_boot)
    return app, c, [t]


def hold(c, clock, bits, ms):
    """Hold `bits` for `ms`, one tick at a time (the clock moves on)."""
    end = clock[0] + ms
    while clock[0] < end:
        c.app.now = clock[0]
        c.step(clock[0], bits)
        clock[0] += TICK


def press(c, clock, bits, ms=100):
    hold(c, clock, bits, ms)
    hold(c, clock, 0, 100)


def test_power_short_press_starts_a_session_and_then_pauses_and_resumes_it():
    app, c, clock = rig()
    hold(c, clock, 0, 1200)  # the bench window passes
    press(c, clock, POWER)
    assert len(app.started) == 1 and app.session.state == ses.RAMP_UP
    press(c, clock, POWER)
    assert app.session.state == ses.HOLD
    press(c, clock, POWER)
    assert app.session.state == ses.RAMP_UP and len(app.started) == 1


def test_power_long_press_stops_a_running_session():
    app, c, clock = rig()
    press(c, clock, POWER)
    assert app.session.active()
    hold(c, clock, POWER, 1400)
    assert app.session.state == ses.RAMP_UP  # not yet: 1.5 s
    hold(c, clock, POWER, 200)
    assert app.session.state == ses.RAMP_DOWN  # ramping down to the end
    hold(c, clock, 0, 100)
    assert len(app.started) == 1  # letting go is no short press


def test_sr12_a_power_press_held_through_the_boot_is_no_press():
    app, c, clock = rig(bits_at_boot=POWER, t=0)
    hold(c, clock, POWER, 3000)  # held past the long-press time
    hold(c, clock, 0, 200)
    assert app.started == [] and not app.session.active()
    press(c, clock, POWER)  # the next press counts
    assert len(app.started) == 1


def test_sr12_only_a_long_press_begun_after_the_fault_clears_it():
    app, c, clock = rig()
    app.session.state = ses.FAULT
    press(c, clock, POWER)  # a short press does nothing in a fault
    hold(c, clock, POWER, 500)
    app.sup.fault_ms = clock[0]  # the fault latched while the button was held
    hold(c, clock, POWER, 2000)
    hold(c, clock, 0, 100)
    assert app.cleared == [] and app.started == []
    app.sup.fault_ms = clock[0]  # (a fault latched now, the button up)
    hold(c, clock, 0, 100)
    hold(c, clock, POWER, 1600)
    assert len(app.cleared) == 1 and app.cleared[0][1] == "button"
    hold(c, clock, 0, 100)
    assert app.started == []


def test_level_button_in_a_session_changes_the_level_saved_after_it():
    app, c, clock = rig()
    press(c, clock, POWER)
    assert app.session.level == 3
    press(c, clock, LEVEL)
    press(c, clock, LEVEL)
    assert app.session.level == 5
    # held: down one at 0.8 s, then one every 0.6 s
    hold(c, clock, LEVEL, 2100)
    hold(c, clock, 0, 100)
    assert app.session.level == 2
    assert app.settings.written == []  # no flash write during a session
    app.session.state = ses.DONE
    assert not c.idle_expired()
    assert app.settings.written == [("level", 2)]


def test_level_short_press_outside_a_session_selects_the_next_program_at_once():
    app, c, clock = rig()
    names = []
    for _ in range(5):
        press(c, clock, LEVEL)
        names.append(app.session.program[0])
    assert names == ["tone", "smooth", "pulse", "lift", "tone"]
    assert app.settings.written[-1] == ("program", "tone") and len(app.settings.written) == 5
    assert app.started == []


def test_level_long_press_outside_a_session_toggles_mute_with_a_click():
    app, c, clock = rig()
    hold(c, clock, LEVEL, 900)
    assert app.ui.muted and app.ui.tone_hz == 0  # (muted: the click is not played)
    assert app.settings.written == [("mute", True)]
    hold(c, clock, LEVEL, 2000)  # a long hold toggles once, no repeats
    hold(c, clock, 0, 100)
    assert app.ui.muted
    hold(c, clock, LEVEL, 900)
    assert not app.ui.muted and app.ui.tone_hz == uimod.TONE_CLICK[0]
    assert app.settings.written[-1] == ("mute", False)
    hold(c, clock, 0, 100)
    assert app.session.program[0] == "lift"  # and no program change


def test_no_level_gesture_in_a_fault():
    app, c, clock = rig()
    app.session.state = ses.FAULT
    press(c, clock, LEVEL)
    hold(c, clock, LEVEL, 1000)
    hold(c, clock, 0, 100)
    assert app.session.program[0] == "lift" and not app.ui.muted and app.settings.written == []


def test_sr09_bench_mode_needs_the_level_button_held_from_power_up_to_1_s():
    app, c, clock = rig(t=0)
    hold(c, clock, 0, 50)
    hold(c, clock, LEVEL, 1500)  # pressed at 50 ms, held past 1 s
    assert app.bench and ("bench", "on") in app.events
    hold(c, clock, 0, 100)
    assert app.session.program[0] == "lift" and not app.ui.muted  # letting go is no gesture
    # pressed too late
    app, c, clock = rig(t=0)
    hold(c, clock, 0, 200)
    hold(c, clock, LEVEL, 1500)
    assert not app.bench
    # let go before 1 s
    app, c, clock = rig(t=0)
    hold(c, clock, LEVEL, 600)
    hold(c, clock, 0, 600)
    assert not app.bench and app.session.program[0] == "lift"  # (and no gesture either)


def test_sr09_bench_mode_only_at_a_power_up_or_a_wake_not_after_a_reset():
    """Red team rt6: the level button held (stepping the level down) through a
    watchdog or soft reset turned bench mode on. Power applied (1) and the power
    button's wake from sleep (4) are power-ups; a hard (2), watchdog (3) or
    soft (5) reset is none."""
    for cause, bench in ((1, True), (4, True), (2, False), (3, False), (5, False)):
        app, c, clock = rig(LEVEL, t=0, reset_cause=cause)
        hold(c, clock, LEVEL, 1500)
        assert app.bench == bench, cause
        assert (("bench", "on") in app.events) == bench, cause


def test_a_calibration_refuses_no_button_but_a_long_power_press_stops_it():
    """A long power press outside a session switches the wand off, but during a
    calibration it stops the calibration (at its ramp's rate) and nothing else."""

    class Cal:
        aborted = 0

        def abort(self):
            self.aborted += 1

    app, c, clock = rig()
    app.calibrating = cal = Cal()
    app.board.left = []
    app.board.leave = app.board.left.append
    press(c, clock, POWER, 1700)
    assert cal.aborted == 1 and app.board.left == [] and app.started == []


def test_sr07_idle_expires_after_idle_off_s_without_a_press():
    app, c, clock = rig(t=0)
    hold(c, clock, 0, 1200)
    app.now = 59990
    assert not c.idle_expired()
    app.now = 60000
    assert c.idle_expired()
    # a press restarts the count (from its release at 60.1 s, a short press)
    clock[0] = 60000
    press(c, clock, LEVEL)
    app.now = 60100 + 59990
    assert not c.idle_expired()
    app.now = 60100 + 60000
    assert c.idle_expired()


def test_sr07_a_running_session_bench_mode_and_a_calibration_keep_it_awake():
    app, c, clock = rig()
    press(c, clock, POWER)
    app.now = 10**6
    assert not c.idle_expired()  # running
    app.session.state = ses.IDLE
    app.bench = True
    app.now = 2 * 10**6
    assert not c.idle_expired()
    app.bench = False
    app.calibrating = object()
    app.now = 3 * 10**6
    assert not c.idle_expired()
    app.calibrating = None
    app.now = 3 * 10**6 + 59000
    assert not c.idle_expired()  # idling counts from the last of them
    app.now = 3 * 10**6 + 60000
    assert c.idle_expired()


def test_sr07_a_paused_session_is_ended_after_the_idle_time_then_off():
    app, c, clock = rig()
    press(c, clock, POWER)
    press(c, clock, POWER)
    assert app.session.state == ses.HOLD
    app.now = clock[0] + 59000
    assert not c.idle_expired() and app.session.state == ses.HOLD
    app.now = clock[0] + 61000
    assert not c.idle_expired()  # ended first ...
    assert app.session.state == ses.DONE and app.session.ended_by == ses.END_IDLE
    app.now += 10
    assert c.idle_expired()  # ... then off, once the session is done


def test_sr07_the_idle_seconds_are_kept_once_a_second_and_at_once_on_activity():
    """A watchdog reset loses the uptime; RTC memory keeps the idle count."""
    app, c, clock = rig(t=0)
    for t in range(0, 3500, 10):
        app.now = t
        c.idle_expired()
    # written at the first look (RTC memory may hold a count of a wake before), then rounded up: never under
    assert app.board.idle_s == [0, 1, 2, 3, 4], app.board.idle_s
    clock[0] = 3500
    press(c, clock, LEVEL)  # activity: kept at once (its release was 100 ms ago: 1, rounded up)
    c.idle_expired()
    assert app.board.idle_s[-1] == 1, app.board.idle_s
    press(c, clock, POWER)  # a session runs: 0 kept, then nothing written again
    c.idle_expired()
    assert app.board.idle_s[-1] == 0, app.board.idle_s
    n = len(app.board.idle_s)
    for t in range(clock[0], clock[0] + 5000, 10):
        app.now = t
        c.idle_expired()
    assert len(app.board.idle_s) == n, app.board.idle_s[n:]


def test_sr07_after_a_watchdog_reset_idling_goes_on_from_the_kept_seconds():
    """Found (fuzz round 49): loop stalls that reset the chip restarted the idle
    clock at each boot; the wand was on 41 s after the last press, 30 s asked.
    The count goes on from what the board kept (the seconds idled plus the
    watchdog's timeout: hal.stored_idle_ms)."""
    app, c, clock = rig(t=0)
    app.settings.values["idle_off_s"] = 30
    c.resume_idle(26000)  # 25 s kept, then a 1 s watchdog timeout: 26 s idle at boot
    app.now = 3990
    assert not c.idle_expired()
    app.now = 4000
    assert c.idle_expired()
    # a press after the reset is activity as ever
    app, c, clock = rig()  # (past the bench window: a level press is a press)
    app.settings.values["idle_off_s"] = 30
    c.resume_idle(26000)
    press(c, clock, LEVEL)
    app.now = clock[0] + 28000
    assert not c.idle_expired() and app.board.idle_s[-1] == 29, app.board.idle_s  # 28.1 s, rounded up


def test_sr12_a_long_press_told_only_at_its_release_does_not_acknowledge_a_fault():
    """A release after a loop stall may tell a long press (the safe side for a
    stop or a level); a fault's acknowledgement needs the button held."""
    app, c, clock = rig()
    app.session.state = ses.FAULT
    app.sup.fault_ms = clock[0]
    clock[0] += 100
    hold(c, clock, POWER, 500)
    clock[0] += 1200  # the loop stalls with the button held; released inside the stall
    app.now = clock[0]
    c.step(clock[0], 0)
    assert app.cleared == [] and app.session.state == ses.FAULT
    press(c, clock, POWER, 1600)  # held through its 1.5 s: acknowledged
    assert len(app.cleared) == 1, app.cleared
