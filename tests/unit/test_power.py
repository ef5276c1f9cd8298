"""wand.power.Power (SR-09): the battery's low and critical thresholds with
their debounce, and USB power coming and going, judged from one tick's raw
readings at a time. Runs on CPython and on the MicroPython unix port."""

from wand import board
from wand import power as pw


def uv(mv):
    """The battery ADC reading (µV) of a battery at `mv` (board.json's divider)."""
    return int(mv * board.VBAT_DIVIDER * 1000)


def new(mv=3900):
    p = pw.Power()
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


def test_sr09_usb_present_after_3_readings_and_gone_after_3_absent():
    p = new()
    assert p.step(uv(3900), True) == 0 and p.step(uv(3900), True) == 0 and not p.usb
    assert p.step(uv(3900), True) == pw.USB_CHANGED and p.usb
    assert run(p, 3900, 100, usb=True) == [] and p.usb
    assert p.step(uv(3900), False) == 0 and p.step(uv(3900), False) == 0 and p.usb
    assert p.step(uv(3900), False) == pw.USB_CHANGED and not p.usb
    assert run(p, 3900, 100) == []


def test_sr09_a_flapping_connector_is_one_change_not_a_stream():
    p = new()
    out = []
    for k in range(300):
        b = p.step(uv(3900), k % 3 != 2)  # present 2 of 3 readings
        if b:
            out.append((k, b))
    # the count: 1 2 (k=2 off) 1 2 3: present at k=4, and from then on
    assert out == [(4, pw.USB_CHANGED)] and p.usb, out
    # a single present reading now and then never counts as USB
    p = new()
    for k in range(300):
        assert p.step(uv(3900), k % 2 == 0) == 0, k
    assert not p.usb


def test_sr09_on_usb_the_battery_is_charging_not_low_or_critical():
    p = new(3200)
    out = run(p, 3200, 400, usb=True)
    assert out == [(2, pw.USB_CHANGED)] and not p.battery_low
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
