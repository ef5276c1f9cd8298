"""Biphasic output engine: amplitude (a DAC code) times a polarity pattern,
charge-balanced by accounting (SR-04).

It keeps the net charge q (DAC code x 100 µs, exact integers) of the
balancing period: a positive half of the program's length, then a negative
half that lasts until q is back to zero, its last tick cut to what is owed,
so neither a ramp nor a late tick leaves DC (a residue is carried on). The
stage's current is proportional to the code whatever the polarity (the
H-bridge only steers it), so balancing codes balances charge.
"""

from micropython import const

from wand import carry, envfollow, programs
from wand.flowfraction import FlowFraction

_P_HALF = const(1)
_P_PERIOD = const(2)
_P_ON = const(3)
_DU_PER_MS = const(10)  # the engine's clock unit is 100 µs
_SLOPE_MAX16 = const(128)  # a rising envelope's forecast slope: at most 8 codes a tick


class OutputEngine:
    def __init__(self):
        self.program = programs.PROBE
        self.long = False  # set by start()
        self._code_prev = 0  # the envelope's code last tick, and ticks it has not moved
        self._still = self._seen16 = self._on_half = 0
        self._flat = False
        self.tick_ms = 10
        self.tick = 100  # in 100 µs units
        self.running = False
        self.code = self.polarity = 0
        self.q = 0  # net charge of this balancing period, code * 100 µs
        self.cycles = 0
        self._sign = 1
        self._t_in = 0  # ms since this half began
        self._on_pos = 0  # gated ms of the positive half
        self._neg_ms = 0  # planned on-time of the negative half (= the positive one's)
        self._neg_t = 0  # on-time of the negative half so far
        self._q_pos = 0  # charge of the positive half
        self._rate = 0  # the negative half's code while on plan
        self._short = 0  # its charge that did not flow (compliance, no contact)
        self._resume = False  # paying a debt left by a contact loss
        self._shift_rem = 0  # code x µs of shift_us() not yet a whole unit
        self._carry = self._cref = self._clim = 0  # charge carried into this cycle; its ref and floor (carry.py)
        self._hold = 0  # of that, what this cycle's negative half leaves for later ones
        self._prev_sign, self._prev_gate = 0, False
        self._half = self._period = self._on = 1000
        self._continuous = True
        self.one_tick = False
        self.on_us = -1
        self._flow = FlowFraction()  # what fraction of each tick's code flowed
        self.probe_flowed = 0  # net charge of the probe's pulses into a load that took them
        self._c0 = 0  # the envelope's code on the positive half's first tick
        self.blocks = False  # a pulse train's long polarity blocks (`pulse`): set by start()
        # its rise over that half, 1/16 code a tick (envfollow); a pulse train's code between pulses (SR-06, the App)
        self._s16 = self.sense = 0

    def start(self, program, tick_ms, owed=0, kept=0):
        """Start a program. owed: first pay back that much charge (code*100us, signed: > 0 was left positive, paid by a
        negative half; < 0 by a positive one) left by an interrupted cycle, at no more than the envelope (no snap).
        kept: a residue stop() left when settled(), carried."""
        self.program = program
        self.tick_ms = tick_ms
        self.tick = tick_ms * _DU_PER_MS
        self._half = program[_P_HALF] * _DU_PER_MS
        self._period = program[_P_PERIOD] * _DU_PER_MS
        self._on = program[_P_ON] * _DU_PER_MS
        self._continuous = self._on >= self._period
        # a whole half's on-time: more in a negative half's plan is a stall's (red team rt3: `pulse` paid one unjudged 8
        # s past the session)
        self._on_half = self._half if self._continuous else self._half // self._period * self._on
        # Halves of 20 ticks or more (`lift`; `pulse`'s blocks): a ramp moves the envelope far within one; in `tone`'s
        # few ticks it does not (paying at a waiting envelope there left a dip of up to a fifth of the code).
        self.long = self._continuous and self._half >= 20 * self.tick
        self.blocks = not self._continuous and self._half >= 20 * self.tick and self._period < self._half
        self._t_in = self._on_pos = 0
        self._prev_sign, self._prev_gate = 0, False
        self._code_prev = self._still = self._seen16 = 0
        self.running = True
        self._hold = self._shift_rem = 0
        self._carry, self._cref = kept, (self._cref if kept else 0)
        self._clim = carry.floor(program[_P_HALF], self.tick)
        self.one_tick = self._continuous and self._half <= self.tick  # (`smooth`: see output.drive)
        self.on_us = -1  # its last code's write, µs after its tick began (-1: none yet)
        self._neg_ms = self._neg_t = 0
        self.probe_flowed = 0
        self.q = owed + kept
        self._sign = -1 if owed > 0 else 1
        self._resume = owed != 0

    def stop(self):
        """Stop at once. Returns the charge still owed (code*100us, signed), for a later start()."""
        owed = self.q if self.running else 0  # (half a one-tick pair dropped: the other never comes)
        self.running = self._prev_gate = False
        self.code = self.polarity = self._prev_sign = 0
        return owed

    def paying_stall(self):
        """A debt is paid at the envelope (a positive half paying a negative excess), or a negative half pays a positive
        one a loop stall made longer (at the rate from before it)."""
        return self.running and (self._resume if self._sign > 0 else
                                 self._neg_ms > self._on_half + self.tick and self._neg_t < self._neg_ms)

    def holds_fall(self):
        """SR-05: the envelope waits, not falling, while a stall or a debt is paid (a fall meanwhile stepped 92 uA at
        the next reversal, rt2; a timer's end fell to a `pulse` debt at one code, 36 s past 20 min) and through every
        negative half of several ticks, so both reversals of a ramp-down meet it."""
        return self.paying_stall() or self.running and (self._resume or self._sign < 0 and (
            self.long or self.blocks))  # (`pulse`: a block's falling pulses next)

    def holds_rise(self):
        """SR-05: a pulse train's envelope waits through a negative block (risen on, 234 to 417 uA)."""
        return self.running and self._sign < 0 and self.blocks and not self._resume

    def forgive(self):
        """SR-07 over SR-04: drop what is owed (the session is past its time)."""
        self.q = self._carry = self._hold = 0
        self._resume = False

    def paying_debt(self):
        """Still paying a debt given to start() (SR-04)."""
        return self.running and self._resume

    def probe_ok(self):
        """SR-08: a one-tick probe dip can be paid in this half: a positive half, or a negative half on plan with at
        least 4 ticks left to spread it over (one at its end would be carried)."""
        return self._sign > 0 or not self._resume and self._neg_ms - self._neg_t >= 4 * self.tick

    def multi_tick_halves(self):
        """A half of the running program spans more than one tick and is one continuous phase (not a pulse train, whose
        gates start and stop the output inside a half: there the correction is not applied)."""
        return self._continuous and self._half > self.tick

    def at_reversal(self):
        """This tick began a new half of more than one tick (after a reversal; the 100 Hz program's one-tick halves
        start alike anyway)."""
        return self._t_in == 0 and self._half > self.tick

    def in_positive_half(self):
        return self._sign > 0

    def settled(self):
        """Nothing owed beyond a residue under one code for one tick, or one carried (carry.hold)."""
        k = self._carry if carry.small(self._carry, self._cref, self._clim) else 0
        return -self.tick < self.q - k < self.tick

    def shift_us(self, signed_code_us):
        """Book a correction in signed code x µs (App.tick: the output changed inside the tick, not at its start);
        sub-unit remainders carried. One-tick halves book a cycle's two whole (one alone biased the negative's code by
        0.8), as carried."""
        if not self.running:
            return
        r = self._shift_rem = self._shift_rem + signed_code_us
        if self.one_tick and self._sign < 0:
            return
        du = r // 100
        self._shift_rem = r - du * 100
        self.q += du
        if self.one_tick and self._t_in == 0:
            self._carry += du  # (paid as carry.hold says: a stall's step, paid at once, was 2 % of a cycle)

    def book(self, elapsed_du, code, expected, m, flowing, capped, ratio):
        """Book the interval that just ended from what this tick's sample saw (code: what was written; the rest as
        FlowFraction.of() takes them)."""
        frac = self._flow.of(code, expected, m, flowing, capped, ratio)
        if self.program is programs.PROBE:
            # Booked whole, so its cycles balance whatever the sense says (by the sense: 0.53 uC over 40 s, 5.3 uC
            # frozen; fuzz seeds 2602512212, 2807414747); what flowed is kept for contact back.
            if flowing and code:
                self.probe_flowed += code * elapsed_du * self._prev_sign
            frac = 1024
        self.account(elapsed_du, code, frac)

    def account(self, elapsed_du, delivered_code, frac=1024):
        """Book the interval that just ended (elapsed in 100 µs units) with the code that was really written, of which
        the fraction frac/1024 flowed."""
        if not self.running:
            return  # (and no counter grows while stopped)
        dq = delivered_code * elapsed_du
        if frac < 1024:
            full = dq
            dq = (dq * frac + 512) >> 10
            if self._prev_sign < 0:
                self._short += full - dq  # (of this negative half: what did not flow)
        self.q += dq * self._prev_sign
        self._t_in += elapsed_du
        if self._prev_gate:
            if self._prev_sign > 0:
                self._on_pos += elapsed_du
            elif self._prev_sign < 0:
                self._neg_t += elapsed_du

    def _paid(self):
        q = self.q - self._hold
        if q < self.tick:
            return True  # less than one code for one tick: carried to the next cycle
        if self._resume or self._neg_t * 2 < self._neg_ms * 2 - self.tick:
            return False
        # planned time over: done if what is left is within 0.5 % of the phase (a normal one at this rate after a phase
        # a stall made long: red team rt2); more is left if less flowed than commanded (compliance, the clamp): paid on
        # at the same rate (a longer phase, no step).
        ref = self._rate * self._half
        return q * 200 <= (ref if 0 < ref < self._q_pos else self._q_pos)

    def _on_plan(self, q, code, out, left, tick):
        """A negative half's code while on its plan (out: q over the time left)."""
        if code > out and self.blocks:
            cur = envfollow.whole_pulses(q, code, left, self._on, self._t_in % self._period)
            if cur < left:
                self._neg_ms = self._neg_t + cur
                out = self._rate = (q + cur // 2) // cur
        elif code > out and self._continuous:
            # (or, none in the positive half, as seen: a level up 630 ms into a `lift` half, paid flat, stepped 24 uA at
            # the reversal, fuzz round 28; flat once the envelope has not moved for three of its steps: a rise that
            # stopped left a dip, red team rt3)
            s16 = self._s16 if self._s16 else self._seen16
            s16 = s16 if self._still * s16 < 48 else 0
            out = envfollow.negative_code(q, code, tick, s16)
        elif 0 < code < out - 1 and self.long and (self._flat or code < self._c0 - 1):
            self._rate = code  # the envelope fell: flat where it waits, longer (and stays)
            self._flat = True
            out = envfollow.negative_code(q, code, tick, 0)
        return out

    def step(self, code):
        """This tick's code and polarity from the envelope's code. The positive half follows the envelope. The negative
        half spreads the charge owed evenly over the time it has left (the positive half's on-time), so every code is
        within one of the mean whatever the tick jitter; then the rest is paid on (a pulse train's in the pulse going
        on: one of its own stepped 336 uA/s), or under 0.5 % of a phase carried to the next cycle. After a contact loss
        the debt is paid at no more than the envelope (soft), to its last tick (a pulse train's: to under a tick of it,
        then carried). Sets self.code and self.polarity (nothing is allocated)."""
        if not self.running:
            self.stop()  # (nothing is owed: off, as stop() leaves it)
            return
        tick = self.tick
        least = code if code > 0 else 1
        if code != self._code_prev:
            # its rise seen, 1/16 code a tick, from 2 steps of one code up (a jump, a dither: none)
            self._seen16 = (16 // (self._still + 1) if self._seen16 else -1) if code == self._code_prev + 1 else 0
            self._code_prev = code
            self._still = 0
        else:
            self._still += 1
        if self._sign > 0 and self._resume and -self.q * 2 < tick:
            # SR-04: an excess of negative charge (a stall in a negative half, a lift's debt) is paid, its last tick cut
            # to what is owed; overpaid by a stall, the rest is its on-time at the envelope, paid as a stall's is (as a
            # carry, paid whole: 1304 code-ticks in one `tone` half, at 255, 2673 uA/s, fuzz round 46)
            q = self.q
            self._t_in, self._on_pos, self._resume = 0, q // least if q >= tick else 0, False
            self._cref = carry.ref(q, self._q_pos, self._cref, tick)
            self._carry = q if q < tick else 0  # (over small(): paid whole by the next negative half, carry.hold)
        # (while the envelope falls, a long positive half ends after a quarter, a pulse train's block after a pulse: its
        # drop and the half paying it stay small)
        if self._sign > 0 and not self._resume and (self._t_in >= self._half or code < self._c0 - 1 and (
                self._t_in >= self._half >> 2 and self.long
                or self.blocks and self._t_in >= self._period and self._t_in % self._period < tick)):
            self._sign = -1
            self._t_in = 0
            # the positive on-time in whole ticks: the last tick never falls short
            self._neg_ms = (self._on_pos + tick // 2) // tick * tick
            self._neg_t = 0
            self._hold = carry.hold(self._carry, self.q - self._carry, code, self._cref, self._clim, tick)
            self._q_pos = self.q - self._hold
            self._rate = self._short = 0
            self._flat = False  # (a negative half paying flat at a fallen, waiting envelope)
            rise = code - self._c0
            ticks = self._on_pos // tick
            s16 = rise * 16 // ticks if rise > 0 and ticks > 0 else 0
            self._s16 = s16 if s16 < _SLOPE_MAX16 else _SLOPE_MAX16
        if self._sign < 0 and (
            (self._resume and (self.q * 2 < tick if self._continuous else self.q // tick < least))
            or (self._paid() and (self._continuous or not self._prev_gate and (
                self._t_in >= self._half or self.blocks and (self._t_in % self._period < tick or self.sense and (
                    self.q - self._hold < tick)))))
        ):
            # Paid: a lift's debt, its last tick cut to what is owed (left, it was paid whole next half: `smooth`
            # doubled a code, rt4; `tone` 236 uA/s, round 34); a pulse train's to under a tick at the envelope, the rest
            # by the next block's pulses (a last tick waited for a pulse: 274 uA/s; spread: 10 s, seed 31631); a half
            # paid early, at a pulse, or in a gap its sense current goes on in (in rhythm: a stall's overpaid block left
            # the rest of its 500 ms dark, a lift told 410 ms late, review)
            debt = self._resume and not self._continuous
            self._sign = 1
            o = self._t_in % self._period if self.blocks and self.sense and not debt else 0  # (a debt's: round 49)
            self._t_in = o - self._period if o >= tick else 0  # (its first pulse, and its 3 s, from the boundary)
            self._on_pos, self._c0 = 0, code
            # a negative excess is paid first at the envelope, to its last tick: this half's own over a code-tick and
            # 0.5 % of the phase (a stall's), or with the carry over carry.small() (not at a falling half's)
            q, over = self.q, self._hold - self.q
            self._cref = carry.ref(q, self._q_pos, self._cref, tick)
            self._resume = over >= tick and over * 200 > self._q_pos or not carry.small(q if q < 0 else 0, self._cref,
                                                                                          self._clim)
            self._carry = 0 if debt else self.q  # what is left
            self._hold = 0
            self.cycles += 1
        gate = self._continuous or (self._t_in % self._period) < self._on
        # SR-06: a pulse train's gaps carry a sense current of the half's polarity (a lift there was seen only at the
        # next pulse, 421 ms late, red team rt3); the negative pulses leave the negative gaps their share
        sense = self.sense if self.blocks and (code > self.sense or self._sign < 0) else 0  # (owed: to its end)
        if not gate and self._sign < 0 and self._prev_gate and self._prev_sign < 0 and not self._resume and not \
                self._flat and self._neg_ms - self._neg_t < tick and self._neg_t < self._neg_ms + self._on \
                and not self._paid():
            gate = True  # SR-05: the rest in this pulse, not one of its own (seed 21749; under a tick left: 326 uA/s)
        if self._sign > 0:
            if self._t_in == 0:
                self._c0 = code
            # a debt is paid at the envelope through a pulse train's gaps too (gated, a stall's 410 uC took 24 s at 20 %
            # duty: red team rt2)
            out = (code if gate else sense) if not self._resume else carry.last_tick(-self.q, least, tick)
        else:
            # (the sense current to under a tick: _paid()'s 0.5 % past the plan left a gap's worth)
            o = self.q - self._hold  # (the gaps' sense code cut to what is owed: 4 codes at the lowest stored
            out = (sense if o >= sense * tick else (o + tick // 2) // tick) if not gate and o >= tick else 0  # offset)
            if gate and not self._paid():
                q = self.q - self._hold
                if self._resume:
                    out = carry.last_tick(q, least, tick) if self._continuous else least
                else:
                    left = self._neg_ms - self._neg_t
                    if sense:
                        q = envfollow.pulses_share(q, left, self._on, self._period, self._t_in % self._period, sense)
                    if left >= tick:
                        out = (q + left // 2) // left  # nearest: the error is carried, not piled up
                        if self._short and self._continuous:
                            # SR-06: what did not flow (contact gone 5 ms in a tick: 81 codes on a 54-code half, fuzz
                            # round 27) is paid at most 3 % over the envelope (or its level at the cycle's start), the
                            # rest past the plan's time
                            lim = (code if code > self._c0 else self._c0) + 1 + (self._c0 >> 5)
                            out = out if out < lim else lim
                        self._rate = out
                        out = self._on_plan(q, code, out, left, tick)
                    elif self._flat:
                        # past the plan at the waiting envelope's rate: the rest as an even dip
                        out = envfollow.negative_code(q, self._rate, tick, 0)
                    else:
                        # the plan's last tick: the same rate at most, down to what is owed
                        out = (q + tick // 2) // tick
                        if self._rate and out > self._rate:
                            out = self._rate
                        if out < 1:
                            out = 1
                if out > 255:
                    out = 255
        self.code = out
        self.polarity = self._sign if out > 0 else 0
        self._prev_sign = self._sign
        self._prev_gate = gate

