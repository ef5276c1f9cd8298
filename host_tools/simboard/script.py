"""Scenario scripts and injection specs for the simulated board.

Script file: one event per line, `<seconds> <action> [args]`; `#` starts a
comment, blank lines are ignored. Times are seconds since the world started.

    1.0   press power 0.2     # press the power button for 0.2 s (with bounce)
    10    press level 0.1
    20    hold level          # press and keep pressed
    25    release level
    60    contact off         # lift the wand (open circuit)
    63    contact on
    70    load 2000           # pure resistor load (ohms); `load skin` goes back
    90    inject gain_drift=1.3
    100   usb on              # same as `inject usb=on`
    120   stall 3000          # the firmware's next sleep takes 3000 ms longer
    130   interrupt           # Ctrl-C on the console (KeyboardInterrupt)
    140   soft_reset          # Ctrl-C then Ctrl-D (soft reset)
    150   power_cut
    152   power_on

Injection specs (`inject SPEC`, or `--inject SPEC[@seconds]` on the command
line): gain_drift=F, sense_stuck, sense_frozen, sense_open, sense_gain=F, short, short=off,
battery_low, battery_critical, usb=on|off, load_ohms=N|skin, contact=on|off,
clear (removes sense faults, short and gain drift).
"""

ACTIONS = {
    "press": (1, 2),
    "hold": (1, 1),
    "release": (1, 1),
    "contact": (1, 1),
    "load": (1, 1),
    "inject": (1, 1),
    "usb": (1, 1),
    "stall": (0, 1),
    "power_cut": (0, 0),
    "power_on": (0, 0),
    "interrupt": (0, 0),
    "soft_reset": (0, 0),
}


class ScriptError(ValueError):
    pass


def parse_script(text):
    """Return a list of (t_ms, action, args) in file order."""
    out = []
    lineno = 0
    for line in text.split("\n"):
        lineno += 1
        i = line.find("#")
        if i >= 0:
            line = line[:i]
        parts = line.split()
        if not parts:
            continue
        if len(parts) < 2:
            raise ScriptError("line %d: expected '<seconds> <action> [args]'" % lineno)
        try:
            t = float(parts[0])
        except ValueError:
            raise ScriptError("line %d: bad time %r" % (lineno, parts[0]))
        if t < 0:
            raise ScriptError("line %d: negative time" % lineno)
        act = parts[1]
        args = parts[2:]
        if act not in ACTIONS:
            raise ScriptError("line %d: unknown action %r" % (lineno, act))
        lo, hi = ACTIONS[act]
        if not lo <= len(args) <= hi:
            raise ScriptError("line %d: %s takes %d..%d arguments" % (lineno, act, lo, hi))
        out.append((int(t * 1000 + 0.5), act, tuple(args)))
    return out


def parse_inject(spec):
    """'gain_drift=1.3@90' -> (90000, 'gain_drift=1.3'); no @ means t=0."""
    if "@" in spec:
        s, t = spec.rsplit("@", 1)
        return int(float(t) * 1000 + 0.5), s
    return 0, spec


def schedule(world, events):
    for t_ms, act, args in events:
        world.at(t_ms, act, *args)
