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
    0     file settings.json 7b7d        # write bytes (hex) to the flash; optional repeat count
    40    flap contact 5 12    # toggle contact off/on every 5 ms, 12 times (also usb, power, level)

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
    "file": (2, 3),
    "flap": (3, 3),
}
FLAP_WHAT = ("contact", "usb", "power", "level")
FILE_MAX = 4 * 1024 * 1024


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
        if act == "file":
            _check_file(args, lineno)
        elif act == "flap":
            _check_flap(args, lineno)
        out.append((int(t * 1000 + 0.5), act, tuple(args)))
    return out


def _check_file(args, lineno):
    name = args[0]
    if "/" in name or name in (".", ".."):
        raise ScriptError("line %d: file: a plain file name, not a path" % lineno)
    try:
        data = bytes.fromhex(args[1]) if args[1] != "-" else b""
    except ValueError:
        raise ScriptError("line %d: file: the contents must be hex digits" % lineno)
    rep = 1
    if len(args) > 2:
        try:
            rep = int(args[2])
        except ValueError:
            raise ScriptError("line %d: file: the repeat count must be a whole number" % lineno)
    if rep < 0 or len(data) * rep > FILE_MAX:
        raise ScriptError("line %d: file: 0..%d bytes" % (lineno, FILE_MAX))


def _check_flap(args, lineno):
    if args[0] not in FLAP_WHAT:
        raise ScriptError("line %d: flap: one of %s" % (lineno, ", ".join(FLAP_WHAT)))
    try:
        period = float(args[1])
        count = int(args[2])
    except ValueError:
        raise ScriptError("line %d: flap PERIOD_MS COUNT: numbers" % lineno)
    if period <= 0 or not 1 <= count <= 10000:
        raise ScriptError("line %d: flap: a period above 0 ms and 1..10000 toggles" % lineno)


def _write_file(world, name, data):
    from simboard.runtime import makedirs

    d = world.flash_dir or "."
    makedirs(d)
    with open(d + "/" + name, "wb") as f:
        f.write(data)


def flap_events(t_ms, what, period_ms, count):
    """A flapping input as plain events: contact starts by going off, USB by
    coming on, a button by being pressed; each toggle lasts period_ms."""
    out = []
    p = float(period_ms)
    for k in range(int(count)):
        t = t_ms + k * p
        first = k % 2 == 0
        if what == "contact":
            out.append((t, "contact", ("off" if first else "on",)))
        elif what == "usb":
            out.append((t, "usb", ("on" if first else "off",)))
        else:
            out.append((t, "hold" if first else "release", (what,)))
    return out


def parse_inject(spec):
    """'gain_drift=1.3@90' -> (90000, 'gain_drift=1.3'); no @ means t=0."""
    if "@" in spec:
        s, t = spec.rsplit("@", 1)
        return int(float(t) * 1000 + 0.5), s
    return 0, spec


def expand(events):
    """Scenario events as the world takes them: `flap` becomes its toggles."""
    out = []
    for t_ms, act, args in events:
        if act == "flap":
            out += flap_events(t_ms, args[0], args[1], args[2])
        else:
            out.append((t_ms, act, tuple(args)))
    return out


def file_bytes(args):
    data = bytes.fromhex(args[1]) if args[1] != "-" else b""
    return data * (int(args[2]) if len(args) > 2 else 1)


def schedule(world, events):
    for t_ms, act, args in expand(events):
        if act == "file":
            data = file_bytes(args)
            if t_ms <= 0:
                _write_file(world, args[0], data)  # on the flash before the first boot
            else:
                world.at(t_ms, _file_action, args[0], data)
        else:
            world.at(t_ms, act, *args)


def _file_action(world, name, data):
    _write_file(world, name, data)
