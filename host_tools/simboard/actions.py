"""What a scenario does to the board: the actions `World.at()` schedules
(button presses with contact bounce, contact/load/USB changes, stalls, power
cut and power-on, console Ctrl-C / soft reset, bytes and lines typed on the console) and the fault injections of
`inject(spec)`.

A mixin of `simboard.world.World`; an action named "x" runs `act_x`.
"""

from simboard.chipdefs import ChipReset


class Actions:
    def _do(self, action, args):
        if isinstance(action, str):
            getattr(self, "act_" + action)(*args)
        else:
            action(self, *args)

    def _button_pin(self, name):
        if name in self.buttons:
            return self.buttons[name]
        return int(name)

    def _edge(self, n, pressed):
        """Contact bounce: 5..30 ms of chatter, then the final level."""
        r = self.bounce_rng
        t0 = self.now
        end = t0 + r.randint(5000, 30000)
        tr = self.btn_tr[n]
        # drop transitions already consumed
        k = self.btn_pos[n]
        if k > 64:
            del tr[:k]
            self.btn_pos[n] = 0
        # a new edge supersedes chatter of an earlier edge not yet over
        while len(tr) > self.btn_pos[n] and tr[-1][0] >= t0:
            tr.pop()
        t = t0
        lvl = pressed
        while t < end:
            tr.append((t, lvl))
            t += r.randint(200, 4000)
            lvl = 1 - lvl
        tr.append((end, pressed))

    def act_press(self, name, seconds=0.2):
        n = self._button_pin(name)
        self._edge(n, 1)
        self.at((self.now + int(float(seconds) * 1000000)) / 1000.0, "release", name)

    def act_hold(self, name):
        self._edge(self._button_pin(name), 1)

    def act_release(self, name):
        self._edge(self._button_pin(name), 0)

    def act_contact(self, state):
        self.plant.advance(self.now)
        self.plant.set_input("contact", state in (1, True, "on", "1"))

    def act_load(self, ohms):
        self.plant.advance(self.now)
        if ohms in (None, "skin", "none"):
            self.plant.set_input("load_ohms", None)
        else:
            self.plant.set_input("load_ohms", float(ohms))

    def act_usb(self, state):
        self.plant.advance(self.now)
        self.plant.usb = state in (1, True, "on", "1")

    def act_stall(self, ms=3000):
        self.stall_us += int(float(ms) * 1000)

    def act_power_cut(self):
        for fs in self.flash_fs:
            fs.power_cut()
        self._halt(ChipReset("power_cut"))

    def act_power_on(self):
        self.power_on_pending = True

    def act_interrupt(self):
        """Ctrl-C on the USB console (what mpremote sends). Lost while the chip
        is unpowered, asleep or resetting (nothing reads the UART then)."""
        if not self.in_repl and not self.offline:
            self.interrupt_pending = True

    def act_soft_reset(self):
        """Ctrl-C then Ctrl-D on the console: soft reset (lost while offline)."""
        if self.offline:
            return
        self.soft_reset_requested = True
        if not self.in_repl:
            self.interrupt_pending = True

    def act_type(self, hexdata):
        """Bytes on the USB console (lost while the chip is unpowered or asleep)."""
        if not self.offline:
            self.serial_in.extend(bytes.fromhex(hexdata))

    def act_line(self, *words):
        """A line typed on the USB console."""
        self.act_type((" ".join(words) + "\n").encode().hex())

    def act_inject(self, spec):
        self.inject(spec)

    def inject(self, spec):
        """Apply a fault/condition, e.g. 'gain_drift=1.3', 'sense_stuck', 'usb=on'."""
        pl = self.plant
        pl.advance(self.now)
        if "=" in spec:
            key, val = spec.split("=", 1)
        else:
            key, val = spec, None
        if key == "gain_drift":
            pl.set_input("gain_drift", float(val))
        elif key == "sense_stuck":
            self.stuck_uv = self._adc_uv(pl.sense_mv(), 3, False)
        elif key == "sense_frozen":
            # the sense amplifier's output freezes at a plausible value; the
            # ADC still adds its noise (unlike sense_stuck, which is bit-exact)
            pl.sense_stuck_mv = pl.sense_mv()
        elif key == "sense_open":
            pl.sense_open = True
        elif key == "sense_gain":
            pl.sense_gain_f = float(val)
        elif key == "short":
            pl.set_input("short", val not in ("off", "0"))
        elif key == "battery_low":
            pl.set_soc_for_ocv(self.plant.bat_low_v - 0.02)
        elif key == "battery_critical":
            pl.set_soc_for_ocv(self.plant.bat_critical_v - 0.03)
        elif key == "usb":
            pl.usb = val in ("on", "1")
        elif key == "load_ohms":
            self.act_load(val)
        elif key == "contact":
            self.act_contact(val)
        elif key == "clear":
            self.stuck_uv = None
            pl.sense_stuck_mv = None
            pl.sense_open = False
            pl.sense_gain_f = 1.0
            pl.short = False
            pl.set_input("gain_drift", 1.0)
        else:
            raise ValueError("unknown injection: " + spec)
