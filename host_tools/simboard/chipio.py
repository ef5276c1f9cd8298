"""The chip's I/O as the board wires it: GPIO levels (buttons with bounce,
pulls, floating inputs, the output-stage pins that drive the plant), analog
pin voltages, ADC conversion (per-chip gain and reference, seeded noise,
non-linear ends), and the PWM log.

A mixin of `simboard.world.World`, which creates the state used here.
"""

import math
import sys
from array import array

from simboard.chipdefs import FOREVER, OPEN_DRAIN, OUT, PULL_DOWN, PULL_UP

# Linear end and saturation (mV) of read_uv, raw full scale (mV at vref 1100).
ATTN_LIN = (950, 1250, 1750, 2450)
ATTN_MAX = (1050, 1400, 1950, 3100)
ATTN_RAW_FS = (1100, 1500, 2200, 3900)
ADC_SAMPLE_US = 50
# Timeline logs are kept in full on CPython; on MicroPython they must not eat the heap.
LOG_MAX = 0 if sys.implementation.name == "micropython" else 50000


class ChipIO:
    def _hw_cold(self):
        """All GPIO inputs without pulls, DAC off, no PWM, no WDT."""
        self.pmode = bytearray(40)  # 0: reset state (input, no pull)
        self.ppull = bytearray(40)
        self.pout = bytearray(40)
        self.pwm = {}
        self.dac_reg = {}
        self.wdt_on = False
        self.wdt_timeout = 0
        self.wdt_deadline = FOREVER
        self.ext0 = None
        pl = self.plant
        pl.advance(self.now)
        pl.dac_on = False
        pl.dac_code = 0
        pl.oe = 0
        pl.leg_a = 0
        pl.leg_b = 0
        pl._recompute()

    def _level(self, n):
        """Level the output stage sees on an output-stage pin (pull-down when not driven)."""
        m = self.pmode[n]
        if m == OUT:
            return self.pout[n]
        return 0

    def _stage_pin_changed(self, n):
        pl = self.plant
        pl.advance(self.now)
        if n == self.pin_oe:
            pl.oe = self._level(n)
        elif n == self.pin_a:
            pl.leg_a = self._level(n)
        elif n == self.pin_b:
            pl.leg_b = self._level(n)
        pl._recompute()

    def pin_read(self, n):
        m = self.pmode[n]
        if m == OUT:
            return self.pout[n]
        if n in self.pwm:
            return 1 if self.pwm[n][1] >= 32768 else 0
        if n in self.btn_tr:
            tr = self.btn_tr[n]
            k = self.btn_pos[n]
            now = self.now
            while k < len(tr) and tr[k][0] <= now:
                self.btn_state[n] = tr[k][1]
                k += 1
            self.btn_pos[n] = k
            if self.btn_state[n]:
                return 0  # pressed: shorted to ground
            ext = None
        else:
            ext = self._external(n)
        if m == OPEN_DRAIN and self.pout[n] == 0:
            return 0
        if ext is not None:
            return ext
        pull = self.ppull[n]
        if pull & PULL_UP:
            return 1
        if pull & PULL_DOWN:
            return 0
        return self.float_rng.next() & 1  # floating input

    def _external(self, n):
        """Level driven by the board on an input pin, or None if floating."""
        P = self.P
        pl = self.plant
        if n == P["usb_sense"]:
            return 1 if pl.usb else 0
        if n in (self.pin_oe, self.pin_a, self.pin_b):
            return 0  # hardware pull-downs
        if n == P["i_sense"] or n == P["v_load"] or n == P["v_bat"]:
            pl.advance(self.now)
            return 1 if self.pin_mv(n) > 1650 else 0
        return None

    def pin_mv(self, n):
        """True voltage (mV) at an analog input pin."""
        P = self.P
        pl = self.plant
        if n == P["i_sense"]:
            return pl.sense_mv()
        if n == P["v_load"]:
            return pl.vload_mv()
        if n == P["v_bat"]:
            return pl.vbat_mv()
        if n == P["usb_sense"]:
            return 2500.0 if pl.usb else 0.0
        if self.pmode[n] == OUT:
            return 3300.0 * self.pout[n]
        return self.float_rng.uniform(0.0, 3100.0)

    def _noise(self):
        k = self._nk + 1
        self._nk = k
        return (self._nz1[k % 509] + self._nz2[k % 503]) * self._nz_scale

    def _adc_uv(self, mv, atten, noisy=True):
        v = mv * self.adc_cal
        if noisy:
            v += self._noise()
        if v > 3300.0:
            v = 3300.0
        if v <= 100.0:
            return 0
        if v < 150.0:
            x = (v - 100.0) / 50.0
            v = 150.0 * x * x
        else:
            lin = ATTN_LIN[atten]
            if v > lin:
                mx = ATTN_MAX[atten]
                span = mx - lin
                v = lin + span * (1.0 - _exp(-(v - lin) / span))
        return int(v + 0.5) * 1000

    def adc_read_uv(self, n, atten):
        if n == self.P["i_sense"] and self.stuck_uv is not None:
            return self.stuck_uv
        pl = self.plant
        # The ADC samples the analog state of up to ADC_SAMPLE_US ago (a
        # conversion takes about that long): a burst of reads shares one
        # integration step instead of paying one each.
        if self.now - pl.t > ADC_SAMPLE_US:
            pl.advance(self.now)
        return self._adc_uv(self.pin_mv(n), atten)

    def adc_read_raw(self, n, atten):
        """Raw 12-bit code: depends on this chip's reference (1000..1200 mV)."""
        if n == self.P["i_sense"] and self.stuck_uv is not None:
            mv = self.stuck_uv / 1000.0 / self.adc_cal
        else:
            self.plant.advance(self.now)
            mv = self.pin_mv(n) + self._noise()
        if mv <= 100.0:
            return 0
        fs = ATTN_RAW_FS[atten] * self.vref / 1100.0
        raw = int(mv * 4095.0 / fs + 0.5)
        return 4095 if raw > 4095 else raw

    def pwm_set(self, n, freq, duty):
        self.pwm[n] = [freq, duty]
        log = self.pwm_log
        if len(log) < LOG_MAX:
            log.append((self.now // 1000, n, freq, duty))
        else:
            self.pwm_log_dropped += 1


_exp = math.exp


def _gauss_table(rng, n):
    t = array("h", range(n))
    for k in range(n):
        t[k] = int(rng.gauss() * 707.1)
    return t
