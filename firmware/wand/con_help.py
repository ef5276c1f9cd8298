"""Console command `help` (loaded for one line by wand.console): what each command does."""

from wand.console import _NAMES, PROTOCOL, USAGE

# what each command does, in the order of wand.console._NAMES
_ABOUT = (
    "calibrate the current sense with a known resistor (bench)",
    "clear a latched fault (bench mode)",
    "the faults recorded since power-up",
    "show the settings, or one of them",
    "firmware version, board, protocol, reset cause",
    "this list",
    "the last n sessions (start, program, levels, charge, end)",
    "set the level 1..10 of the running session (bench mode)",
    "the newest n events of the event log (1..32)",
    "hard reset into the firmware (no session running)",
    "hard reset into the plain MicroPython REPL, output off",
    "run the output-off self-test",
    "change a setting (checked against the hard limits)",
    "start a session (bench mode)",
    "state, current, load and contact, battery, fault",
    "end the session with a ramp down (bench mode)",
    "telemetry lines `~ t= set= meas= st= ohm=`",
)


def run(con, name, args, now_ms):
    """`commands`: name -> usage; `about`: one [name, usage, what it does] per command, sorted."""
    cmds = {}
    about = []
    for i in range(len(_NAMES)):
        cmds[_NAMES[i]] = USAGE[i]
        about.append((_NAMES[i], USAGE[i], _ABOUT[i]))  # a JSON list, as a tuple: smaller
    return con._ok({"protocol": PROTOCOL, "maxlen": con._maxlen, "commands": cmds, "about": about})
