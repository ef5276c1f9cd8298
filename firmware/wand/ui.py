"""LED and tone patterns, as pure functions of time and state.

Two LEDs (green, red) on PWM and a buzzer. Nothing here allocates: patterns
are arithmetic on now_ms, tone sequences are constant tuples played by index.
"""

from micropython import const

from wand import session as ses

_FULL = const(40000)
_DIM = const(6000)
_LOW_BAT = const(16000)  # the low-battery flash: a red no other pattern shows

# LED modes
LED_OFF = const(0)
LED_IDLE = const(1)
LED_RAMP = const(2)
LED_RUN = const(3)
LED_NO_CONTACT = const(4)
LED_HOLD = const(5)
LED_FAULT = const(6)
LED_USB_REFUSED = const(7)

# Tone sequences: (freq_hz, ms) pairs flattened; 0 Hz is a rest.
TONE_START = (700, 90, 950, 90, 1300, 140)  # rising
TONE_END = (1300, 90, 950, 90, 700, 180)  # falling
TONE_LEVEL = (1500, 40)
TONE_CUE = (2000, 60, 0, 80, 2000, 60)  # "move the wand"
TONE_CONTACT_LOST = (400, 300)
TONE_FAULT = (300, 700, 0, 200, 300, 700)
TONE_REFUSED = (500, 120, 0, 80, 500, 120)
TONE_CLICK = (2500, 15)


class Ui:
    def __init__(self):
        self.green = 0
        self.red = 0
        self.tone_hz = 0
        self.muted = False
        self._seq = None
        self._i = 0
        self._until = 0

    # --- tones ----------------------------------------------------------------
    def contact_lost(self, now_ms):
        """The contact-lost tone (for a part that does not import this module: the calibration)."""
        self.play(now_ms, TONE_CONTACT_LOST)

    def play(self, now_ms, seq):
        if self.muted and seq is not TONE_FAULT:
            return
        self._seq = seq
        self._i = 0
        self.tone_hz = seq[0]
        self._until = now_ms + seq[1]

    def _tone_step(self, now_ms):
        seq = self._seq
        if seq is None:
            self.tone_hz = 0
            return
        if now_ms - self._until >= 0:
            self._i += 2
            if self._i >= len(seq):
                self._seq = None
                self.tone_hz = 0
                return
            self.tone_hz = seq[self._i]
            self._until = now_ms + seq[self._i + 1]

    # --- LEDs -------------------------------------------------------------------
    def step(self, now_ms, mode, level, fault_code, battery_low, bench):
        """Compute LED duties (self.green/red) and the tone for this tick."""
        g = 0
        r = 0
        if mode == LED_IDLE:
            # short green blink every 2 s
            g = _FULL if (now_ms % 2000) < 80 else 0
        elif mode == LED_RAMP:
            g = _FULL if (now_ms % 250) < 125 else 0
        elif mode == LED_RUN:
            # green on; every 4 s, `level` short dark gaps tell the level
            t = now_ms % 4000
            g = _FULL
            if t < level * 300 and (t % 300) < 120:
                g = 0
        elif mode == LED_NO_CONTACT:
            # red at once (SR-06: the user is told, muted or not), green blinking full and
            # dim: states no other pattern shows under any overlay, so a lift in a low-battery
            # ramp-down is told apart from the flash over it (fuzz round 55)
            g = _FULL if (now_ms % 500) < 250 else _DIM
            r = _FULL
        elif mode == LED_HOLD:
            g = _DIM
        elif mode == LED_FAULT:
            # blink code: `fault_code` red blinks, then a pause
            t = now_ms % (fault_code * 500 + 1500)
            r = _FULL if (t < fault_code * 500 and (t % 500) < 250) else 0
        elif mode == LED_USB_REFUSED:
            r = _FULL if (now_ms % 1000) < 500 else 0
        if battery_low and mode != LED_FAULT:
            # low battery: a half-bright red flash every 3 s over any pattern
            if (now_ms % 3000) < 150 and r < _LOW_BAT:
                r = _LOW_BAT
        if bench and mode != LED_FAULT:
            # bench mode: a dim red glow under everything
            if r == 0:
                r = _DIM
        self.green = g
        self.red = r
        self._tone_step(now_ms)


def led_mode(st, ramping, fault, usb_refused):
    """The LED pattern for the session state `st` (wand.session)."""
    if fault:
        return LED_FAULT
    if st == ses.NO_CONTACT:
        # (over a refusal's 3 s: its steady red would hide a lift, SR-06)
        return LED_NO_CONTACT
    if usb_refused:
        return LED_USB_REFUSED
    if st == ses.HOLD:
        return LED_HOLD
    if st == ses.RAMP_UP or st == ses.RAMP_DOWN or (st == ses.RUNNING and ramping):
        return LED_RAMP
    if st == ses.RUNNING:
        return LED_RUN
    return LED_IDLE
