"""What a person or a test does to the board: power, EN, the bootloader strap, buttons, load, battery, USB.

Each control runs on the board thread (`_call`), so it is thread-safe; the
scenario actions are simboard's script vocabulary.
"""

from __future__ import annotations

import time

from simboard.vboard.chiplink import WORLD_LOCK
from simboard.vboard.errors import VirtualBoardError
from simboard.vboard.resets import HARD_RESET

BUTTON_PINS = {"power": 13, "level": 14}


class InputsMixin:
    """The public controls (thread-safe: they run on the board thread)."""

    def power_on(self):
        self._call(self._power_on)

    def power_cut(self):
        """Power lost at this instant: the CPU stops mid-instruction, RAM and RTC memory are gone."""
        self._call(self._power_off)

    def power_cycle(self, off_s: float = 0.05, wait: bool = True):
        self.power_cut()
        time.sleep(off_s)
        self.power_on()
        if wait:
            self.wait_ready()

    def power_up_in_bench_mode(self, wait: bool = True):
        """The physical act that turns bench mode on (SR-09): power off, the level button
        held while the power comes back, released 1.5 s later."""
        self.power_cut()
        self._bench = True
        time.sleep(0.05)
        self.power_on()
        if wait:
            self.wait_ready()
            self.wait_bench_released()

    def wait_bench_released(self, timeout: float = 20.0) -> None:
        """Until the bench power-up has released the level button."""
        end = time.monotonic() + timeout
        while self._bench or self._bench_release or self.bench_released_at is None:
            if time.monotonic() > end:
                raise VirtualBoardError("the bench power-up did not finish")
            time.sleep(0.05)
        time.sleep(max(0.0, self.bench_released_at + 0.1 - time.monotonic()))

    def reset(self):
        """The EN button (or esptool's RTS pulse): a chip reset that boots the firmware."""
        self._call(lambda: self._hard_reset(HARD_RESET, en_pin=True))

    def enter_bootloader(self):
        """EN pulse with GPIO0 held low: the chip comes up in the ROM serial loader."""
        self._call(self._enter_bootloader)

    def press(self, button: str, held: bool | None = None, duration_s: float | None = None):
        """Press a button ("power" or "level"), with the World's contact bounce. held=True keeps
        it down until release(); duration_s presses and releases after that long (blocking)."""
        if button not in BUTTON_PINS:
            raise VirtualBoardError("unknown button %r (power, level)" % button)
        self._call(lambda: self._act("hold", button))
        if self._deep_sleeping and button == "power" and self.world.ext0 is None:
            self._call(lambda: self._wake_from_deepsleep())  # no wake source armed: the power switch
        if held:
            return
        time.sleep(duration_s if duration_s is not None else 0.15)
        self.release(button)

    def release(self, button: str):
        if button not in BUTTON_PINS:
            raise VirtualBoardError("unknown button %r (power, level)" % button)
        self._call(lambda: self._act("release", button))

    def inject(self, **values):
        """Change the world the board senses: load_ohms (a number: a resistor; "skin": the skin
        model; None or "open": the wand lifted), battery_v (open-circuit volts), usb (bool)."""

        def apply():
            for key, value in values.items():
                if key == "usb":
                    self._act("usb", "on" if value else "off")
                elif key == "load_ohms":
                    self._advance()
                    with WORLD_LOCK:
                        self._apply_load(value)
                elif key == "battery_v":
                    self._advance()
                    with WORLD_LOCK:
                        self.world.plant.advance(self.world.now)
                        self.world.plant.set_soc_for_ocv(float(value))
                else:
                    raise VirtualBoardError("unknown input %r (load_ohms, battery_v, usb)" % key)

        self._call(apply)

    def scenario(self, line: str) -> None:
        """One scenario action now, in simboard's script vocabulary without the time:
        `press power 0.2`, `hold level`, `release level`, `contact off`, `load 2000|skin`,
        `inject gain_drift=1.3`, `usb on`, `stall 3000`, `power_cut`, `power_on`, `interrupt`
        (Ctrl-C on the UART), `soft_reset` (Ctrl-C, Ctrl-D), `flap contact 5 12`."""
        from simboard.script import ScriptError, parse_script

        try:
            ((_, act, args),) = parse_script("0 " + line)
        except ScriptError as e:
            raise VirtualBoardError(str(e).replace("line 1: ", "")) from None
        if act == "power_cut":
            self.power_cut()
        elif act == "power_on":
            self.power_on()
        elif act in ("interrupt", "soft_reset"):
            data = b"\r\x03" + (b"\x04" if act == "soft_reset" else b"")
            self._call(lambda: self._from_host(data))
        elif act == "stall":
            raise VirtualBoardError("stall needs the virtual clock (`wandctl sim`); the pty board runs in real time")
        elif act == "file":
            raise VirtualBoardError("file writes the simulator's flash folder (`wandctl sim`); the pty board's "
                                    "flash is a littlefs image its MicroPython has mounted: copy files with "
                                    "`mpremote cp` or the REPL")
        elif act == "flap":
            from simboard.script import flap_events

            self._call(lambda: self._act_later(flap_events(0, *args)))
        elif act in ("press", "hold", "release") and args[0] not in BUTTON_PINS:
            raise VirtualBoardError("unknown button %r (power, level)" % args[0])
        else:
            self._call(lambda: self._act(act, *args))

    def _act_later(self, events):
        """World actions (t_ms from now, action, args), on the World's clock."""
        self._advance()
        with WORLD_LOCK:
            w = self.world
            for t_ms, action, args in events:
                w.at(w.now / 1000 + t_ms, action, *args)

    def _act(self, action, *args):
        """A World action (act_<action>) at the present instant."""
        self._advance()
        with WORLD_LOCK:
            getattr(self.world, "act_" + action)(*args)
            self.world._update_due()

    def _apply_load(self, value):
        w = self.world
        if value is None or value == "open":
            w.act_contact("off")
        elif value == "skin":
            w.act_load("skin")
            w.act_contact("on")
        else:
            ohms = float(value)
            if not ohms > 0:
                raise VirtualBoardError("load_ohms must be above 0 (or skin, open)")
            w.act_load(ohms)
            w.act_contact("on")
