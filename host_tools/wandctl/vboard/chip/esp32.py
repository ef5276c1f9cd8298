"""A strict `esp32` module for the virtual board (see machine.py next to it)."""

import machine

WAKEUP_ALL_LOW = False
WAKEUP_ANY_HIGH = True

_ext0 = None


def wake_on_ext0(pin, level):
    global _ext0
    if pin is not None and not isinstance(pin, machine.Pin):
        raise TypeError("expecting a Pin")
    if level not in (WAKEUP_ALL_LOW, WAKEUP_ANY_HIGH):
        raise ValueError("invalid level")
    _ext0 = (pin, level)


def raw_temperature():
    return 120


def mcu_temperature():
    return 45
