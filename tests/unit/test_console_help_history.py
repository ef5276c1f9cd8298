"""Console `help` (sorted, a line per command) and `history` (MicroPython-compatible)."""

from console_fakes import err_message as _err
from console_fakes import exchange
from console_fakes import new_console as _new
from console_fakes import ok_payload as _ok


def test_help_is_sorted_with_one_line_per_command():
    c, s, t = _new()
    reply = _ok(exchange(c, s, "help\n"))
    names = [a[0] for a in reply["about"]]
    assert names == sorted(names) and set(names) == set(reply["commands"])
    for name, usage, what in reply["about"]:
        assert what and len(what) < 70, (name, what)
        assert reply["commands"][name] == usage


def _history():
    out = []
    for i in range(20):
        out.append({"seq": i, "boot": 1, "start_s": 10 * i, "program": "lift", "ended": "timer"})
    return out


def test_history_returns_the_newest_sessions():
    c, s, t = _new()
    t.history = _history  # (kept out of console_fakes: its size counts against the 100 KB heap)
    sessions = _ok(exchange(c, s, "history\n", ticks=400))["sessions"]
    assert len(sessions) == 16 and sessions[-1]["seq"] == 19
    assert [x["seq"] for x in _ok(exchange(c, s, "history 2\n"))["sessions"]] == [18, 19]
    _err(exchange(c, s, "history 0\n"), "arg")
    _err(exchange(c, s, "history 17\n"), "arg")
    _err(exchange(c, s, "history x y\n"), "arg")


def test_long_replies_are_queued_a_row_at_a_time():
    """A 1.7 KB log reply built as one string failed with MemoryError on a heap
    fragmented by power cuts (vboard SR-10 test): log and history are queued
    as one piece per row, and their text is exactly what json.dumps makes."""
    import json

    c, s, t = _new()
    t.history = _history
    events = [{"seq": i, "boot": 2, "t_ms": 1000 * i, "kind": "fault", "a": "E0%d" % (i % 9), "b": None}
              for i in range(32)]
    t.log_tail = lambda n: events[-n:]
    for line, key, rows in (("log 32\n", "events", events), ("history\n", "sessions", _history()[-16:])):
        s.send(line)
        c._take_line(0)  # the reply is queued, nothing sent yet
        pieces = list(c._tx)
        assert "".join(pieces) == "ok " + json.dumps({key: rows}) + "\r\n"
        longest = max(len(json.dumps(r)) for r in rows)
        assert max(len(p) for p in pieces) <= longest + 2, [len(p) for p in pieces]
        assert _ok(exchange(c, s, "", ticks=400))[key] == rows
