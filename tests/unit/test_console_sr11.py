"""SR-11: bad input gets err and changes nothing; one line per tick; bounded output.

MicroPython-compatible: plain test functions, asserts, no fixtures.
"""

from console_fakes import err_message as _err
from console_fakes import exchange, run
from console_fakes import new_console as _new
from console_fakes import ok_payload as _ok

from wand.console import PROTOCOL


def test_sr11_unknown_and_bad_lines_get_err_and_change_nothing():
    c, s, t = _new()
    before = t.snapshot()
    _err(exchange(c, s, "fly\n"), "unknown")
    _err(exchange(c, s, "START\n"), "unknown")
    _err(exchange(c, s, "x" * 129 + "\n"), "toolong")
    _err(exchange(c, s, "st\x00art\n"), "badbyte")
    _err(exchange(c, s, "\xff\xfe\n"), "badbyte")
    _err(exchange(c, s, "status extra\n"), "arg")
    _err(exchange(c, s, "level\n"), "arg")
    assert t.snapshot() == before
    assert t.mutations() == []


def test_sr11_target_exception_becomes_err_internal():
    c, s, t = _new()
    t.raise_in = "status"
    msg = _err(exchange(c, s, "status\n"), "internal")
    assert "boom in status" in msg
    t.raise_in = "calibrate_poll"
    s.send("calibrate 1000\n")
    run(c, s, 5)
    _err(s.take_lines(), "internal")
    t.raise_in = "telemetry"
    _ok(exchange(c, s, "stream on 10\n", ticks=1))
    run(c, s, 30)
    lines = s.take_lines()
    assert lines and lines[0].startswith("# stream stopped")
    assert c.streaming_hz() == 0
    t.raise_in = None
    assert _ok(exchange(c, s, "hello\n"))["protocol"] == PROTOCOL


def test_sr11_at_most_one_line_handled_per_tick():
    c, s, t = _new()
    s.send("hello\nstatus\nfaults\nfly\n")
    replies = []
    for i in range(40):
        before = len(t.calls)
        c.poll(s.clock + i * 10)
        assert len(t.calls) - before <= 2  # one command (status + its check at most)
        got = [x for x in s.take_lines() if x[:3] in ("ok ", "err")]
        assert len(got) <= 1
        replies.extend(got)
    assert len(replies) == 4
    assert replies[3].startswith("err unknown")


def test_sr11_long_reply_leaves_in_bounded_chunks():
    c, s, t = _new()
    s.send("log 32\n")
    chunks = 0
    for i in range(200):
        s.out = []
        c.poll(s.clock + i * 10)
        for piece in s.out:
            assert len(piece) <= 96
        chunks += len(s.out)
    assert chunks >= 10


def test_sr11_idle_poll_allocates_nothing():
    import gc

    if not hasattr(gc, "mem_alloc"):
        return  # CPython: allocation is measured on MicroPython only
    c, s, t = _new()

    class Quiet:
        def read_into(self, buf):
            return 0

        def write(self, text):
            raise AssertionError("idle console wrote")

    c._serial = Quiet()
    c.poll(0)
    gc.collect()
    before = gc.mem_alloc()
    for i in range(500):
        c.poll(i)
    after = gc.mem_alloc()
    assert after - before == 0, after - before

