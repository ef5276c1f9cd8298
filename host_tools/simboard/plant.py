"""Physics of the wand's analog hardware, integrated exactly between events.

Output path: DAC (8 bit) -> voltage-to-current stage (with an independent
hardware limiter) -> current sense -> H-bridge (legs A/B) -> output enable ->
electrodes -> load. The load is the skin model (series R + parallel R||C), a
plain resistor (characterization), a short, or open (no contact).

The firmware only changes inputs of this model at discrete instants (a DAC
write, a GPIO level), so between two such instants the stage current is
constant and the skin capacitor follows an exponential. `advance(t_us)`
integrates that solution analytically up to `t_us` (lazily: only when the
firmware reads or writes something, sleeps, or a sample is taken), splitting
at 10 ms slot boundaries for the envelope/ramp accounting and at the instant
the stage runs into its compliance voltage.

Every accounted quantity is the TRUE load current, never what the firmware
believes it commands.
"""

import math
import sys

from simboard.rng import Rng

LOAD_SKIN = 0
LOAD_RES = 1
LOAD_OPEN = 2

SLOT_US = 10000          # envelope slot for the ramp-rate measurement
RAMP_SLOTS = 10          # 10 slots = 100 ms sliding window
ESP32_RUN_A = 0.060      # chip current while running
ESP32_SLEEP_A = 0.00015  # deep sleep
BOOST_EFF = 0.8
FLOW_A = 1e-6            # current above this counts as flowing into skin
SHORT_OHMS = 50.0
LOG_MAX = 0 if sys.implementation.name == "micropython" else 20000
_OCV_TABLE_SOC = (0.0, 0.05, 0.10, 0.20, 0.50, 0.80, 1.0)


class Plant:
    def __init__(self, board, seed=0):
        a = board["analog"]
        p = board["pins"]
        self.pins = p
        rng = Rng(seed ^ 0x5A17)
        self.noise_rng = rng.fork()
        self.fs_v = a["dac_full_scale_mv"] / 1000.0
        self.ratio = a["vi_divider_ratio"]
        self.r_set = float(a["r_set_ohms"])
        self.hw_max_a = a["hw_limit_max_ua"] * 1e-6
        # Per-board component tolerances, fixed by the seed.
        self.dac_gain = 1.0 + rng.uniform(-0.015, 0.015)
        self.stage_gain = 1.0 + rng.uniform(-0.02, 0.02)
        hw = a["hw_limit_ua"] * (1.0 + rng.uniform(-0.02, 0.02)) * 1e-6
        self.hw_limit_a = hw if hw < self.hw_max_a else self.hw_max_a
        self.vcomp = a["boost_v"] - a["stage_headroom_v"]
        self.boost_v = a["boost_v"]
        self.sense_off_mv = a["sense_offset_mv"]
        self.sense_mv_per_a = a["sense_r_ohms"] * a["sense_gain"] * 1000.0  # mV per A
        self.vload_off_mv = a["vload_offset_mv"]
        self.vload_mv_per_v = a["vload_gain"] * 1000.0
        self.vbat_div = a["vbat_divider"]
        self.bat_r = a["bat_internal_ohms"]
        b = board["battery"]
        self.bat_low_v = b["low_v"]
        self.bat_critical_v = b["critical_v"]
        self.cap_as = b["capacity_mah"] * 3.6  # ampere-seconds
        crit = b["critical_v"]
        self._ocv_v = (crit - 0.3, crit, b["low_v"], (b["low_v"] + b["nominal_v"]) / 2.0,
                       b["nominal_v"], (b["nominal_v"] + b["full_v"]) / 2.0 + 0.02, b["full_v"])
        self.soc = rng.uniform(0.80, 0.97)
        self.bat_as = 0.0  # ampere-seconds drawn since soc was last updated
        # boost input current per ampere of output (at a nominal 3.7 V cell)
        self.boost_k = self.boost_v / (BOOST_EFF * 3.7)
        s = board["skin_default"]
        self.skin_rs0 = float(s["series_ohms"])
        self.skin_rp0 = float(s["parallel_ohms"])
        self.skin_c = s["parallel_nf"] * 1e-9
        self.drift_per_min = s["drift_per_min"]
        self.drift_rng = rng.fork()
        self.drift_x = 0.0
        self.drift_y = 0.0
        self.skin_rs = self.skin_rs0
        self.skin_rp = self.skin_rp0
        # Inputs of the model (set by the world when the firmware writes).
        self.dac_code = 0
        self.dac_on = False
        self.oe = 0
        self.leg_a = 0
        self.leg_b = 0
        self.contact = True
        self.load_ohms = None     # override: pure resistor
        self.short = False
        self.gain_drift = 1.0
        self.usb = False
        self.chip_running = True  # False in deep sleep / power off
        self.powered = True
        # Sense faults.
        self.sense_stuck_mv = None
        self.sense_open = False
        self.sense_gain_f = 1.0
        # State.
        self.t = 0
        self.vc = 0.0
        self.on_slot = None  # optional fn(slot_end_us, peak_A): exact peak |I| of each 10 ms slot
        self._recompute()
        self.reset_stats()

    # ------------------------------------------------------------------
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

    # ------------------------------------------------------------------
    def set_input(self, name, value):
        """Change one input of the model at the current plant time."""
        setattr(self, name, value)
        self._recompute()

    def _recompute(self):
        """Derive the constant drive of the next interval from the inputs."""
        if self.dac_on and self.powered:
            v = self.dac_code * (self.fs_v / 255.0) * self.dac_gain
        else:
            v = 0.0
        i = v * self.ratio / self.r_set * self.stage_gain * self.gain_drift
        if i > self.hw_limit_a:
            i = self.hw_limit_a
        if i > self.hw_max_a:  # SR-01 layer 3: never above 600 uA
            i = self.hw_max_a
        if not self.powered:
            i = 0.0
        self.i_src = i
        a = self.leg_a if self.oe else 0
        b = self.leg_b if self.oe else 0
        self.shoot = 1 if (a and b) else 0
        self.sign = 0 if self.shoot else (1 if a else (-1 if b else 0))
        if self.short:
            self.ltype = LOAD_RES
            self.r = SHORT_OHMS
        elif not self.contact:
            self.ltype = LOAD_OPEN
        elif self.load_ohms is not None:
            self.ltype = LOAD_RES
            self.r = float(self.load_ohms)
        else:
            self.ltype = LOAD_SKIN
        rs = self.skin_rs
        rp = self.skin_rp
        c = self.skin_c
        self.tau = rp * c
        self.tau2 = c * rs * rp / (rs + rp)

    # ------------------------------------------------------------------
    def advance(self, t_new):
        """Integrate the exact solution from self.t to t_new (microseconds)."""
        t = self.t
        while t < t_new:
            se = self.slot_end
            te = t_new if t_new < se else se
            self._integrate((te - t) * 1e-6)
            t = te
            self.t = t
            if t == se:
                self._close_slot()

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

    def _drift(self):
        """Slow seeded random walk of the skin values (about drift_per_min)."""
        d = self.drift_per_min / 7.75  # per-second step; sqrt(60) = 7.75
        r = self.drift_rng
        self.drift_x = self.drift_x * 0.995 + r.uniform(-d, d)
        self.drift_y = self.drift_y * 0.995 + r.uniform(-d, d)
        self.skin_rs = self.skin_rs0 * (1.0 + self.drift_x)
        self.skin_rp = self.skin_rp0 * (1.0 + self.drift_y)
        self._recompute()

    def _battery(self, dt, i_load):
        """Charge drawn from the battery; folded into soc lazily (see ocv())."""
        if self.usb or not self.powered:
            return
        ichip = ESP32_RUN_A if self.chip_running else ESP32_SLEEP_A
        self.bat_as += ichip * dt + self.boost_k * i_load * dt

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

    def _integrate(self, dt):
        if dt <= 0.0:
            return
        sign = self.sign
        i_src = self.i_src
        lt = self.ltype
        if self.shoot and i_src > 0.0:
            self.shoot_s += dt
        if lt == LOAD_SKIN:
            vc = self.vc
            if sign == 0 or i_src <= 0.0:
                self.vc = vc * math.exp(-dt / self.tau)
                self._battery(dt, i_src if self.shoot else 0.0)
                return
            self._skin(dt, sign, i_src)
            return
        if sign == 0 or i_src <= 0.0:
            self.vc = 0.0
            self._battery(dt, i_src if self.shoot else 0.0)
            return
        if lt == LOAD_OPEN:
            self.vc = 0.0
            self.sat_s += dt
            if self.vcomp > self.vload_max:
                self.vload_max = self.vcomp
            self._battery(dt, 0.0)
            return
        r = self.r
        i = i_src
        if i * r > self.vcomp:
            i = self.vcomp / r
            self.sat_s += dt
        v = i * r
        if v > self.vload_max:
            self.vload_max = v
        self._account(dt, sign, i * dt, i * i * dt, i, i)
        self._battery(dt, i)

    def _skin(self, dt, sign, i_src):
        rs = self.skin_rs
        rp = self.skin_rp
        tau = self.tau
        vcomp = self.vcomp
        i = sign * i_src
        vc = self.vc
        vs = sign * vcomp
        if sign * (i * rs + vc) < vcomp:
            # Current-source mode; may run into compliance before dt ends.
            vinf = i * rp
            t_sat = dt
            if i_src * (rs + rp) > vcomp:
                vstar = vs - i * rs
                t_sat = tau * math.log((vc - vinf) / (vstar - vinf))
                if t_sat > dt:
                    t_sat = dt
            self.vc = vinf + (vc - vinf) * math.exp(-t_sat / tau)
            v = sign * (i * rs + self.vc)
            if v > self.vload_max:
                self.vload_max = v
            self._account(t_sat, sign, i_src * t_sat, i_src * i_src * t_sat, i_src, i_src)
            self._battery(t_sat, i_src)
            dt -= t_sat
            if dt <= 0.0:
                return
            vc = self.vc
        # Compliance: the stage is a voltage source of vs behind the skin.
        tau2 = self.tau2
        vinf2 = vs * rp / (rs + rp)
        e = math.exp(-dt / tau2)
        a = (vs - vinf2) / rs
        b = -(vc - vinf2) / rs
        one = 1.0 - e
        q = a * dt + b * tau2 * one
        i2 = a * a * dt + 2.0 * a * b * tau2 * one + b * b * tau2 * 0.5 * (1.0 - e * e)
        i0 = (vs - vc) / rs
        self.vc = vinf2 + (vc - vinf2) * e
        i1 = (vs - self.vc) / rs
        self.sat_s += dt
        if vcomp > self.vload_max:
            self.vload_max = vcomp
        self._account(dt, sign, q * sign, i2, i0 * sign, i1 * sign)
        self._battery(dt, i0 * sign)

    # ------------------------------------------------------------------
    # Instantaneous quantities at self.t (call advance() first).
    def load_current(self):
        """Signed true current through the load (A)."""
        sign = self.sign
        i_src = self.i_src
        if sign == 0 or i_src <= 0.0:
            return 0.0
        lt = self.ltype
        if lt == LOAD_OPEN:
            return 0.0
        if lt == LOAD_RES:
            i = i_src
            if i * self.r > self.vcomp:
                i = self.vcomp / self.r
            return sign * i
        vc = self.vc
        if sign * (sign * i_src * self.skin_rs + vc) >= self.vcomp:
            return (sign * self.vcomp - vc) / self.skin_rs
        return sign * i_src

    def load_voltage(self):
        """|V| across the electrodes (V)."""
        sign = self.sign
        lt = self.ltype
        if sign == 0 or self.i_src <= 0.0:
            return abs(self.vc) if lt == LOAD_SKIN else 0.0
        if lt == LOAD_OPEN:
            return self.vcomp
        i = self.load_current()
        if lt == LOAD_RES:
            return abs(i * self.r)
        return abs(i * self.skin_rs + self.vc)

    def sense_current(self):
        """Current through the sense resistor (before the bridge), A."""
        if self.shoot:
            return self.i_src
        i = self.load_current()
        return i if i >= 0 else -i

    def sense_mv(self):
        if self.sense_stuck_mv is not None:
            return self.sense_stuck_mv
        if self.sense_open:
            return 0.0
        return self.sense_off_mv + self.sense_current() * self.sense_mv_per_a * self.sense_gain_f

    def vload_mv(self):
        return self.vload_off_mv + self.load_voltage() * self.vload_mv_per_v

    def soc_now(self):
        """State of charge (0..1) with the charge drawn so far folded in."""
        self.ocv()
        return self.soc

    def ocv(self):
        if self.bat_as:
            self.soc -= self.bat_as / self.cap_as
            self.bat_as = 0.0
            if self.soc < 0.0:
                self.soc = 0.0
        s = self.soc
        tb = _OCV_TABLE_SOC
        vv = self._ocv_v
        for k in range(1, len(tb)):
            if s <= tb[k]:
                f = (s - tb[k - 1]) / (tb[k] - tb[k - 1])
                return vv[k - 1] + f * (vv[k] - vv[k - 1])
        return vv[-1]

    def bat_v(self):
        ichip = ESP32_RUN_A if self.chip_running else ESP32_SLEEP_A
        i = ichip
        if self.i_src > 0 and (self.sign or self.shoot):
            i += self.boost_v * self.i_src / (BOOST_EFF * 3.7)
        return self.ocv() - self.bat_r * i

    def vbat_mv(self):
        return self.bat_v() * self.vbat_div * 1000.0

    def set_soc_for_ocv(self, v):
        """Set the state of charge so the open-circuit voltage is v."""
        self.bat_as = 0.0
        tb = _OCV_TABLE_SOC
        vv = self._ocv_v
        if v <= vv[0]:
            self.soc = 0.0
            return
        for k in range(1, len(tb)):
            if v <= vv[k]:
                f = (v - vv[k - 1]) / (vv[k] - vv[k - 1])
                self.soc = tb[k - 1] + f * (tb[k] - tb[k - 1])
                return
        self.soc = 1.0

    # ------------------------------------------------------------------
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
