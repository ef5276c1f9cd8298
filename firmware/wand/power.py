"""Battery and USB power (SR-09): the readings judged, and what follows.

`step()` takes this tick's readings and says what changed; it touches
nothing. `judge()` acts on that: USB power during a session outside bench
mode and a critically low battery trip the Supervisor (cut at once), a low
battery ends the session with a ramp-down; the changes are told to the
App's `on_event` (the event log). `refusal()` says why a session may not
start. The App wires it: nothing here touches the board or the clock.
"""

from micropython import const

from wand import board, faults
from wand import session as ses

_BAT_LOW_TICKS = const(100)  # 1 s of the averaged battery under BAT_LOW_MV
_BAT_CRIT_TICKS = const(5)  # raw readings under BAT_CRITICAL_MV in a row
_USB_TICKS = const(2)

# what step() reports (bits)
USB_CHANGED = const(1)
CRITICAL = const(2)  # critically low: cut at once
LOW = const(4)  # low from now on: end the session with a ramp-down

# why refusal() refuses a start (the console shows it)
REFUSED_USB = "refused: USB power present (unplug, or use bench mode)"
REFUSED_BATTERY = "refused: battery low"


class Power:
    def __init__(self, on_event):
        self.on_event = on_event  # (now_ms, kind, a): what judge() tells (the App's note)
        self.usb = False
        self.battery_mv = 0  # 16-reading average
        self.battery_low = False
        self.uv_per_mv = int(board.VBAT_DIVIDER * 1000 + 0.5)  # ADC µV per mV of battery
        self._bat_avg16 = 0
        self._bat_low_n = 0
        self._bat_crit_n = 0
        self._usb_n = 0  # readings with USB present among the last 8 (_usb_hist's bits)
        self._usb_hist = 0

    def start(self, bat_uv):
        """The boot's reading seeds the average."""
        self.battery_mv = bat_uv // self.uv_per_mv
        self._bat_avg16 = self.battery_mv * 16

    def step(self, bat_uv, usb_present):
        """One tick's readings; returns the USB_CHANGED/CRITICAL/LOW bits."""
        out = 0
        mv = bat_uv // self.uv_per_mv
        self._bat_avg16 += mv - (self._bat_avg16 >> 4)
        bat = self._bat_avg16 >> 4
        self.battery_mv = bat
        # USB: present once seen on _USB_TICKS of the last 8 readings, gone
        # once absent from all 8. (An up/down count passed a connector that
        # chattered 10 ms on, 10 ms off: a session ran with USB present half
        # the time, red team rt4. A one-tick glitch is still no USB.)
        h = self._usb_hist
        n = self._usb_n
        if h & 0x80:
            n -= 1
        h = (h << 1) & 0xFF
        if usb_present:
            h |= 1
            n += 1
        self._usb_hist = h
        self._usb_n = n
        usb = self.usb
        if n >= _USB_TICKS:
            usb = True
        elif n == 0:
            usb = False
        if usb != self.usb:
            self.usb = usb
            out |= USB_CHANGED
        if usb:
            # on USB the battery is charging, not powering the stage
            self._bat_crit_n = self._bat_low_n = 0
            self.battery_low = False
            return out
        if mv < board.BAT_CRITICAL_MV:  # raw readings: cut at once
            self._bat_crit_n += 1
            if self._bat_crit_n >= _BAT_CRIT_TICKS:
                out |= CRITICAL
        else:
            self._bat_crit_n = 0
        if bat < board.BAT_LOW_MV:
            self._bat_low_n += 1
            if self._bat_low_n >= _BAT_LOW_TICKS and not self.battery_low:
                self.battery_low = True
                out |= LOW
        else:
            self._bat_low_n = 0
        return out

    def judge(self, now, ev, sup, session, bench):
        """SR-09 on this tick's step() result ev: trip sup (wand.safety) or
        end the session (wand.session) as the power requires."""
        if ev & USB_CHANGED:
            self.on_event(now, "usb", "on" if self.usb else "off")
        if self.usb and not bench and session.active() and not sup.fault:
            sup.trip(now, faults.USB_POWER)  # cut at once, not a ramp
        if ev & CRITICAL and not sup.fault:
            sup.trip(now, faults.BATTERY_CRITICAL)
        if ev & LOW:
            self.on_event(now, "battery_low", self.battery_mv)
        if self.battery_low and session.active() and session.state != ses.RAMP_DOWN:
            session.stop(now, ses.END_BATTERY)

    def refusal(self, bench):
        """SR-09: why a session may not start now (None: it may)."""
        if self.usb and not bench:
            return REFUSED_USB
        if self.battery_low:
            return REFUSED_BATTERY
        return None
