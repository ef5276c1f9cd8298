"""Biphasic output engine: amplitude (a DAC code) times a polarity pattern,
charge-balanced by accounting (SR-04).

The engine keeps the net charge q (in DAC-code milliseconds, exact integers)
of the current balancing period: a positive half of the program's nominal
length, then a negative half that lasts exactly until q is back to zero. On the
tick that closes the balance the code is cut to what is still owed. So a ramp
(whose positive and negative halves would otherwise differ) or a late tick
(jitter) cannot leave a DC component: whatever is owed is paid in the same
cycle, and a residue of a late tick is carried into the next one.

The delivered current is proportional to the DAC code through the stage, and
the stage does not know the polarity (the H-bridge only steers it), so
balancing codes balances charge.
"""

from micropython import const

from wand import programs

_P_HALF = const(1)
_P_PERIOD = const(2)
_P_ON = const(3)


class OutputEngine:
    def __init__(self):
        self.program = programs.PROBE
        self.tick_ms = 10
        self.running = False
        self.code = 0
        self.polarity = 0
        self.q = 0  # net charge of this balancing period, code*ms
        self.cycles = 0
        self._sign = 1
        self._t_in = 0  # ms since this half began
        self._on_pos = 0  # gated ms of the positive half
        self._neg_code = 0  # code the negative half pays back at
        self._prev_sign = 0
        self._prev_gate = False
        self._half = 1000
        self._period = 1000
        self._on = 1000
        self._continuous = True

    def start(self, program, tick_ms):
        self.program = program
        self.tick_ms = tick_ms
        self._half = program[_P_HALF]
        self._period = program[_P_PERIOD]
        self._on = program[_P_ON]
        self._continuous = self._on >= self._period
        self._sign = 1
        self._t_in = 0
        self._on_pos = 0
        self.q = 0
        self._prev_sign = 0
        self._prev_gate = False
        self.running = True

    def stop(self):
        """Stop at once (fault or contact loss: the current has already stopped)."""
        self.running = False
        self.code = 0
        self.polarity = 0
        self._prev_sign = 0
        self._prev_gate = False

    def in_positive_half(self):
        return self._sign > 0

    def account(self, elapsed_ms, delivered_code):
        """Book the charge of the interval that just ended (what was really written)."""
        self.q += delivered_code * self._prev_sign * elapsed_ms
        self._t_in += elapsed_ms
        if self._prev_sign > 0 and self._prev_gate:
            self._on_pos += elapsed_ms

    def step(self, code):
        """Decide this tick's code and polarity from the envelope's code.

        The positive half follows the envelope; the negative half pays the
        positive half's charge back at its mean code, the last tick cut to
        what is still owed. Sets self.code and self.polarity (no allocation).
        """
        if not self.running:
            self.code = 0
            self.polarity = 0
            self._prev_sign = 0
            self._prev_gate = False
            return
        if self._sign > 0 and self._t_in >= self._half:
            self._sign = -1
            self._t_in = 0
            on = self._on_pos
            q = self.q
            self._neg_code = (q + on - 1) // on if (on > 0 and q > 0) else 0
        if self._sign < 0 and self.q <= 0 and (self._continuous or self._t_in >= self._half):
            self._sign = 1
            self._t_in = 0
            self._on_pos = 0
            self.cycles += 1
        gate = self._continuous or (self._t_in % self._period) < self._on
        if self._sign > 0:
            out = code if gate else 0
        else:
            q = self.q
            out = 0
            if gate and q > 0:
                tick = self.tick_ms
                need = (q + tick - 1) // tick
                out = self._neg_code
                if out < 1:
                    out = 1
                if out > need:
                    out = need
        self.code = out
        self.polarity = self._sign if out > 0 else 0
        self._prev_sign = self._sign
        self._prev_gate = gate
