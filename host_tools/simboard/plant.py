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

This module is the stage and sense chain (DAC -> V-to-I stage -> limiter ->
H-bridge -> enable, the sense and load-voltage readings) and the Plant that
puts the parts together: `loadmodels` (the loads and their exact solution),
`battery` (charge, OCV, sag) and `outputstats` (true-output accounting). Their
public names are re-exported here: `simboard.plant.X` stays the place to
import them from.
"""

from simboard.battery import (  # noqa: F401  (re-exported: simboard.plant.X)
    _OCV_TABLE_SOC,
    BOOST_EFF,
    ESP32_RUN_A,
    ESP32_SLEEP_A,
    Battery,
)
from simboard.loadmodels import LOAD_OPEN, LOAD_RES, LOAD_SKIN, SHORT_OHMS, LoadModels
from simboard.outputstats import (  # noqa: F401  (re-exported: simboard.plant.X)
    FLOW_A,
    LOG_MAX,
    RAMP_SLOTS,
    SLOT_US,
    OutputStats,
)
from simboard.rng import Rng


class Plant(LoadModels, Battery, OutputStats):
    """The analog hardware of one board, built from board.json values and the seed."""

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
