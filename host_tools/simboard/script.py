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
    45    line calibrate 10000 # a line typed on the USB console (its words, then a newline)
    46    type 63616c0d        # bytes (hex) sent to the USB console as they are

A script that types on the console gives the firmware the board's scripted
serial (`world.ScriptedSerial`); bytes sent while the chip is unpowered or
asleep are lost, as on a real UART.

Injection specs (`inject SPEC`, or `--inject SPEC[@seconds]` on the command
line): gain_drift=F, sense_stuck, sense_frozen, sense_open, sense_gain=F, short, short=off,
battery_low, battery_critical, usb=on|off, load_ohms=N|skin, contact=on|off,
clear (removes sense faults, short and gain drift).

This module is the one place that checks the scenario vocabulary: every
action's arguments (`check_action`) and every injection spec (`check_inject`),
for script files, `wandctl sim --inject` and the pty board's controls alike,
before anything runs. (It runs under MicroPython too: plain Python only.)
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
    "type": (1, 1),
    "line": (0, 32),
}
TYPE_MAX = 4096  # bytes one `type` sends
SCRIPT_MAX_S = 3600  # the latest event time, and the longest simulation (`wandctl sim --seconds`)
FLAP_WHAT = ("contact", "usb", "power", "level")
FILE_MAX = 4 * 1024 * 1024
BUTTONS = ("power", "level")
LOAD_MIN_OHMS, LOAD_MAX_OHMS = 10, 10000000
# injection name -> its value: None (no value), "factor" (0.1..10), "onoff", "optional_off" (none, on or
# off), "load" (ohms or skin)
INJECTIONS = {
    "gain_drift": "factor",
    "sense_stuck": None,
    "sense_frozen": None,
    "sense_open": None,
    "sense_gain": "factor",
    "short": "optional_off",
    "battery_low": None,
    "battery_critical": None,
    "usb": "onoff",
    "load_ohms": "load",
    "contact": "onoff",
    "clear": None,
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
        t = _number(parts[0])
        if t is None:
            raise ScriptError("line %d: bad time %r" % (lineno, parts[0][:40]))
        if t < 0:
            raise ScriptError("line %d: negative time" % lineno)
        if t > SCRIPT_MAX_S:
            raise ScriptError("line %d: time %s: at most %d s (a simulation runs at most that long)"
                              % (lineno, parts[0][:40], SCRIPT_MAX_S))
        act = parts[1]
        args = parts[2:]
        if act not in ACTIONS:
            raise ScriptError("line %d: unknown action %r (known: %s)" % (lineno, act, ", ".join(sorted(ACTIONS))))
        lo, hi = ACTIONS[act]
        if not lo <= len(args) <= hi:
            raise ScriptError("line %d: %s takes %d..%d arguments" % (lineno, act, lo, hi))
        if act == "file":
            _check_file(args, lineno)
        elif act == "flap":
            _check_flap(args, lineno)
        else:
            problem = check_action(act, args)
            if problem:
                raise ScriptError("line %d: %s" % (lineno, problem))
        out.append((int(t * 1000 + 0.5), act, tuple(args)))
    return out


def _number(text):
    """A finite number, or None."""
    try:
        v = float(text)
    except ValueError:
        return None
    return v if v - v == 0 else None  # inf - inf and nan are not 0


def _load_problem(text):
    v = _number(text)
    if text != "skin" and (v is None or not LOAD_MIN_OHMS <= v <= LOAD_MAX_OHMS):
        return "%r is not a load: ohms from %d to %d, or skin" % (text, LOAD_MIN_OHMS, LOAD_MAX_OHMS)
    return None


def check_inject(spec):
    """What is wrong with an injection spec NAME[=VALUE], or None."""
    if "=" in spec:
        name, value = spec.split("=", 1)
    else:
        name, value = spec, None
    if name not in INJECTIONS:
        return "unknown injection %r (known: %s)" % (name, ", ".join(sorted(INJECTIONS)))
    kind = INJECTIONS[name]
    if kind is None:
        return "%s takes no value" % name if value is not None else None
    if kind == "optional_off":
        return None if value in (None, "on", "off") else "%s or %s=off" % (name, name)
    if value is None or value == "":
        return "%s needs a value (%s=...)" % (name, name)
    if kind == "onoff":
        return None if value in ("on", "off") else "%s=on or %s=off, not %r" % (name, name, value)
    if kind == "load":
        return _load_problem(value)
    v = _number(value)
    if v is None:
        return "%s=%s: %r is not a number" % (name, value, value)
    if not 0.1 <= v <= 10:
        return "%s=%s: the factor must be from 0.1 to 10" % (name, value)
    return None


def check_action(act, args):
    """What is wrong with the arguments of a known action (its count already checked), or None."""
    if act in ("press", "hold", "release"):
        if args[0] not in BUTTONS:
            return "%s: unknown button %r (%s)" % (act, args[0], ", ".join(BUTTONS))
        if len(args) > 1:
            v = _number(args[1])
            if v is None or not 0 < v <= 3600:
                return "press: %r is not a time in seconds above 0 (at most 3600)" % args[1]
    elif act in ("contact", "usb"):
        if args[0] not in ("on", "off"):
            return "%s on or %s off, not %r" % (act, act, args[0])
    elif act == "load":
        problem = _load_problem(args[0])
        return "load: " + problem if problem else None
    elif act == "inject":
        problem = check_inject(args[0])
        return "inject: " + problem if problem else None
    elif act == "type":
        try:
            data = bytes.fromhex(args[0])
        except ValueError:
            return "type: the bytes must be hex digits"
        if not 1 <= len(data) <= TYPE_MAX:
            return "type: 1..%d bytes" % TYPE_MAX
    elif act == "stall" and args:
        v = _number(args[0])
        if v is None or not 0 <= v <= 3600000:
            return "stall: %r is not a time in milliseconds from 0 to 3600000" % args[0]
    return None


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
