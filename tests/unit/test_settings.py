"""wand.settings.Settings and its validation (SR-10): every field's limits and
type, the hard limits no file or command can raise, a corrupt or odd file ->
defaults plus the list of problems, and the atomic save (temp file, close,
rename) over a small in-memory filesystem that records each operation and can
fail one. (Power cuts on a littlefs-like flash: test_storage.py.) Runs on
CPython and on the MicroPython unix port."""

import json

from support import raises
from wand import diag_cal, diag_set, programs, settings
from wand.safety import HARD_CEILING_UA
from wand.session import MAX_SESSION_MIN, MIN_TARGET_UA

SettingsError = settings.SettingsError


class MemFile:
    def __init__(self, fs, name, text):
        self.fs = fs
        self.name = name
        self.text = text
        self.pos = 0

    def read(self, n=-1):
        if n < 0:
            n = len(self.text)
        out = self.text[self.pos:self.pos + n]
        self.pos += len(out)
        return out

    def write(self, s):
        self.fs.log.append(("write", self.name))
        self.text += s
        return len(s)

    def close(self):
        self.fs.log.append(("close", self.name))
        if self.fs.writing.get(self.name) is self:
            del self.fs.writing[self.name]
            self.fs.files[self.name] = self.text


class MemFS:
    """open/rename/remove/exists over a dict; a file written is there only
    once closed. `fail` names one operation ("rename", ...) that raises OSError."""

    def __init__(self, files=None):
        self.files = dict(files or {})
        self.writing = {}
        self.log = []
        self.fail = ""

    def _op(self, op, name):
        self.log.append((op, name))
        if op == self.fail:
            raise OSError(5, "EIO")

    def open(self, name, mode="r"):
        self._op("open_" + mode, name)
        if "w" in mode:
            f = MemFile(self, name, "")
            self.writing[name] = f
            return f
        if name not in self.files:
            raise OSError(2, "ENOENT")
        return MemFile(self, name, self.files[name])

    def rename(self, src, dst):
        self._op("rename", src)
        self.files[dst] = self.files.pop(src)

    def remove(self, name):
        self._op("remove", name)
        del self.files[name]

    def exists(self, name):
        self._op("exists", name)
        return name in self.files


def loaded(data):
    """A Settings loaded from a file holding `data` (a dict, or raw text)."""
    text = data if isinstance(data, str) else json.dumps(data)
    s = settings.Settings(MemFS({settings.FILE: text}))
    return s, s.load()


def test_sr10_hard_limits_are_the_safety_constants():
    assert settings.INT_FIELDS["user_max_ua"][1:] == (MIN_TARGET_UA, HARD_CEILING_UA) == (100, 500)
    assert settings.INT_FIELDS["session_min"][1:] == (1, MAX_SESSION_MIN) == (1, 20)
    d = settings.defaults()
    assert d["user_max_ua"] <= HARD_CEILING_UA and d["session_min"] == 5  # SR-07's default
    assert d["idle_off_s"] == 120  # SR-07: auto-off after 2 minutes idle
    assert d["program"] == programs.DEFAULT and d["mute"] is False
    for name in settings.NAMES:
        assert settings.validate_field(name, d[name]) == d[name], name


def test_sr10_every_int_field_takes_its_limits_and_refuses_past_them():
    for name in settings.INT_FIELDS:
        _, lo, hi = settings.INT_FIELDS[name]
        assert settings.validate_field(name, lo) == lo
        assert settings.validate_field(name, hi) == hi
        for bad in (lo - 1, hi + 1):
            e = raises(SettingsError, settings.validate_field, name, bad)
            assert name in str(e) and str(lo) in str(e) and str(hi) in str(e), (name, bad, e)


def test_sr10_wrong_types_are_refused():
    for value in (True, False, 3.0, "3", None, [3], {"v": 3}):
        raises(SettingsError, settings.validate_field, "level", value)
        raises(SettingsError, settings.validate_field, "user_max_ua", value)
    for value in (1, 0, "on", None):
        raises(SettingsError, settings.validate_field, "mute", value)
    for value in (0, None, "LIFT", "nope", ["lift"]):
        raises(SettingsError, settings.validate_field, "program", value)
    assert settings.validate_field("mute", True) is True
    for name in programs.names():
        assert settings.validate_field("program", name) == name
    raises(SettingsError, settings.validate_field, "turbo", 1)


def test_sr10_parse_value_turns_console_text_into_typed_values():
    for text, value in (("on", True), ("1", True), ("YES", True), ("off", False), ("0", False), ("no", False)):
        assert diag_set.parse_value("mute", text) is value, text
    raises(SettingsError, diag_set.parse_value, "mute", "maybe")
    assert diag_set.parse_value("level", "7") == 7
    assert diag_set.parse_value("user_max_ua", "9999") == 9999  # typed here, refused by set()
    for text in ("7.5", "seven", ""):
        raises(SettingsError, diag_set.parse_value, "level", text)
    assert diag_set.parse_value("program", "tone") == "tone"
    raises(SettingsError, diag_set.parse_value, "program", "fast")


def test_sr10_a_file_with_bad_fields_keeps_the_good_ones_and_reports_the_rest():
    s, problems = loaded({
        "level": "7", "mute": 1, "program": 5, "user_max_ua": 450.0, "session_min": 20,
        "cue_s": 10, "cal_gain_na": 1000, "turbo": True,
    })
    assert sorted(problems) == sorted(["level", "mute", "program", "user_max_ua", "cal_gain_na", "turbo"])
    d = settings.defaults()
    for name in ("level", "mute", "program", "user_max_ua", "cal_gain_na"):
        assert s.get(name) == d[name], name
    assert s.get("session_min") == 20 and s.get("cue_s") == 10
    assert "turbo" not in s.values and s.problems == problems


def test_sr10_no_file_can_raise_a_hard_limit():
    for user_max, session_min in ((HARD_CEILING_UA + 1, MAX_SESSION_MIN + 1), (10**9, 10**9), (-1, -1)):
        s, problems = loaded({"user_max_ua": user_max, "session_min": session_min})
        assert "user_max_ua" in problems and "session_min" in problems
        assert MIN_TARGET_UA <= s.get("user_max_ua") <= HARD_CEILING_UA
        assert 1 <= s.get("session_min") <= MAX_SESSION_MIN


def test_sr10_a_corrupt_file_gives_all_defaults_and_corrupt():
    for text in ("", "{", "null", "[]", '"x"', "42", '{"level": 4', "{{}}", "\ufeff{}",
                 '{"a": [[[[[1]]]]]}', " " * (settings.MAX_BYTES + 1) + "{}"):
        s, problems = loaded(text)
        assert problems == ["corrupt"], (text[:20], problems)
        assert s.values == settings.defaults()
    # a missing file is not a problem
    s = settings.Settings(MemFS())
    assert s.load() == [] and s.values == settings.defaults()


def test_sr10_load_starts_from_defaults_every_time():
    fs = MemFS({settings.FILE: json.dumps({"level": 9, "mute": True})})
    s = settings.Settings(fs)
    assert s.load() == [] and s.get("level") == 9 and s.get("mute") is True
    fs.files[settings.FILE] = "garbage"
    assert s.load() == ["corrupt"] and s.get("level") == 3 and s.get("mute") is False
    fs.files[settings.FILE] = json.dumps({"cue_s": 30})
    assert s.load() == [] and s.get("level") == 3 and s.get("cue_s") == 30


def test_sr10_set_saves_atomically_through_a_temp_file():
    fs = MemFS()
    s = settings.Settings(fs)
    s.load()
    fs.log = []
    assert s.set("level", 8) == 8
    tmp = settings.FILE + ".tmp"
    ops = [op for op in fs.log if op[0] != "write"]
    assert ops == [("open_w", tmp), ("close", tmp), ("rename", tmp)], fs.log
    assert ("open_w", settings.FILE) not in fs.log  # the file itself is never opened to write
    assert json.loads(fs.files[settings.FILE]) == s.values and tmp not in fs.files
    again = settings.Settings(fs)
    assert again.load() == [] and again.values == s.values


def test_sr10_a_failed_save_keeps_the_old_value_in_memory_and_on_flash():
    fs = MemFS()
    s = settings.Settings(fs)
    s.load()
    s.set("level", 4)
    before = fs.files[settings.FILE]
    fs.fail = "rename"
    raises(OSError, s.set, "level", 9)
    assert s.get("level") == 4 and fs.files[settings.FILE] == before
    # the temp file the failure left is discarded at the next load
    assert settings.FILE + ".tmp" in fs.files
    fs.fail = ""
    again = settings.Settings(fs)
    assert again.load() == [] and again.get("level") == 4
    assert settings.FILE + ".tmp" not in fs.files


def test_sr10_invalid_values_are_never_stored():
    fs = MemFS()
    s = settings.Settings(fs)
    s.load()
    s.set("level", 6)
    before = fs.files[settings.FILE]
    for name, value in (("user_max_ua", HARD_CEILING_UA + 1), ("session_min", MAX_SESSION_MIN + 1),
                        ("user_max_ua", MIN_TARGET_UA - 1), ("cue_s", "5"), ("nope", 1)):
        raises(SettingsError, s.set, name, value)
    assert fs.files[settings.FILE] == before and s.get("level") == 6
    # set_many checks every pair before it changes any
    raises(SettingsError, diag_cal.set_many, s, (("level", 2), ("user_max_ua", 9999)))
    assert s.get("level") == 6 and fs.files[settings.FILE] == before
    diag_cal.set_many(s, (("level", 2), ("user_max_ua", 300)))
    assert json.loads(fs.files[settings.FILE])["user_max_ua"] == 300


def test_sr10_a_failed_save_of_several_values_keeps_the_old_ones():
    """A calibration stores its four coefficients with set_many: when the flash
    refuses the write, none of them may stay in memory (the next successful
    set would write them to flash unseen)."""
    fs = MemFS()
    s = settings.Settings(fs)
    s.load()
    gain, offset = s.get("cal_gain_na"), s.get("cal_offset_na")
    before = fs.files.get(settings.FILE)
    fs.fail = "rename"
    raises(OSError, diag_cal.set_many, s, (("cal_gain_na", gain + 40), ("cal_offset_na", offset + 1000)))
    assert (s.get("cal_gain_na"), s.get("cal_offset_na")) == (gain, offset)
    assert fs.files.get(settings.FILE) == before
    fs.fail = ""
    s.set("level", 5)
    stored = json.loads(fs.files[settings.FILE])
    assert (stored["cal_gain_na"], stored["cal_offset_na"]) == (gain, offset)
