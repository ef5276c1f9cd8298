"""Simulated `esp32` module: the deep-sleep wake source the firmware uses."""

from simboard import machine as _m
from simboard import world as _w

WAKEUP_ALL_LOW = False
WAKEUP_ANY_HIGH = True


def wake_on_ext0(pin, level=WAKEUP_ALL_LOW):
    w = _m._world()
    if pin is None:
        w.ext0 = None
        return
    n = pin._id if isinstance(pin, _m.Pin) else _m._pin_id(pin)
    if n not in _w.RTC_PINS:
        raise ValueError("invalid pin")
    w.ext0 = (n, 1 if level else 0)
