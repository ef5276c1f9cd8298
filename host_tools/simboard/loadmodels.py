"""The electrical loads behind the electrodes: the skin (series R + parallel
R||C, with a slow seeded drift), a plain resistor, a short (50 ohm) and open
(no contact). Under the current-source stage and its compliance voltage the
load's exact solution is integrated over an interval (`_integrate`, `_skin`),
and the instantaneous load current and voltage are derived from it.

A mixin of `simboard.plant.Plant`, which selects the load (`ltype`, `r`) and
the drive (`i_src`, `sign`, `shoot`) in `_recompute()`.
"""

import math

LOAD_SKIN = 0
LOAD_RES = 1
LOAD_OPEN = 2

SHORT_OHMS = 50.0


class LoadModels:
    def _drift(self):
        """Slow seeded random walk of the skin values (about drift_per_min)."""
        d = self.drift_per_min / 7.75  # per-second step; sqrt(60) = 7.75
        r = self.drift_rng
        self.drift_x = self.drift_x * 0.995 + r.uniform(-d, d)
        self.drift_y = self.drift_y * 0.995 + r.uniform(-d, d)
        self.skin_rs = self.skin_rs0 * (1.0 + self.drift_x)
        self.skin_rp = self.skin_rp0 * (1.0 + self.drift_y)
        self._recompute()

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
