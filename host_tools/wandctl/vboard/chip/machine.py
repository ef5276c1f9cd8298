"""A strict `machine` module for the virtual board (MicroPython unix port).

Used by `wandctl.vboard` when the simulated board's shim
(`host_tools/simboard/shim/machine.py`) is not there. It accepts the calls the
firmware's HAL makes (docs/architecture.md) and rejects what the ESP32 port
rejects. The chip state that outlives a soft reset (GPIO levels, DAC values,
RTC memory, the armed WDT) is kept by the virtual board's supervisor process,
which plays the silicon: every change is reported to it on the serial stream
as a control sequence `ESC ] vb: ... BEL`, and the state comes back at boot from
the file named by `VBOARD_STATE_FILE`. Inputs (buttons, USB sense, the load)
come from the file named by `VBOARD_INPUT_FILE`, re-read every 20 ms.

Analog model (board.json, docs/architecture.md "Derived numbers"): current =
DAC code * gain while the output is enabled and exactly one bridge leg is high,
limited by the hardware limiter and by the compliance voltage over the load.
"""

import json
import os
import random
import sys
import time

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5

_ESC = "\x1b]vb:"
_BEL = "\x07"


def _ctl(msg):
    sys.stdout.write(_ESC + msg + _BEL)


def _load(name, default):
    path = os.getenv(name)
    if not path:
        return default
    try:
        with open(path) as f:
            return json.load(f)
    except OSError:
        return default


_state = _load("VBOARD_STATE_FILE", {})
# Opened now: the flash folder becomes the VFS root after the chip modules load,
# and the supervisor rewrites this file in place.
_inputs_path = os.getenv("VBOARD_INPUT_FILE")
_inputs_f = open(_inputs_path, "rb") if _inputs_path else None
_analog = _state.get("analog", {})
_pins_out = {}  # pin -> level, for output pins
for _k, _v in _state.get("pins", {}).items():
    _pins_out[int(_k)] = _v
_dac_vals = {}
for _k, _v in _state.get("dac", {}).items():
    _dac_vals[int(_k)] = _v
_rtc_mem = bytes.fromhex(_state.get("rtc", ""))
_reset_cause = _state.get("reset_cause", PWRON_RESET)
_wdt_ms = _state.get("wdt_ms", 0)
_inputs = {}
_inputs_at = None
random.seed(_state.get("seed", 0) + _state.get("boots", 0))

_GPIOS = tuple(range(0, 20)) + (21, 22, 23, 25, 26, 27, 32, 33, 34, 35, 36, 37, 38, 39)
_INPUT_ONLY = (34, 35, 36, 37, 38, 39)
_ADC1 = (32, 33, 34, 35, 36, 37, 38, 39)
_ADC2 = (0, 2, 4, 12, 13, 14, 15, 25, 26, 27)


def _read_inputs():
    global _inputs, _inputs_at
    now = time.ticks_ms()
    if _inputs_f is not None and (_inputs_at is None or time.ticks_diff(now, _inputs_at) >= 20):
        _inputs_f.seek(0)
        try:
            _inputs = json.loads(_inputs_f.read())
        except ValueError:
            pass  # caught mid-write: keep the last inputs
        _inputs_at = now
    return _inputs


class Pin:
    IN = 1
    OUT = 3
    OPEN_DRAIN = 7
    PULL_UP = 2
    PULL_DOWN = 1
    IRQ_RISING = 1
    IRQ_FALLING = 2

    def __init__(self, id, mode=-1, pull=-1, *, value=None):
        if not isinstance(id, int) or id not in _GPIOS:
            raise ValueError("invalid pin")
        self._id = id
        self._mode = None
        self._pull = None
        self.init(mode, pull, value=value)

    def init(self, mode=-1, pull=-1, *, value=None):
        if mode != -1:
            if mode not in (Pin.IN, Pin.OUT, Pin.OPEN_DRAIN):
                raise ValueError("invalid pin mode")
            if mode != Pin.IN and self._id in _INPUT_ONLY:
                raise ValueError("pin can only be input")
            self._mode = mode
        if pull != -1 and pull is not None:
            if pull not in (Pin.PULL_UP, Pin.PULL_DOWN):
                raise ValueError("invalid pull")
            if self._id in _INPUT_ONLY:
                raise ValueError("pin has no pull resistors")
            self._pull = pull
        if value is not None:
            self._set(1 if value else 0)

    def _set(self, v):
        if _pins_out.get(self._id) != v:
            _pins_out[self._id] = v
            _ctl("pin %d %d" % (self._id, v))

    def value(self, *args):
        if args:
            if len(args) > 1:
                raise TypeError("function takes at most 2 positional arguments")
            self._set(1 if args[0] else 0)
            return None
        if self._mode in (Pin.OUT, Pin.OPEN_DRAIN):
            return _pins_out.get(self._id, 0)
        ins = _read_inputs()
        key = str(self._id)
        if key in ins:
            return 1 if ins[key] else 0
        if self._pull == Pin.PULL_UP:
            return 1
        return 0

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def __call__(self, *args):
        return self.value(*args)

    def irq(self, *args, **kw):
        raise OSError("Pin.irq is not modelled on the virtual board: poll the pin from the loop")

    def __repr__(self):
        return "Pin(%d)" % self._id


def _pin_id(pin):
    if not isinstance(pin, Pin):
        raise TypeError("expecting a Pin")
    return pin._id


def _current_ua():
    """Delivered current from the output stage and the load in the input file."""
    a = _analog
    if _pins_out.get(a.get("pin_out_enable", 27), 0) != 1:
        return 0.0, 0.0
    leg_a = _pins_out.get(a.get("pin_bridge_a", 32), 0)
    leg_b = _pins_out.get(a.get("pin_bridge_b", 33), 0)
    if leg_a == leg_b:
        return 0.0, 0.0
    load = _read_inputs().get("load_ohms")
    if not load:
        return 0.0, 0.0
    code = _dac_vals.get(a.get("pin_dac", 25), 0)
    i = min(code * a.get("gain_ua_per_code", 2.157), a.get("hw_limit_ua", 570.0))
    i = min(i, a.get("compliance_v", 21.5) / load * 1e6)
    sign = 1.0 if leg_a else -1.0
    return i, sign * i * load / 1e6


class DAC:
    def __init__(self, pin, bits=8):
        pid = _pin_id(pin)
        if pid not in (25, 26):
            raise ValueError("invalid Pin for DAC")
        self._id = pid
        self.write(0)

    def write(self, value):
        if not isinstance(value, int):
            raise TypeError("can't convert to int")
        if value < 0 or value > 255:
            raise ValueError("value out of range")
        if _dac_vals.get(self._id) != value:
            _dac_vals[self._id] = value
            _ctl("dac %d %d" % (self._id, value))


class ADC:
    ATTN_0DB = 0
    ATTN_2_5DB = 1
    ATTN_6DB = 2
    ATTN_11DB = 3
    WIDTH_12BIT = 3
    _RANGES = {0: (100, 950), 1: (100, 1250), 2: (150, 1750), 3: (150, 2450)}

    def __init__(self, pin, *, atten=0):
        pid = _pin_id(pin)
        if pid not in _ADC1 and pid not in _ADC2:
            raise ValueError("invalid Pin for ADC")
        if atten not in ADC._RANGES:
            raise ValueError("invalid atten")
        self._id = pid
        self._atten = atten

    def atten(self, a):
        if a not in ADC._RANGES:
            raise ValueError("invalid atten")
        self._atten = a

    def _mv(self):
        a = _analog
        pid = self._id
        if pid == a.get("pin_i_sense", 36):
            i, _ = _current_ua()
            mv = a.get("sense_offset_mv", 200) + i * a.get("sense_mv_per_ua", 3.5)
        elif pid == a.get("pin_v_load", 39):
            _, v = _current_ua()
            mv = a.get("vload_offset_mv", 200) + abs(v) * a.get("vload_gain", 0.0909) * 1000
        elif pid == a.get("pin_v_bat", 34):
            mv = _read_inputs().get("battery_v", 3.8) * a.get("vbat_divider", 0.5) * 1000
        else:
            mv = 0.0
        lo, hi = ADC._RANGES[self._atten]
        # ADC noise: a few mV, as on the chip (a bit-identical reading means a stuck ADC)
        mv += (random.getrandbits(8) + random.getrandbits(8) - 255) / 64.0
        if mv <= 100:
            return 0
        return min(mv, hi + 50)

    def read_uv(self):
        return int(self._mv() * 1000)

    def read_u16(self):
        hi = ADC._RANGES[self._atten][1] + 50
        return min(65535, int(self._mv() / hi * 65535))

    def read(self):
        return self.read_u16() >> 4


class PWM:
    def __init__(self, pin, freq=None, duty_u16=None, duty=None):
        self._id = _pin_id(pin)
        if self._id in _INPUT_ONLY:
            raise ValueError("pin can only be input")
        self._freq = 5000
        self._duty = 0
        self._live = True
        if freq is not None:
            self.freq(freq)
        if duty_u16 is not None:
            self.duty_u16(duty_u16)

    def _check(self):
        if not self._live:
            raise OSError("PWM is deinitialized")

    def freq(self, f=None):
        if f is None:
            return self._freq
        self._check()
        if not isinstance(f, int) or f < 1 or f > 40000000:
            raise ValueError("frequency must be from 1Hz to 40MHz")
        self._freq = f

    def duty_u16(self, d=None):
        if d is None:
            return self._duty
        self._check()
        if not isinstance(d, int) or d < 0 or d > 65535:
            raise ValueError("duty_u16 must be from 0 to 65535")
        self._duty = d

    def deinit(self):
        self._live = False


class WDT:
    def __init__(self, id=0, timeout=5000):
        global _wdt_ms
        if id != 0:
            raise ValueError("WDT(%d) doesn't exist" % id)
        if timeout < 1:
            raise ValueError("WDT timeout too short")
        _wdt_ms = timeout
        _ctl("wdt %d" % timeout)

    def feed(self):
        _ctl("feed")


class RTC:
    def __init__(self, id=0):
        pass

    def memory(self, *args):
        global _rtc_mem
        if not args:
            return _rtc_mem
        data = bytes(args[0])
        if len(data) > 2048:
            raise ValueError("buffer too long")
        _rtc_mem = data
        _ctl("rtc " + data.hex())
        return None


def _reset(kind):
    _ctl("reset " + kind)
    # The supervisor kills this process on the control sequence: nothing after
    # a reset runs, as on the chip.
    while True:
        time.sleep_ms(1000)


def reset():
    _reset("hard")


def soft_reset():
    _reset("soft")


def deepsleep(ms=0):
    _reset("deepsleep %d" % ms)


def lightsleep(ms=0):
    time.sleep_ms(ms)


def reset_cause():
    return _reset_cause


def wake_reason():
    return 0


def unique_id():
    return bytes.fromhex(_state.get("mac", "240ac4000001"))


def freq(*args):
    if args:
        if args[0] not in (20000000, 40000000, 80000000, 160000000, 240000000):
            raise ValueError("frequency must be 20MHz, 40MHz, 80Mhz, 160MHz or 240MHz")
        return None
    return 160000000


def idle():
    time.sleep_ms(1)


def disable_irq():
    return 0


def enable_irq(state=0):
    return None


class Timer:
    def __init__(self, id, **kw):
        raise OSError("machine.Timer is not modelled on the virtual board (do not time the loop from it)")
