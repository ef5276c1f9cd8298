"""Session history (wand/history.py): records, bounds, bad bytes, power cuts (SR-10).
Runs on CPython and on the MicroPython unix port."""

from simboard.flashfs import FlashFS, PowerCut
from support import rmtree, tmpdir
from wand import history


def write_raw(root, name, data):
    f = open(root + "/" + name, "wb")
    f.write(data)
    f.close()


def one_session(h, t0=5000, level=3, ticks=100, ua=200, ohms=2000, why="timer", losses=0):
    """A session of `ticks` 10 ms ticks: +ua for half of them, -ua for the other half."""
    h.event(t0, "session_start", "lift", level)
    h.event(t0 + 10, "level", level + 2)
    h.event(t0 + 20, "level", level - 1)
    for _ in range(losses):
        h.event(t0 + 30, "contact_lost")
    for i in range(ticks):
        h.step(10, ua, 1 if i < ticks // 2 else -1, ohms)
    h.step(10, 0, 0, -1)  # output off: not counted
    h.event(t0 + ticks * 10, "session_end", why, ticks // 100)


def test_sr10_a_session_record_holds_what_the_wand_did():
    root = tmpdir("hist")
    h = history.History(FlashFS(root))
    h.open(7)
    one_session(h, ticks=300, losses=2)
    recs = history.History(FlashFS(root)).records()
    assert len(recs) == 1
    r = recs[0]
    assert r["boot"] == 7 and r["start_s"] == 5 and r["program"] == "lift"
    assert (r["level_min"], r["level_max"]) == (2, 5)
    assert r["current_s"] == 3 and r["contact_losses"] == 2 and r["ended"] == "timer"
    assert r["charge_uas"] == 600  # 200 uA for 3 s
    assert r["net_uas"] == 0  # 150 ticks each way
    assert r["load_ohms"] == 2000
    rmtree(root)


def test_sr10_charge_stays_exact_past_a_small_int():
    """20 minutes at 500 uA is 6e8 uA*ms: kept in whole uA*s, nothing lost."""
    root = tmpdir("hist")
    h = history.History(FlashFS(root))
    h.event(0, "session_start", "lift", 10)
    for _ in range(120000):
        h.step(10, 500, 1, 900)
    h.event(1200000, "session_end", "timer", 1200)
    r = h.records()[-1]
    assert r["charge_uas"] == 600000 and r["net_uas"] == 600000
    rmtree(root)


def test_sr10_history_is_bounded_and_ordered():
    root = tmpdir("hist")
    h = history.History(FlashFS(root))
    for i in range(history.MAX + 5):
        one_session(h, t0=1000 * i, ticks=10)
    recs = h.records()
    assert len(recs) == history.MAX
    assert [r["seq"] for r in recs] == list(range(5, history.MAX + 5))
    rmtree(root)


def test_sr10_an_unfinished_session_reads_as_cut():
    root = tmpdir("hist")
    h = history.History(FlashFS(root))
    h.event(1000, "session_start", "tone", 4)
    h.step(10, 100, 1, 3000)
    r = history.History(FlashFS(root)).records()[-1]  # power lost here
    assert r["ended"] == history.CUT and r["program"] == "tone"
    rmtree(root)


def test_sr10_bad_bytes_in_the_file_are_skipped_never_fatal():
    root = tmpdir("hist")
    good = b"3 1 5000 lift 2 5 300 60000 -2 1 2000 timer\n"
    for junk in (b"", b"\x00\xff\xfe\n", b"1 2 3\n", b"x 1 5000 lift 2 5 300 60000 -2 1 2000 timer\n",
                 b"9 1 5000 lift 2 5 300 60000 -2 1 2000\n"):
        write_raw(root, history.FILE, junk + good + junk)
        recs = history.History(FlashFS(root)).records()
        assert len(recs) == 1 and recs[0]["seq"] == 3 and recs[0]["net_uas"] == -2, (junk, recs)
    write_raw(root, history.FILE, b"\xff" * 300)
    h = history.History(FlashFS(root))
    assert h.records() == []
    one_session(h, ticks=10)  # and it still records
    assert len(h.records()) == 1
    rmtree(root)


def test_sr10_power_cut_at_every_flash_operation_keeps_the_old_or_the_new_history():
    root = tmpdir("hist")
    one_session(history.History(FlashFS(root)), ticks=10)
    n = 1
    while True:
        fs = FlashFS(root)
        h = history.History(fs)
        fs.cut_after(n)
        try:
            one_session(h, t0=9000, ticks=10, why="button")
            done = True
        except PowerCut:
            done = False
        after = history.History(FlashFS(root))
        after.open(2)  # boot: drops a temp file the cut left
        recs = after.records()
        assert recs and recs[0]["ended"] == "timer", (n, recs)
        assert len(recs) <= 2 and all(r["ended"] in ("timer", "button", history.CUT) for r in recs), (n, recs)
        if done:
            assert recs[-1]["ended"] == "button"
            break
        # back to one finished session for the next cut point
        rmtree(root)
        root = tmpdir("hist")
        one_session(history.History(FlashFS(root)), ticks=10)
        n += 1
    assert n > 3
    rmtree(root)


def test_the_recorded_load_is_the_estimate_near_the_highest_current():
    """The ramp-down's tail estimates the load from a few mV: a 2 kOhm session
    was recorded as 1774 Ohm. The record keeps the estimate near the peak."""
    root = tmpdir("hist_load")
    h = history.History(FlashFS(root))
    h.open(1)
    h.event(1000, "session_start", "lift", 3)
    for ua, ohms in ((40, 2300), (120, 2050), (200, 2010), (200, 1995), (190, 2004), (120, 1900), (30, 1774)):
        h.step(10, ua, 1, ohms)
    h.event(2000, "session_end", "button", 1)
    (r,) = history.History(FlashFS(root)).records()
    assert r["load_ohms"] == 2004  # the last estimate within 1/8 of the highest current
    rmtree(root)
