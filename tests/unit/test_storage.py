"""SR-10: settings validated on load, hard limits never raised, atomic writes;
the event log survives power loss. Power is cut at every flash operation."""

from simboard.flashfs import FlashFS, PowerCut
from support import raises, rmtree, tmpdir
from wand import diag_cal, diag_set, eventlog, settings
from wand.safety import HARD_CEILING_UA
from wand.session import MAX_SESSION_MIN


def write_raw(root, name, text):
    f = open(root + "/" + name, "w")
    f.write(text)
    f.close()


def test_sr10_defaults_when_missing():
    root = tmpdir("set")
    s = settings.Settings(FlashFS(root))
    assert s.load() == []
    assert s.values == settings.defaults()
    rmtree(root)


def test_sr10_corrupt_file_falls_back_to_defaults_and_reports():
    root = tmpdir("set")
    for junk in ("{not json", "", "[1, 2]", "\x00\xff\xfe", '"text"'):
        write_raw(root, settings.FILE, junk)
        s = settings.Settings(FlashFS(root))
        problems = s.load()
        if junk == "":
            assert problems == ["corrupt"]
        assert problems, junk
        assert s.values == settings.defaults()
    rmtree(root)


def test_sr10_file_cannot_raise_hard_limits():
    root = tmpdir("set")
    write_raw(root, settings.FILE, '{"user_max_ua": 5000, "session_min": 600, "level": 7, "cue_s": 99}')
    s = settings.Settings(FlashFS(root))
    problems = s.load()
    assert "user_max_ua" in problems and "session_min" in problems and "cue_s" in problems
    assert s.values["user_max_ua"] <= HARD_CEILING_UA
    assert s.values["session_min"] <= MAX_SESSION_MIN
    assert s.values["level"] == 7  # valid fields are kept
    rmtree(root)


def test_sr10_set_rejects_out_of_range_and_wrong_types():
    root = tmpdir("set")
    s = settings.Settings(FlashFS(root))
    s.load()
    raises(settings.SettingsError, s.set, "user_max_ua", HARD_CEILING_UA + 1)
    raises(settings.SettingsError, s.set, "session_min", MAX_SESSION_MIN + 1)
    raises(settings.SettingsError, s.set, "level", True)
    raises(settings.SettingsError, s.set, "program", "nope")
    raises(settings.SettingsError, s.set, "cal_gain_na", 10)  # beyond 20 % of nominal
    raises(settings.SettingsError, diag_set.parse_value, "mute", "maybe")
    assert s.values == settings.defaults()
    s.set("level", 9)
    assert settings.Settings(FlashFS(root)).load() == []
    rmtree(root)


def test_sr10_power_cut_at_every_step_of_a_settings_write():
    root = tmpdir("set")
    base = settings.Settings(FlashFS(root))
    base.load()
    base.set("level", 4)
    n = 1
    while True:
        fs = FlashFS(root)
        s = settings.Settings(fs)
        s.load()
        fs.cut_after(n)
        try:
            s.set("level", 8)
            s.set("program", "tone")
            completed = True
        except PowerCut:
            completed = False
        after = settings.Settings(FlashFS(root))
        problems = after.load()
        assert problems == [], (n, problems)
        assert after.values["level"] in (4, 8), n
        assert after.values["program"] in ("lift", "tone"), n
        if completed:
            assert after.values["level"] == 8 and after.values["program"] == "tone"
            break
        # restore the old state for the next cut point
        diag_cal.set_many(settings.Settings(FlashFS(root)), (("level", 4), ("program", "lift")))
        n += 1
    assert n > 4  # the write had several steps, each was cut
    rmtree(root)


def test_sr10_event_log_is_bounded_and_ordered():
    root = tmpdir("log")
    log = eventlog.EventLog(FlashFS(root))
    log.open()
    for i in range(3 * eventlog.HALF + 5):
        log.append(i * 10, "tick", i)
    recs = log.tail(1000)
    assert eventlog.HALF <= len(recs) <= 2 * eventlog.HALF
    seqs = [r["seq"] for r in recs]
    assert seqs == sorted(seqs) and seqs[-1] == 3 * eventlog.HALF + 4
    rmtree(root)


def test_sr10_event_log_survives_power_cut_at_every_step():
    root = tmpdir("log")
    log = eventlog.EventLog(FlashFS(root))
    log.open()
    for i in range(eventlog.HALF - 1):
        log.append(i, "old", i)
    n = 1
    written = eventlog.HALF - 1
    while n < 40:
        fs = FlashFS(root)
        log = eventlog.EventLog(fs)
        log.open()
        fs.cut_after(n)
        try:
            for i in range(4):  # crosses the file switch
                log.append(1000 + i, "new", i)
            written += 4
            done = True
        except PowerCut:
            done = False
        check = eventlog.EventLog(FlashFS(root))
        check.open()  # readable after any cut
        recs = check.tail(1000)
        assert recs, n
        seqs = [r["seq"] for r in recs]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), n
        if done:
            break
        n += 1
    assert n > 3
    rmtree(root)


def test_event_log_skips_garbage_lines():
    root = tmpdir("log")
    text = "0 1 5 boot power_on -\ngarbage here\n\x00\x01\n1 1 9 fault 1 overcurrent\n"
    write_raw(root, eventlog.FILES[0], text)
    log = eventlog.EventLog(FlashFS(root))
    log.open()
    recs = log.tail(10)
    assert [r["kind"] for r in recs] == ["boot", "fault"]
    assert log.seq == 2 and log.boot == 2
    rmtree(root)
