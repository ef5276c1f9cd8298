"""Settings: schema, validation against limits, atomic persistence (SR-10).

Every field has a default and limits; the limits of user_max_ua and
session_min are the hard ones (safety.HARD_CEILING_UA, session.MAX_SESSION_MIN),
so no file can raise them. A corrupt file falls back to all defaults; a bad
field falls back to its default; both are reported to the caller (who logs an
event). Calibration fields must stay within 20 % of the board's nominal values.
"""

import json

from wand import atomicfile, board, programs
from wand.safety import HARD_CEILING_UA
from wand.session import MAX_SESSION_MIN, MIN_TARGET_UA

FILE = "settings.json"
MAX_BYTES = 4096  # a settings file is ~350 bytes; anything much larger is not ours

_GAIN_NOM = int(board.STAGE_UA_PER_CODE * 1000 + 0.5)
_SENSE_NOM = int(board.SENSE_MV_PER_UA * 1000 + 0.5)
_SOFF_NOM = board.SENSE_OFFSET_MV * 1000

# name: (default, min, max) for ints; booleans and the program are special.
INT_FIELDS = {
    "level": (3, 1, 10),
    "session_min": (5, 1, MAX_SESSION_MIN),
    "cue_s": (5, 0, 60),
    "user_max_ua": (400, MIN_TARGET_UA, HARD_CEILING_UA),  # SR-06: no setpoint too low to judge
    "idle_off_s": (120, 30, 900),
    "cal_gain_na": (_GAIN_NOM, _GAIN_NOM * 8 // 10, _GAIN_NOM * 12 // 10),
    # +-5 uA: a stored offset is where every ramp starts from, so a larger one
    # (a calibration gone wrong) would start a session with a step (SR-05:
    # -20 uA gave 257 uA/s on `tone`)
    "cal_offset_na": (0, -5000, 5000),
    "cal_sense_offset_uv": (_SOFF_NOM, _SOFF_NOM * 8 // 10, _SOFF_NOM * 12 // 10),
    "cal_sense_uv_per_ua": (_SENSE_NOM, _SENSE_NOM * 8 // 10, _SENSE_NOM * 12 // 10),
}
BOOL_FIELDS = {"mute": False}
NAMES = ("program",) + tuple(sorted(INT_FIELDS)) + tuple(sorted(BOOL_FIELDS))


class SettingsError(ValueError):
    pass


def defaults() -> dict:
    d: dict = {"program": programs.DEFAULT}
    for k in INT_FIELDS:
        d[k] = INT_FIELDS[k][0]
    for k in BOOL_FIELDS:
        d[k] = BOOL_FIELDS[k]
    return d


def validate_field(name, value):
    """The value if it is valid for name, else raise SettingsError."""
    if name == "program":
        if isinstance(value, str) and programs.find(value) is not None:
            return value
        raise SettingsError("program must be one of " + ", ".join(programs.names()))
    if name in INT_FIELDS:
        _, lo, hi = INT_FIELDS[name]
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsError("%s must be a whole number" % name)
        if value < lo or value > hi:
            raise SettingsError("%s must be between %d and %d" % (name, lo, hi))
        return value
    if name in BOOL_FIELDS:
        if isinstance(value, bool):
            return value
        raise SettingsError("%s must be true or false" % name)
    raise SettingsError("unknown setting " + str(name))


_MAX_NESTING = 4  # a settings file is one flat object; deeper is not ours


def _nesting(text):
    """How deep the brackets of text go, counted before any parser sees it: a
    deeply nested file would exhaust the parser's recursion (a RecursionError
    on CPython, which also upsets the interpreter afterwards; a MemoryError or
    a crash on a small heap) (SR-10)."""
    depth = deepest = 0
    for c in text:
        if c == "[" or c == "{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > _MAX_NESTING:
                    break
        elif c == "]" or c == "}":
            depth -= 1
    return deepest


class Settings:
    def __init__(self, fs):
        self.fs = fs
        self.values: dict = defaults()
        self.problems: list = []  # what load() had to repair

    def load(self):
        """Read and validate; returns the list of problems (empty when clean)."""
        fs = self.fs
        atomicfile.discard_temp(fs, FILE)
        self.values = defaults()
        self.problems = []
        try:
            text = atomicfile.read(fs, FILE)
        except MemoryError:  # a huge file: corrupt, not a crash (SR-10, SR-11)
            text = ""
        if text is None:
            return self.problems
        data = None
        if len(text) <= MAX_BYTES and _nesting(text) <= _MAX_NESTING:
            try:
                data = json.loads(text)
            except (ValueError, RuntimeError, MemoryError):
                # RuntimeError: nesting beyond the parser's depth (RecursionError on CPython)
                data = None
        if not isinstance(data, dict):
            self.problems.append("corrupt")
            return self.problems
        for name in NAMES:
            if name in data:
                try:
                    self.values[name] = validate_field(name, data[name])
                except SettingsError:
                    self.problems.append(name)
        for name in data:
            if name not in NAMES:
                self.problems.append(name)
        return self.problems

    def get(self, name):
        return self.values[name]

    def set(self, name, value):
        """Validate, then persist atomically. Raises SettingsError."""
        v = validate_field(name, value)
        old = self.values.get(name)
        self.values[name] = v
        try:
            self.save()
        except (OSError, MemoryError):
            self.values[name] = old
            raise
        return v

    def save(self):
        atomicfile.write(self.fs, FILE, json.dumps(self.values))
