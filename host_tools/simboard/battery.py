"""The wand's battery: charge drawn by the chip and by the boost converter
feeding the output stage, state of charge, open-circuit voltage (table over
the board's battery voltages), sag under load, and the v_bat divider reading.

A mixin of `simboard.plant.Plant`, which sets up the battery's values.
"""

ESP32_RUN_A = 0.060      # chip current while running
ESP32_SLEEP_A = 0.00015  # deep sleep
BOOST_EFF = 0.8
_OCV_TABLE_SOC = (0.0, 0.05, 0.10, 0.20, 0.50, 0.80, 1.0)


class Battery:
    def _battery(self, dt, i_load):
        """Charge drawn from the battery; folded into soc lazily (see ocv())."""
        if self.usb or not self.powered:
            return
        ichip = ESP32_RUN_A if self.chip_running else ESP32_SLEEP_A
        self.bat_as += ichip * dt + self.boost_k * i_load * dt

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
