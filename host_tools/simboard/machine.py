"""Simulated `machine` module of the MicroPython ESP32 port.

Strict: it accepts what the ESP32 port accepts and raises what it raises
(messages checked against ports/esp32/machine_pin.c, machine_dac.c,
machine_wdt.c, machine_pwm.c, machine_adc.c). Every call goes to the world
attached with `simboard.world.attach()` and costs `world.call_us` of virtual
time. After a reset every call raises `ChipReset` again.
"""

from simboard import world as _w

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5
# wake_reason()
PIN_WAKE = 2
EXT0_WAKE = 2
EXT1_WAKE = 3
TIMER_WAKE = 4
TOUCHPAD_WAKE = 5
ULP_WAKE = 6


_world = _w.enter  # every call into the chip: the world, its clock advanced


def _live(obj):
    """The world of a peripheral object, if it is still from this boot."""
    w = obj._w
    if w.halt is not None or obj._gen != w.gen:
        w.raise_halt()
    w.now += w.call_us
    if w.now >= w.next_due:
        w._due()
    return w


def _int(v):
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        raise TypeError("can't convert float to int")
    raise TypeError("can't convert %s to int" % type(v).__name__)


def _pin_id(p):
    if isinstance(p, Pin):
        return p._id
    if isinstance(p, bool) or not isinstance(p, int):
        raise ValueError("invalid pin")
    if p not in _w.VALID_PINS:
        raise ValueError("invalid pin")
    return p


class Pin:
    IN = 1
    OUT = 3
    OPEN_DRAIN = 7
    PULL_DOWN = 1
    PULL_UP = 2
    PULL_HOLD = 4
    IRQ_RISING = 1
    IRQ_FALLING = 2
    WAKE_LOW = 4
    WAKE_HIGH = 5
    DRIVE_0 = 0
    DRIVE_1 = 1
    DRIVE_2 = 2
    DRIVE_3 = 3

    def __init__(self, id, mode=-1, pull=-1, value=None, drive=None, hold=None):
        w = _world()
        self._id = _pin_id(id)
        self._w = w
        self._gen = w.gen
        self._configure(w, mode, pull, value)

    def init(self, mode=-1, pull=-1, value=None, drive=None, hold=None):
        self._configure(_live(self), mode, pull, value)

    def _configure(self, w, mode, pull, value):
        n = self._id
        if value is not None:
            w.pout[n] = 1 if value else 0
        if mode is not None and mode != -1:
            mode = _int(mode)
            if mode not in (1, 3, 7):
                raise ValueError("invalid pin mode")
            if n in _w.INPUT_ONLY and (mode & 2):
                raise ValueError("pin can only be input")
            w.pmode[n] = mode
            if n in w.pwm:
                del w.pwm[n]
        if pull != -1:
            pl = 0 if pull is None else _int(pull)
            # GPIO34..39 have no internal pulls (ESP-IDF ignores the request).
            w.ppull[n] = 0 if n in _w.INPUT_ONLY else pl
        if n == w.pin_oe or n == w.pin_a or n == w.pin_b:
            w._stage_pin_changed(n)

    def value(self, v=None):
        w = _live(self)
        n = self._id
        if v is None:
            return w.pin_read(n)
        v = 1 if v else 0
        if w.pout[n] != v:
            w.pout[n] = v
            if n == w.pin_oe or n == w.pin_a or n == w.pin_b:
                w._stage_pin_changed(n)
        return None

    __call__ = value

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def __repr__(self):
        return "Pin(%d)" % self._id


class DAC:
    """8-bit DAC on GPIO25/26. As in ESP-IDF's dac_oneshot driver used by the
    v1.2x port, a channel stays registered until a hard reset: a second DAC on
    the same pin (even after a soft reset) raises OSError(ESP_ERR_INVALID_STATE)."""

    def __init__(self, pin, *args):
        w = _world()
        if args:
            raise TypeError("function takes 1 positional arguments but %d were given" % (1 + len(args)))
        n = pin._id if isinstance(pin, Pin) else _pin_id(pin)
        if n not in _w.DAC_PINS:
            raise ValueError("invalid Pin for DAC")
        if w.dac_reg.get(n):
            raise OSError(-259, "ESP_ERR_INVALID_STATE")
        w.dac_reg[n] = True
        self._id = n
        self._w = w
        self._gen = w.gen
        if n == w.pin_dac:
            pl = w.plant
            pl.advance(w.now)
            pl.dac_on = True
            pl.dac_code = 0
            pl._recompute()

    def write(self, value):
        w = _live(self)
        v = _int(value)
        if v < 0 or v > 255:
            raise ValueError("value out of range")
        if self._id == w.pin_dac:
            pl = w.plant
            if v != pl.dac_code:
                pl.advance(w.now)
                pl.dac_code = v
                pl._recompute()

    def __repr__(self):
        return "DAC(Pin(%d))" % self._id


class ADC:
    ATTN_0DB = 0
    ATTN_2_5DB = 1
    ATTN_6DB = 2
    ATTN_11DB = 3
    WIDTH_9BIT = 9
    WIDTH_10BIT = 10
    WIDTH_11BIT = 11
    WIDTH_12BIT = 12

    def __init__(self, pin, atten=None):
        w = _world()
        n = pin._id if isinstance(pin, Pin) else _pin_id(pin)
        if n not in _w.ADC1_PINS and n not in _w.ADC2_PINS:
            raise ValueError("invalid pin")
        self._id = n
        self._w = w
        self._gen = w.gen
        self._atten = 0
        self._width = 12
        if atten is not None:
            self.atten(atten)

    def init(self, atten=None):
        _live(self)
        if atten is not None:
            self.atten(atten)

    def atten(self, atten):
        _live(self)
        a = _int(atten)
        if a < 0 or a > 3:
            raise ValueError("invalid atten")
        self._atten = a

    def width(self, bits):
        _live(self)
        b = _int(bits)
        if b < 9 or b > 12:
            raise ValueError("invalid bits")
        self._width = b

    def read_uv(self):
        w = _live(self)
        return w.adc_read_uv(self._id, self._atten)

    def read_u16(self):
        w = _live(self)
        raw = w.adc_read_raw(self._id, self._atten)
        return (raw << 4) | (raw >> 8)

    def read(self):
        w = _live(self)
        raw = w.adc_read_raw(self._id, self._atten)
        return raw >> (12 - self._width)

    def __repr__(self):
        return "ADC(Pin(%d), atten=%d)" % (self._id, self._atten)


class PWM:
    def __init__(self, dest, freq=-1, duty=-1, duty_u16=-1, duty_ns=-1, invert=False):
        w = _world()
        n = dest._id if isinstance(dest, Pin) else _pin_id(dest)
        if n in _w.INPUT_ONLY:
            raise ValueError("pin can only be input")
        self._id = n
        self._w = w
        self._gen = w.gen
        f = _int(freq)
        if f == -1:
            f = w.pwm[n][0] if n in w.pwm else 5000
        _check_freq(f)
        d = 32768
        if duty_u16 != -1:
            d = _check_u16(_int(duty_u16))
        elif duty != -1:
            d = _duty10(_int(duty))
        elif n in w.pwm:
            d = w.pwm[n][1]
        w.pmode[n] = _w.OUT
        w.pwm_set(n, f, d)

    def _state(self):
        w = _live(self)
        st = w.pwm.get(self._id)
        if st is None:
            raise RuntimeError("PWM is inactive")
        return w, st

    def init(self, freq=-1, duty=-1, duty_u16=-1, duty_ns=-1, invert=False):
        w = _live(self)
        st = w.pwm.get(self._id) or [5000, 32768]
        f = st[0] if freq == -1 else _check_freq(_int(freq))
        d = st[1]
        if duty_u16 != -1:
            d = _check_u16(_int(duty_u16))
        elif duty != -1:
            d = _duty10(_int(duty))
        w.pwm_set(self._id, f, d)

    def freq(self, value=None):
        w, st = self._state()
        if value is None:
            return st[0]
        f = _check_freq(_int(value))
        if f != st[0]:
            w.pwm_set(self._id, f, st[1])

    def duty_u16(self, value=None):
        w, st = self._state()
        if value is None:
            return st[1]
        d = _check_u16(_int(value))
        if d != st[1]:
            w.pwm_set(self._id, st[0], d)

    def duty(self, value=None):
        w, st = self._state()
        if value is None:
            return (st[1] * 1023 + 32767) // 65535
        w.pwm_set(self._id, st[0], _duty10(_int(value)))

    def deinit(self):
        w = _live(self)
        n = self._id
        if n in w.pwm:
            w.pwm_set(n, w.pwm[n][0], 0)
            del w.pwm[n]
            w.pout[n] = 0

    def __repr__(self):
        return "PWM(Pin(%d))" % self._id


def _check_freq(f):
    if f <= 0 or f > 40000000:
        raise ValueError("frequency must be from 1Hz to 40MHz")
    return f


def _check_u16(d):
    if d < 0 or d > 65535:
        raise ValueError("duty_u16 must be from 0 to 65535")
    return d


def _duty10(d):
    if d < 0 or d > 1023:
        raise ValueError("duty must be from 0 to 1023")
    return (d * 65535 + 511) // 1023


class WDT:
    """Task watchdog: cannot be stopped; keeps running through a soft reset."""

    def __init__(self, id=0, timeout=5000):
        w = _world()
        if _int(id) != 0:
            raise ValueError()
        t = _int(timeout)
        if t <= 0:
            raise ValueError("WDT timeout too short")
        self._w = w
        self._gen = w.gen
        w.wdt_on = True
        w.wdt_timeout = t * 1000
        w.wdt_deadline = w.now + t * 1000
        w._update_due()

    def feed(self):
        w = _live(self)
        w.wdt_deadline = w.now + w.wdt_timeout
        w._update_due()


class RTC:
    def __init__(self, id=0):
        w = _world()
        self._w = w
        self._gen = w.gen

    def memory(self, data=None):
        w = _live(self)
        if data is None:
            return bytes(w.rtc_mem)
        b = bytes(data)
        if len(b) > _w.RTC_MEM_MAX:
            raise ValueError("buffer too long")
        w.rtc_mem = b
        return None


def reset_cause():
    return _world().cause


def wake_reason():
    return _world().wake_reason


def reset():
    w = _world()
    w._halt(_w.ChipReset("hard"))


def soft_reset():
    """As the port does: raise SystemExit; the runner then soft-resets."""
    w = _world()
    w.soft_reset_requested = True
    raise SystemExit()


def deepsleep(time_ms=0):
    w = _world()
    w._halt(_w.ChipReset("deepsleep", _int(time_ms)))


def lightsleep(time_ms=0):
    w = _world()
    t = _int(time_ms)
    w.sleep_us(t * 1000 if t > 0 else 1000)


def idle():
    w = _world()
    w.sleep_us(1000 - (w.now % 1000) if w.now % 1000 else 1000)


def unique_id():
    return _world().uid


def freq(hz=None):
    w = _world()
    if hz is None:
        return w.cpu_hz
    hz = _int(hz)
    if hz not in (20000000, 40000000, 80000000, 160000000, 240000000):
        raise ValueError("frequency must be 20MHz, 40MHz, 80Mhz, 160MHz or 240MHz")
    w.cpu_hz = hz


def disable_irq():
    _world()
    return 1


def enable_irq(state=1):
    _world()

