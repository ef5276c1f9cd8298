"""`machine`, `time` and `esp32` for the firmware in the 32-bit heap run of
`wandctl bench`, forwarding every call to the simulated board (host_tools/
simboard), which runs OUTSIDE the measured heap: in the CPython process of
`wandctl bench`, over a pipe (bench/wasm/run.mjs carries the calls).

So the heap the bisection measures holds the firmware, its objects, and these
thin stand-ins for the chip's peripheral objects (on the chip those are C
objects, mostly static; here each is a small Python instance with one int).
Their footprint (with the driver's and the port's start-up state, after a
collection, with the firmware left out) is reported as heap32_baseline_bytes
and taken off the firmware figures. The stand-in objects the firmware makes
(one per pin, ADC, PWM...) stay counted, so the figures err on the high side.

`simhw.call(op, handle, a, b)` is the JavaScript function run.mjs registers;
it returns an int (or a str for RTC memory). Op numbers: bench/wasm/run.mjs.
"""

from micropython import const
from simhw import call as _c  # type: ignore  # registered by run.mjs

_MASK = const(0x3FFFFFFF)  # ticks wrap at 2**30, as on the chip
_HALF = const(0x20000000)

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5


class Pin:
    IN = 1
    OUT = 3
    PULL_UP = 2
    PULL_DOWN = 1

    def __init__(self, id, mode=-1, pull=-1, value=None):
        self.id = id
        self.h = _c(1, id, mode, (pull + 1) * 4 + (2 if value is None else value))

    def value(self, v=None):
        if v is None:
            return _c(2, self.h, 0, 0)
        _c(3, self.h, v, 0)


class DAC:
    def __init__(self, pin):
        self.h = _c(4, pin.h, 0, 0)

    def write(self, v):
        _c(5, self.h, v, 0)


class ADC:
    ATTN_0DB = 0
    ATTN_2_5DB = 1
    ATTN_6DB = 2
    ATTN_11DB = 3

    def __init__(self, pin, atten=0):
        self.h = _c(6, pin.h, atten, 0)

    def read_uv(self):
        return _c(7, self.h, 0, 0)


class PWM:
    def __init__(self, pin, freq=-1, duty_u16=-1):
        self.h = _c(8, pin.h, freq, duty_u16)

    def duty_u16(self, d):
        _c(9, self.h, d, 0)

    def freq(self, f):
        _c(10, self.h, f, 0)


class WDT:
    def __init__(self, id=0, timeout=5000):
        self.h = _c(11, id, timeout, 0)

    def feed(self):
        _c(12, self.h, 0, 0)


class RTC:
    def __init__(self):
        self.h = _c(13, 0, 0, 0)

    def memory(self, data=None):
        if data is None:
            return _c(14, self.h, 0, 0).encode()
        _c(15, self.h, data.decode(), 0)


def reset_cause():
    return _c(16, 0, 0, 0)


def reset():
    _c(17, 0, 0, 0)
    raise SystemExit


def deepsleep(ms=0):
    _c(18, 0, ms, 0)
    raise SystemExit


# --- time -------------------------------------------------------------------------
def ticks_ms():
    return _c(20, 0, 0, 0)


def ticks_us():
    return _c(21, 0, 0, 0)


def ticks_diff(end, start):
    return ((end - start + _HALF) & _MASK) - _HALF


def ticks_add(t, delta):
    return (t + delta) & _MASK


def sleep_ms(ms):
    _c(22, 0, ms, 0)


def sleep_us(us):
    _c(23, 0, us, 0)


# --- esp32 -------------------------------------------------------------------------
WAKEUP_ALL_LOW = False
WAKEUP_ANY_HIGH = True


def wake_on_ext0(pin, level=False):
    _c(30, pin.h, 1 if level else 0, 0)
