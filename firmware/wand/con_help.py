"""Console command `help` (loaded for one line by wand.console): what each command does."""

import json

from wand.console import _NAMES, PROTOCOL, USAGE

# The reply's `about` ([name, usage, what it does] per command, in the order
# of wand.console._NAMES) as the JSON text json.dumps prints for it, kept as
# one string: building the rows and encoding them took about 1.5 KB more heap
# in the tick that answers `help`. tests/unit/test_console_help_history.py checks it against the
# command table.
ABOUT_JSON = (
    '[["calibrate", "OHMS", "calibrate the current sense with a known resistor (bench)"], '
    '["clear", "", "clear a latched fault (bench mode)"], '
    '["faults", "", "the faults recorded since power-up"], '
    '["get", "[NAME]", "show the settings, or one of them"], '
    '["hello", "", "firmware version, board, protocol, reset cause"], '
    '["help", "", "this list"], '
    '["history", "[n]", "the last n sessions (start, program, levels, charge, end)"], '
    '["level", "N", "set the level 1..10 of the running session (bench mode)"], '
    '["log", "[n]", "the newest n events of the event log (1..32)"], '
    '["reboot", "", "hard reset into the firmware (no session running)"], '
    '["repl", "", "leave to the plain MicroPython REPL, output off, no reset (bench)"], '
    '["selftest", "", "run the output-off self-test"], '
    '["set", "NAME VALUE", "change a setting (checked against the hard limits)"], '
    '["start", "", "start a session (bench mode)"], '
    '["status", "", "state, current, load and contact, battery, fault"], '
    '["stop", "", "end the session with a ramp down (bench mode)"], '
    '["stream", "on [hz] | off", "telemetry lines `~ t= set= meas= st= ohm=`"]]'
)


def run(con, name, args, now_ms):
    """`commands`: name -> usage; `about`: one [name, usage, what it does] per command, sorted."""
    cmds = {}
    for i in range(len(_NAMES)):
        cmds[_NAMES[i]] = USAGE[i]
    # json.dumps with `about` a placeholder (the keys' order is the platform's
    # dict order), then the prepared text in its place: the same line, pieces queued
    head = json.dumps({"protocol": PROTOCOL, "maxlen": con._maxlen, "commands": cmds, "about": 0})
    at = head.index('"about": 0') + 9
    return ("ok ", head[:at], ABOUT_JSON, head[at + 1 :])
