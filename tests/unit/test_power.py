"""wand.power.Power (SR-09): the battery's low and critical thresholds with
their debounce, and USB power coming and going, judged from one tick's raw
readings at a time. Runs on CPython and on the MicroPython unix port."""

from wand import board
from wand import power as pw


def uv(mv):
    """The battery ADC reading (µV) of a battery at `mv` (board.json's divider)."""
    return int(mv * board.VBAT_DIVIDER * 1000)


def new(mv=3900):
    p = pw.Power(lambda now, kind, a: None)
    p.start(uv(mv))
    return p


def run(p, mv, ticks, usb=False):
    """Step `ticks` ticks at `mv`; returns the list of non-zero reports (tick, bits)."""
    out = []
    for k in range(ticks):
        bits = p.step(uv(mv), usb)
        if bits:
            out.append((k, bits))
    return out


def test_thresholds_are_board_json_figures():
    assert (board.BAT_LOW_MV, board.BAT_CRITICAL_MV) == (3450, 3300)
    p = new(3700)
    assert p.battery_mv == 3700 and not p.usb and not p.battery_low
    assert run(p, 3700, 500) == [] and p.battery_mv == 3700


def test_sr09_critical_battery_after_5_raw_readings_in_a_row():
    p = new(3900)
    crit = board.BAT_CRITICAL_MV - 1
    assert run(p, crit, 4) == []
    bits = p.step(uv(crit), False)
    assert bits & pw.CRITICAL  # the 5th reading in a row: cut at once
    assert p.step(uv(crit), False) & pw.CRITICAL  # and it keeps saying so
    # a good reading restarts the count: a sag under load is not a fault
    p = new(3900)
    for _ in range(50):
        assert run(p, crit, 4) == []
        p.step(uv(3900), False)
    # at the threshold itself: not critical
    p = new(3900)
    assert all(not (b & pw.CRITICAL) for _, b in run(p, board.BAT_CRITICAL_MV, 200))


def test_sr09_low_battery_reported_once_after_1s_of_the_average_under_the_threshold():
    low = board.BAT_LOW_MV - 10
    p = new(low)  # the boot's reading seeds the average
    assert run(p, low, 99) == [] and not p.battery_low
    assert p.step(uv(low), False) == pw.LOW and p.battery_low  # the 100th tick (1 s)
    assert run(p, low, 1000) == [] and p.battery_low  # once, and it stays low
    # from a good battery the 16-reading average has to come down first
    p = new(3900)
    out = run(p, low, 400)
    assert [b for _, b in out] == [pw.LOW] and out[0][0] >= 100, out
    # brief dips do not move the average across the threshold
    p = new(3600)
    for _ in range(100):
        p.step(uv(3000), False)  # one raw reading far below
        assert run(p, 3600, 9) == []
    assert not p.battery_low and p.battery_mv >= board.BAT_LOW_MV


def test_sr09_usb_present_after_2_readings_and_gone_after_8_absent():
    p = new()
    assert p.step(uv(3900), True) == 0 and not p.usb
    assert p.step(uv(3900), True) == pw.USB_CHANGED and p.usb
    assert run(p, 3900, 100, usb=True) == [] and p.usb
    for _ in range(7):
        assert p.step(uv(3900), False) == 0 and p.usb
    assert p.step(uv(3900), False) == pw.USB_CHANGED and not p.usb
    assert run(p, 3900, 100) == []


def test_sr09_a_flapping_connector_is_one_change_not_a_stream():
    p = new()
    out = []
    for k in range(300):
        b = p.step(uv(3900), k % 3 != 2)  # present 2 of 3 readings
        if b:
            out.append((k, b))
    assert out == [(1, pw.USB_CHANGED)] and p.usb, out
    # chatter faster than any debounce, 1 reading on, 1 off: present (an
    # up/down count let a session run through it, red team rt4)
    p = new()
    out = [k for k in range(300) if p.step(uv(3900), k % 2 == 0)]
    assert out == [2] and p.usb, out
    # a single present reading now and then (a glitch) never counts as USB
    p = new()
    for k in range(300):
        assert p.step(uv(3900), k % 8 == 0) == 0, k
    assert not p.usb


def test_sr09_on_usb_the_battery_is_charging_not_low_or_critical():
    p = new(3200)
    out = run(p, 3200, 400, usb=True)
    assert out == [(1, pw.USB_CHANGED)] and not p.battery_low
    # low before USB came: USB clears it
    p = new(3400)
    run(p, 3400, 100)
    assert p.battery_low
    run(p, 3400, 3, usb=True)
    assert p.usb and not p.battery_low
    # unplugged on a flat battery: judged again from there
    out = run(p, 3200, 200)
    bits = 0
    for _, b in out:
        bits |= b
    assert bits & pw.USB_CHANGED and bits & pw.CRITICAL and bits & pw.LOW


# --- what follows from the judgement: Power.judge() and Power.refusal() ---------------------
from wand import faults  # noqa: E402
from wand import session as ses  # noqa: E402


class FakeSup:
    def __init__(self, fault=0):
        self.fault = fault
        self.trips = []

    def trip(self, now, code):
        self.trips.append((now, code))
        if not self.fault:
            self.fault = code


class FakeSession:
    def __init__(self, state):
        self.state = state
        self.stops = []

    def active(self):
        return self.state in (ses.RAMP_UP, ses.RUNNING, ses.NO_CONTACT, ses.HOLD, ses.RAMP_DOWN)

    def stop(self, now, why):
        self.stops.append((now, why))
        self.state = ses.RAMP_DOWN


def judged(mv, ticks, usb=False, state=ses.RUNNING, bench=False, fault=0, start_mv=3900):
    """Power judged for `ticks` ticks at `mv`: (power, sup, session, events told)."""
    events = []
    p = pw.Power(lambda now, kind, a: events.append((now, kind, a)))
    p.start(uv(start_mv))
    sup, s = FakeSup(fault), FakeSession(state)
    for k in range(ticks):
        p.judge(k * 10, p.step(uv(mv), usb), sup, s, bench)
    return p, sup, s, events


def test_sr09_usb_power_during_a_session_trips_at_once_outside_bench_mode():
    p, sup, s, ev = judged(3900, 10, usb=True)
    assert sup.trips == [(10, faults.USB_POWER)] and ev == [(10, "usb", "on")]  # the 2nd reading
    for state in (ses.RAMP_UP, ses.NO_CONTACT, ses.HOLD, ses.RAMP_DOWN):
        assert judged(3900, 10, usb=True, state=state)[1].trips == [(10, faults.USB_POWER)], state
    # bench mode, no session, or a fault already latched: no trip
    assert judged(3900, 10, usb=True, bench=True)[1].trips == []
    assert judged(3900, 10, usb=True, state=ses.IDLE)[1].trips == []
    assert judged(3900, 10, usb=True, fault=faults.SHORT)[1].trips == []
    p, sup, s, ev = judged(3900, 10, usb=True, bench=True)
    assert ev == [(10, "usb", "on")] and s.stops == []


def test_sr09_critical_battery_trips_and_a_low_one_ramps_the_session_down_once():
    crit = board.BAT_CRITICAL_MV - 1
    p, sup, s, ev = judged(crit, 5, state=ses.IDLE)
    assert sup.trips == [(40, faults.BATTERY_CRITICAL)]  # the 5th raw reading, with or without a session
    assert judged(crit, 5, fault=faults.SHORT)[1].trips == []  # the first fault stays the latched one
    low = board.BAT_LOW_MV - 10
    p, sup, s, ev = judged(low, 300, start_mv=low)
    assert sup.trips == [] and ev == [(990, "battery_low", p.battery_mv)]
    assert s.stops == [(990, ses.END_BATTERY)]  # once: the session is ramping down from then on
    p, sup, s, ev = judged(low, 300, start_mv=low, state=ses.IDLE)
    assert s.stops == [] and ev == [(990, "battery_low", p.battery_mv)]


def test_sr09_refusal_says_why_a_session_may_not_start():
    p = new()
    assert p.refusal(False) is None and p.refusal(True) is None
    run(p, 3900, 3, usb=True)
    assert p.refusal(False) == pw.REFUSED_USB and p.refusal(True) is None  # bench mode allows USB
    p = new(3400)
    run(p, 3400, 100)
    assert p.battery_low
    assert p.refusal(False) == pw.REFUSED_BATTERY and p.refusal(True) == pw.REFUSED_BATTERY
