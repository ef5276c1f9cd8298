"""`esp32` on the pty board: simboard's esp32 module, over the link (see machine.py)."""

import _link
import machine

_c = _link.call("consts")["esp32"]
WAKEUP_ALL_LOW = _c["WAKEUP_ALL_LOW"]
WAKEUP_ANY_HIGH = _c["WAKEUP_ANY_HIGH"]


def wake_on_ext0(pin, level=WAKEUP_ALL_LOW):
    _link.call("fn", "esp32", "wake_on_ext0", (machine._arg(pin), level), {})


def raw_temperature():
    return 120


def mcu_temperature():
    return 45
