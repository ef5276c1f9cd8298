"""The board: the only firmware code that touches `machine`.

`Esp32Board(machine, time, esp32)` takes the three modules as arguments, so
nothing touches hardware at import time and the simulated board (a strict
stand-in for those modules) runs this very code. Every method here is cheap and
allocates nothing on the control tick.

Output path: DAC (current setpoint) -> voltage-to-current stage -> H-bridge
(legs A and B) -> output-enable disconnect -> electrodes. The safe state is
DAC 0, enable low, both legs low; `output_off()` puts the board in it.
"""

from micropython import const

from wand import board, faults


class Leave(BaseException):
    """Unwinds the control loop to the one way out, `wand.entry.leave(reason)`.

    A BaseException, so the loop's `except Exception` (a bug becomes a fault)
    does not swallow it. args[0] is the reason (wand.entry.leave lists them).
    """


class _Held:
    """Stands in for the DAC channel ESP-IDF still holds after a soft reset,
    and for the LED and buzzer channels not made then: enable and both legs
    are low (boot.py), so nothing can flow, and the only way on is
    wand.entry.leave("dac_held")'s hard reset."""

    def write(self, code):
        pass

    def duty_u16(self, v):
        pass


_WDT_MAX_MS = const(1000)
WDT_TIMEOUT_MS = const(1000)  # SR-02: the control loop's watchdog, 1000 ms or less
# The watchdog after leave(): the task watchdog cannot be stopped, but creating
# WDT(0, timeout=...) again reconfigures it (ports/esp32/machine_wdt.c calls
# esp_task_wdt_reconfigure). 24 h lets a REPL or mpremote session run without
# anyone feeding it; the output is locked off meanwhile.
WDT_RELAXED_MS = const(86_400_000)
_LED_FREQ = const(1000)
_TONE_DUTY = const(32768)
_RTC_TAG = b"wand:"
_RTC_LAYOUT = b"wand:f00000i00000w00000"
_RTC_F = const(6)  # where the digits of "f", "i" and "w" start in _RTC_LAYOUT
_RTC_I = const(12)
_RTC_W = const(18)
_SETTLE_MS = const(50)  # the power button still this long before a sleep is armed on it (its chatter: 5..30 ms)
_SETTLE_MAX_MS = const(300)
_RTC_WIDTH = const(5)
_RTC_FIELD_MAX = const(99999)
_BOOT_MS_MAX = const(10000)


class Esp32Board:
    def __init__(self, machine, time, esp32=None, dac=None):
        self._machine = machine
        self._time = time
        self._esp32 = esp32
        Pin = machine.Pin
        # Safe levels first: enable low, both bridge legs low, DAC at 0.
        self._oe = Pin(board.PIN_OUT_ENABLE, Pin.OUT, value=0)
        self._leg_a = Pin(board.PIN_BRIDGE_A, Pin.OUT, value=0)
        self._leg_b = Pin(board.PIN_BRIDGE_B, Pin.OUT, value=0)
        self._tone_hz = 0
        self._dac_code = 0
        self._polarity = 0
        self._wdt = None
        # 0 until arm_watchdog(<= 1000 ms): the output enable is locked off
        # until then (SR-02), and again after relax_watchdog().
        self._wdt_ms = 0
        # boot.py already made the DAC (one per boot); reuse it when given.
        self.dac_held = False
        if dac is None:
            try:
                dac = machine.DAC(Pin(board.PIN_DAC))
            except OSError:
                # After a soft reset ESP-IDF still holds the channel: nothing
                # more is made (other channels may be held too), and
                # wand.entry.main leaves through a hard reset.
                self.dac_held = True
                self._dac = self._led_g = self._led_r = _Held()
                return
        self._dac = dac
        self._dac.write(0)
        atten = machine.ADC.ATTN_11DB
        self._adc_i = machine.ADC(Pin(board.PIN_I_SENSE), atten=atten)
        self._adc_v = machine.ADC(Pin(board.PIN_V_LOAD), atten=atten)
        self._adc_bat = machine.ADC(Pin(board.PIN_V_BAT), atten=atten)
        # GPIO34..39 are input-only without internal pulls: the USB sense has
        # an external divider, the buttons use GPIO13/14 with pull-ups.
        self._usb = Pin(board.PIN_USB_SENSE, Pin.IN)
        self._btn_power = Pin(board.PIN_BTN_POWER, Pin.IN, Pin.PULL_UP)
        self._btn_level = Pin(board.PIN_BTN_LEVEL, Pin.IN, Pin.PULL_UP)
        self._led_g = machine.PWM(Pin(board.PIN_LED_GREEN), freq=_LED_FREQ, duty_u16=0)
        self._led_r = machine.PWM(Pin(board.PIN_LED_RED), freq=_LED_FREQ, duty_u16=0)
        self._buzzer = machine.PWM(Pin(board.PIN_BUZZER), freq=2000, duty_u16=0)
        self._rtc = machine.RTC()
        self._rtc_buf = None

    # --- output stage -----------------------------------------------------
    def output_off(self):
        """Safe state: DAC 0, enable low, both legs low. Never raises on a chip."""
        self._oe.value(0)
        self._dac.write(0)
        self._dac_code = 0
        self._leg_a.value(0)
        self._leg_b.value(0)
        self._polarity = 0

    def write_dac(self, code):
        """Raw DAC write. Only wand.safety.Supervisor.apply() may call this."""
        if code != self._dac_code:
            self._dac.write(code)
            self._dac_code = code

    def dac_code(self):
        return self._dac_code

    def set_enable(self, on):
        if on and self._wdt_ms == 0:
            # SR-02: locked off until the 1000 ms watchdog is (re-)armed
            self._oe.value(0)
            raise RuntimeError("output locked: the watchdog is not armed")
        self._oe.value(1 if on else 0)

    def output_locked(self):
        return self._wdt_ms == 0

    def leave(self, reason):
        """Output off now, then unwind to wand.entry.leave(reason) (never returns)."""
        self.output_off()
        raise Leave(reason)

    def set_polarity(self, polarity):
        """+1: leg A high, -1: leg B high, 0: both low.

        Break before make, and symmetric: the leg that is on drops first, then
        the other rises, with the same number of pin writes each way, so both
        phases last equally long to the microsecond (a lopsided sequence is a
        DC component at 100 Hz).
        """
        if polarity == self._polarity:
            return
        if polarity > 0:
            self._leg_b.value(0)
            self._leg_a.value(1)
        elif polarity < 0:
            self._leg_a.value(0)
            self._leg_b.value(1)
        else:
            self._leg_a.value(0)
            self._leg_b.value(0)
        self._polarity = polarity

    # --- sensing ----------------------------------------------------------
    def read_current_uv(self):
        return self._adc_i.read_uv()

    def read_vload_uv(self):
        return self._adc_v.read_uv()

    def read_battery_uv(self):
        return self._adc_bat.read_uv()

    def usb_present(self):
        return self._usb.value() == 1

    def buttons(self):
        """Bit 0: power/mode pressed, bit 1: level pressed (active low)."""
        return (self._btn_power.value() ^ 1) | ((self._btn_level.value() ^ 1) << 1)

    # --- feedback ---------------------------------------------------------
    def set_leds(self, green_u16, red_u16):
        self._led_g.duty_u16(green_u16)
        self._led_r.duty_u16(red_u16)

    def set_tone(self, freq_hz):
        if freq_hz == self._tone_hz:
            return
        if freq_hz <= 0:
            self._buzzer.duty_u16(0)
        else:
            self._buzzer.freq(freq_hz)
            self._buzzer.duty_u16(_TONE_DUTY)
        self._tone_hz = freq_hz

    # --- watchdog (SR-02) -------------------------------------------------
    def arm_watchdog(self, timeout_ms):
        """(Re)arm the task watchdog at timeout_ms (<= 1000): creating WDT(0, ...)
        again reconfigures the running one, so this also undoes relax_watchdog().
        The only way to unlock the output enable."""
        if timeout_ms <= 0 or timeout_ms > _WDT_MAX_MS:
            raise ValueError("watchdog timeout must be 1..1000 ms")
        self._wdt = self._machine.WDT(0, timeout_ms)
        self._wdt_ms = timeout_ms

    def lock_output(self):
        """Output off and the enable locked until arm_watchdog() runs again
        (wand.entry.leave, on every way out); the watchdog runs on as it was."""
        self.output_off()
        self._wdt_ms = 0

    def relax_watchdog(self):
        """Output off and locked, then the running watchdog (if any) set to
        WDT_RELAXED_MS, so the plain REPL survives without a feeder."""
        self.lock_output()
        if self._wdt is not None:
            self._wdt = self._machine.WDT(0, WDT_RELAXED_MS)

    def watchdog_armed(self):
        return self._wdt_ms != 0

    def feed_watchdog(self):
        """Called only from wand.app.run()'s loop after a passing safety check."""
        wdt = self._wdt
        if wdt is not None:
            wdt.feed()

    # --- time ---------------------------------------------------------------
    def ticks_ms(self):
        return self._time.ticks_ms()

    def ticks_add(self, t, delta):
        return self._time.ticks_add(t, delta)

    def ticks_diff(self, a, b):
        return self._time.ticks_diff(a, b)

    def ticks_us(self):
        return self._time.ticks_us()

    def sleep_until_us(self, deadline_us):
        """Sleep to a deadline on the µs clock: whole ms, then the rest in µs."""
        t = self._time
        wait = t.ticks_diff(deadline_us, t.ticks_us())
        if wait >= 1000:
            t.sleep_ms(wait // 1000)
            wait = t.ticks_diff(deadline_us, t.ticks_us())
        if wait > 0:
            t.sleep_us(wait)

    # --- chip ---------------------------------------------------------------
    def reset_cause(self):
        return self._machine.reset_cause()

    def hard_reset(self):
        """Only wand.entry.leave calls this (console `reboot`, DAC held)."""
        self.output_off()
        self._machine.reset()

    # RTC memory survives every reset but a power cycle. It holds, after
    # b"wand:", fields of a letter and digits: "f<code>" (a latched fault,
    # SR-12: a reset, deep sleep or reboot must not clear it) and "i<s>" (the
    # seconds idled so far, SR-07: a watchdog reset is not activity). Written
    # from a preallocated buffer: no allocation. An "r" of older firmware is
    # ignored.
    def _rtc_field(self, key):
        m = self._rtc.memory()
        if not m.startswith(_RTC_TAG):
            return 0
        i = m.find(key, len(_RTC_TAG))
        n = 0
        if i < 0:
            return n
        i += 1
        while i < len(m) and 48 <= m[i] <= 57 and n < _RTC_FIELD_MAX:
            n = n * 10 + m[i] - 48
            i += 1
        return n

    def _rtc_put(self, at, n):
        buf = self._rtc_buf
        if buf is None:  # first write: the fields as stored, so one write keeps the other
            buf = self._rtc_buf = bytearray(_RTC_LAYOUT)
            _digits(buf, _RTC_F, self._rtc_field(b"f"))
            _digits(buf, _RTC_I, self._rtc_field(b"i"))
            _digits(buf, _RTC_W, self._rtc_field(b"w"))
        _digits(buf, at, n)
        self._rtc.memory(buf)

    def stored_fault(self):
        return self._rtc_field(b"f")

    def store_fault(self, code):
        """Keep (code > 0) or forget (0) the latched fault across resets."""
        self._rtc_put(_RTC_F, code)

    def stored_idle_ms(self):
        """SR-07, after a watchdog reset: the ms idled before it, the seconds kept plus the
        watchdog's timeout (the loop stalled that long before the reset) and the boot's own
        time (ticks_ms() counts from the chip's reset; more than _BOOT_MS_MAX is a host's clock)."""
        t = self._time.ticks_ms()
        return self._rtc_field(b"i") * 1000 + WDT_TIMEOUT_MS + (t if 0 <= t < _BOOT_MS_MAX else 0)

    def store_idle_s(self, s):
        self._rtc_put(_RTC_I, s)

    def deepsleep(self):
        """Sleep until the power button is pressed (only wand.entry.leave calls
        this: idle auto-off, the power button's long press). A wake on its low
        level fires at once while it is held (the long press itself, a stuck
        button): the chip woke from every sleep, and in bench mode with the level
        button held (red team rt7). So a held button sleeps until it is let go,
        marked in RTC memory, and that wake sleeps again at once (woke_to_sleep)."""
        self.output_off()
        self.set_leds(0, 0)
        self.set_tone(0)
        held = self._power_settled()
        self._rtc_put(_RTC_W, held)
        esp32 = self._esp32
        if esp32 is not None:
            esp32.wake_on_ext0(self._btn_power, esp32.WAKEUP_ANY_HIGH if held else esp32.WAKEUP_ALL_LOW)
        self._machine.deepsleep()

    def _power_settled(self):
        """The power button's level once it has held still for a debounce (its chatter on release woke the chip
        from a sleep armed on its low level), or held if it never does within _SETTLE_MAX_MS."""
        t = self._time
        start = since = t.ticks_ms()
        last = self.buttons() & 1
        while t.ticks_diff(t.ticks_ms(), since) < _SETTLE_MS:
            if t.ticks_diff(t.ticks_ms(), start) > _SETTLE_MAX_MS:
                return 1
            t.sleep_ms(1)
            v = self.buttons() & 1
            if v != last:
                last, since = v, t.ticks_ms()
        return last

    def woke_to_sleep(self):
        """This boot is the wake of a sleep that waited for the power button to be let go: no press, no power-up."""
        return self._machine.reset_cause() == faults.DEEPSLEEP_RESET and self._rtc_field(b"w") == 1


def _digits(buf, at, n):
    """Write n (0.._RTC_FIELD_MAX) as _RTC_WIDTH decimal digits into buf at `at`: no allocation."""
    n = min(max(n, 0), _RTC_FIELD_MAX)
    i = at + _RTC_WIDTH
    while i > at:
        i -= 1
        buf[i] = 48 + n % 10
        n //= 10
