"""`machine` on the pty board: simboard's strict ESP32 chip model, over the link.

Every call goes to the supervisor (simboard/vboard/chiplink.py), which runs it
on simboard's `machine` against the board's World (the chip state, the reset
table and the physics, on the wall clock) and sends back the value or the
chip's exception. So the pty board and `wandctl sim` have one chip model.
A reset (watchdog, machine.reset(), deepsleep) is not answered: the supervisor
ends this interpreter, as the chip stops.
"""

import _link

_call = _link.call
_C = _call("consts")


def _arg(v):
    if isinstance(v, _Obj):
        return {"@": v._h}
    if isinstance(v, (list, tuple)):
        return tuple(_arg(x) for x in v)
    return v


def _args(args):
    return tuple(_arg(a) for a in args)


def _kw(kw):
    out = {}
    for k in kw:
        out[k] = _arg(kw[k])
    return out


class _Obj:
    _cls = ""

    def __init__(self, *args, **kw):
        self._h = _call("new", self._cls, _args(args), _kw(kw))

    def _m(self, name, args, kw=None):
        return _call("call", self._h, name, _args(args), _kw(kw or {}))

    def __repr__(self):
        return "%s(%d)" % (self._cls, self._h)


def _consts(cls):
    for k, v in _C[cls._cls].items():
        setattr(cls, k, v)
    return cls


class Pin(_Obj):
    _cls = "Pin"

    def init(self, *a, **kw):
        return self._m("init", a, kw)

    def value(self, *a):
        return self._m("value", a)

    __call__ = value

    def on(self):
        return self._m("value", (1,))

    def off(self):
        return self._m("value", (0,))

    def irq(self, *a, **kw):
        raise AttributeError("Pin.irq is not modelled: poll the pin from the loop")


class DAC(_Obj):
    _cls = "DAC"

    def write(self, v):
        return self._m("write", (v,))


class ADC(_Obj):
    _cls = "ADC"

    def init(self, *a, **kw):
        return self._m("init", a, kw)

    def atten(self, a):
        return self._m("atten", (a,))

    def width(self, b):
        return self._m("width", (b,))

    def read_uv(self):
        return self._m("read_uv", ())

    def read_u16(self):
        return self._m("read_u16", ())

    def read(self):
        return self._m("read", ())


class PWM(_Obj):
    _cls = "PWM"

    def init(self, *a, **kw):
        return self._m("init", a, kw)

    def freq(self, *a):
        return self._m("freq", a)

    def duty_u16(self, *a):
        return self._m("duty_u16", a)

    def duty(self, *a):
        return self._m("duty", a)

    def deinit(self):
        return self._m("deinit", ())


class WDT(_Obj):
    _cls = "WDT"

    def feed(self):
        return self._m("feed", ())


class RTC(_Obj):
    _cls = "RTC"

    def memory(self, *a):
        # any buffer, as on the chip (the firmware writes a preallocated
        # bytearray); the link carries literals, so it goes as bytes
        return self._m("memory", tuple(bytes(x) for x in a))


for _c in (Pin, DAC, ADC, PWM, WDT, RTC):
    _consts(_c)
for _k, _v in _C["machine"].items():
    globals()[_k] = _v


def _fn(name, *a):
    return _call("fn", "machine", name, a, {})


def reset_cause():
    return _fn("reset_cause")


def wake_reason():
    return _fn("wake_reason")


def reset():
    _fn("reset")


def soft_reset():
    _fn("soft_reset")


def deepsleep(time_ms=0):
    _fn("deepsleep", time_ms)


def lightsleep(time_ms=0):
    import time

    time.sleep_ms(time_ms if time_ms > 0 else 1)


def idle():
    import time

    time.sleep_ms(1)


def unique_id():
    return _fn("unique_id")


def freq(*a):
    return _fn("freq", *a)


def disable_irq():
    return _fn("disable_irq")


def enable_irq(state=1):
    return _fn("enable_irq", state)


class Timer:
    def __init__(self, *a, **kw):
        raise AttributeError("machine.Timer is not modelled (do not time the loop from it)")
