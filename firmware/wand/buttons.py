"""Button debounce and gestures.

As in micropython-async's Pushbutton, the decision logic (`check(now, pressed)`)
is separate from the polling (the App calls it every tick with the pin level),
so tests drive it directly. Debounce acts on the first edge, then ignores the
pin for DEBOUNCE_MS: contact chatter of 5..30 ms can neither add presses nor
delay the reaction.
"""

from micropython import const

DEBOUNCE_MS = const(40)
# A button held this long is stuck (pressed in a bag, a shorted switch): it
# repeats no more and counts as no activity, so it can neither keep changing
# the level nor keep the wand awake (SR-07's idle auto-off).
STUCK_MS = const(10000)

# events returned by check()
NONE = const(0)
SHORT = const(1)  # released before LONG_MS
LONG = const(2)  # held LONG_MS (fires once while held)
REPEAT = const(3)  # still held, every REPEAT_MS after LONG


class Button:
    def __init__(self, long_ms=1500, repeat_ms=0, pressed=False):
        self.long_ms = long_ms
        self.repeat_ms = repeat_ms
        self.pressed = pressed
        # A button held at power-up must be released before it counts.
        self._ignore_until_release = pressed
        self._edge_ms = 0
        self.down_ms = 0  # when the current (or last) press began (public: SR-12's acknowledgement)
        self._long_sent = False
        self._next_repeat = 0
        self._settled = True

    def ignore_until_release(self):
        """The current press (if any) will produce no event."""
        if self.pressed:
            self._ignore_until_release = True

    def check(self, now_ms, level_pressed):
        """Feed the raw pin state; returns one of NONE, SHORT, LONG, REPEAT."""
        if not self._settled:
            if now_ms - self._edge_ms < DEBOUNCE_MS:
                return self._held(now_ms)
            self._settled = True
        if level_pressed != self.pressed:
            self.pressed = level_pressed
            self._edge_ms = now_ms
            self._settled = False
            if level_pressed:
                self.down_ms = now_ms
                self._long_sent = False
                return NONE
            if self._ignore_until_release:
                self._ignore_until_release = False
                return NONE
            if not self._long_sent:
                # Held long_ms by the clock, but a loop stall hid the tick that
                # would have told it (a 1.7 s press with an 847 ms stall in it
                # read as short, a review): long, the safe side (a stop, a
                # level down); Controls does not take it as a fault's
                # acknowledgement, which needs the button still held.
                return LONG if now_ms - self.down_ms >= self.long_ms else SHORT
            return NONE
        return self._held(now_ms)

    def _held(self, now_ms):
        if not self.pressed or self._ignore_until_release:
            return NONE
        held = now_ms - self.down_ms
        if not self._long_sent:
            if held >= self.long_ms:
                self._long_sent = True
                self._next_repeat = held + self.repeat_ms
                return LONG
            return NONE
        if self.repeat_ms and held >= self._next_repeat and held < STUCK_MS:
            self._next_repeat += self.repeat_ms
            return REPEAT
        return NONE
