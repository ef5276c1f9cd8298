"""True-output accounting of the plant, from the TRUE load current: charge
(net, absolute), RMS, peak, flow/compliance/shoot-through time, biphasic
phases and cycles (charge balance per cycle), and the 10 ms slot envelope
with its ramp rate over a 100 ms sliding window.

A mixin of `simboard.plant.Plant`: the integration calls `_account()` for
every piece of current and `_close_slot()` at each 10 ms slot boundary.
"""

import math
import sys

SLOT_US = 10000          # envelope slot for the ramp-rate measurement
RAMP_SLOTS = 10          # 10 slots = 100 ms sliding window
FLOW_A = 1e-6            # current above this counts as flowing into skin
LOG_MAX = 0 if sys.implementation.name == "micropython" else 20000


class OutputStats:
    def reset_stats(self):
        """Start the true-output accounting afresh (e.g. after settling)."""
        self.st_t0 = self.t
        self.q = 0.0          # net charge (C)
        self.q_abs = 0.0
        self.i2 = 0.0         # integral of I^2 dt
        self.peak = 0.0
        self.flow_s = 0.0
        self.sat_s = 0.0
        self.shoot_s = 0.0
        self.vload_max = 0.0
        self.phase_sign = 0
        self.phase_q = 0.0
        self.phases = 0
        self.phase_q_max = 0.0
        self.phase_q_min = None
        self.pending_pos = None
        self.cycles = 0
        self.unpaired = 0
        self.net_max = 0.0
        self.net_ratio_max = 0.0
        self.cycle_log = []   # (t_ms, pos_uC, neg_uC), capped
        self.on_phase = None  # optional fn(t0_us, t1_us, charge_C) as each phase closes
        self.phase_t0 = 0
        self.phase_t1 = 0
        self.slot_end = (self.t // SLOT_US + 1) * SLOT_US
        self.slot_peak = 0.0
        self.env = [0.0] * (RAMP_SLOTS + 1)
        self.env_i = 0
        self.env_n = 0
        self.ramp_max = 0.0
        self.ramp_max_t = 0

    def _close_slot(self):
        pk = self.slot_peak
        self.slot_peak = 0.0
        if self.on_slot is not None:
            self.on_slot(self.slot_end, pk)
        env = self.env
        i = self.env_i
        env[i] = pk
        n = RAMP_SLOTS + 1
        old = env[(i + 1) % n]
        self.env_i = (i + 1) % n
        if self.env_n < n:
            self.env_n += 1
        if self.env_n == n:
            r = pk - old
            if r < 0:
                r = -r
            r = r / (RAMP_SLOTS * SLOT_US * 1e-6)
            if r > self.ramp_max:
                self.ramp_max = r
                self.ramp_max_t = self.slot_end
        self.slot_end += SLOT_US
        if self.slot_end % 1000000 == 0:
            self._drift()

    def _account(self, dt, sign, q, i2, i0, i1):
        """q: |charge| of the piece, i0/i1: |I| at its start/end."""
        if q <= 0.0:
            return
        sq = q if sign > 0 else -q
        self.q += sq
        self.q_abs += q
        self.i2 += i2
        if i0 > self.peak:
            self.peak = i0
        if i0 > self.slot_peak:
            self.slot_peak = i0
        if i1 > FLOW_A:
            self.flow_s += dt
        elif i0 > FLOW_A:
            self.flow_s += dt * (i0 - FLOW_A) / (i0 - i1)
        if sign != self.phase_sign:
            if self.phase_sign != 0:
                self._close_phase()
            self.phase_sign = sign
            self.phase_q = 0.0
            self.phase_t0 = self.t
        self.phase_q += sq
        self.phase_t1 = self.t + int(dt * 1e6)

    def break_phase(self):
        """A chip reset: the firmware balancing this phase is gone, so the
        phase ends here, its charge the cut session's. Current after the boot
        is a new phase. (Merged across the reset, a cut session's last 11 ms
        counted as the next session's DC: 2.6 % of a phase, fuzz seed 14320.)"""
        if self.phase_sign != 0:
            self._close_phase()
            self.phase_sign = 0
            self.phase_q = 0.0

    def _close_phase(self):
        pq = self.phase_q
        cb = self.on_phase
        if cb is not None:
            cb(self.phase_t0, self.phase_t1, pq)
        a = pq if pq > 0 else -pq
        self.phases += 1
        if a > self.phase_q_max:
            self.phase_q_max = a
        if self.phase_q_min is None or a < self.phase_q_min:
            self.phase_q_min = a
        if pq > 0:
            if self.pending_pos is not None:
                self.unpaired += 1
            self.pending_pos = pq
        elif self.pending_pos is None:
            self.unpaired += 1
        else:
            pos = self.pending_pos
            net = pos + pq
            self.pending_pos = None
            self.cycles += 1
            an = net if net > 0 else -net
            if an > self.net_max:
                self.net_max = an
            big = pos if pos > a else a
            ratio = an / big if big > 0 else 0.0
            if ratio > self.net_ratio_max:
                self.net_ratio_max = ratio
            if len(self.cycle_log) < LOG_MAX:
                self.cycle_log.append((self.t // 1000, pos * 1e6, pq * 1e6))

    def stats(self):
        """True-output accounting as a dict (units in the key names)."""
        el = (self.t - self.st_t0) * 1e-6
        rms_flow = math.sqrt(self.i2 / self.flow_s) if self.flow_s > 0 else 0.0
        rms_all = math.sqrt(self.i2 / el) if el > 0 else 0.0
        return {
            "elapsed_s": el,
            "peak_ua": self.peak * 1e6,
            "rms_ua": rms_flow * 1e6,
            "rms_all_ua": rms_all * 1e6,
            "net_charge_uc": self.q * 1e6,
            "abs_charge_uc": self.q_abs * 1e6,
            "flow_s": self.flow_s,
            "compliance_s": self.sat_s,
            "shoot_through_s": self.shoot_s,
            "max_vload_v": self.vload_max,
            "phases": self.phases,
            "phase_charge_max_uc": self.phase_q_max * 1e6,
            "phase_charge_min_uc": (self.phase_q_min or 0.0) * 1e6,
            "open_phase_uc": self.phase_q * 1e6,
            "cycles": self.cycles,
            "unpaired_phases": self.unpaired,
            "net_per_cycle_max_uc": self.net_max * 1e6,
            "net_per_cycle_max_ratio": self.net_ratio_max,
            "ramp_max_ua_per_s": self.ramp_max * 1e6,
            "ramp_max_at_ms": self.ramp_max_t // 1000,
        }
