"""Console stream, help, repl/reboot (MicroPython-compatible)."""

from console_fakes import err_message as _err
from console_fakes import exchange, run
from console_fakes import new_console as _new
from console_fakes import ok_payload as _ok


def test_bench_commands_refused_outside_bench_mode():
    c, s, t = _new(bench=False)
    _err(exchange(c, s, "start\n"), "denied")
    _err(exchange(c, s, "level 3\n"), "denied")
    _err(exchange(c, s, "clear\n"), "denied")
    assert t.mutations() == []
    assert t.state == "idle" and t.level == 0


def test_bench_commands_in_bench_mode():
    c, s, t = _new()
    assert _ok(exchange(c, s, "start\n"))["state"] == "running"
    assert _ok(exchange(c, s, "level 4\n"))["level"] == 4
    _err(exchange(c, s, "level 11\n"), "arg")
    _err(exchange(c, s, "level -1\n"), "arg")
    assert _ok(exchange(c, s, "stop\n"))["state"] == "idle"
    t.fault = {"code": 6, "name": "SHORT"}
    _err(exchange(c, s, "start\n"), "state")
    assert _ok(exchange(c, s, "clear\n"))["fault"] is None


def test_stream_emits_marked_lines_at_the_rate():
    c, s, t = _new()
    assert _ok(exchange(c, s, "stream on 50\n", ticks=1)) == {"stream": True, "hz": 50}
    run(c, s, 100)  # one second
    tele = [x for x in s.take_lines() if x.startswith("~ ")]
    assert 48 <= len(tele) <= 51, len(tele)
    assert tele[0].startswith("~ t=1234 set=0 meas=-1 st=idle")
    assert _ok(exchange(c, s, "stream off\n", ticks=1))["stream"] is False
    s.take_lines()
    run(c, s, 50)
    assert [x for x in s.take_lines() if x.startswith("~")] == []
    _err(exchange(c, s, "stream on 51\n"), "arg")
    _err(exchange(c, s, "stream fast\n"), "arg")


def test_replies_while_streaming_are_still_one_per_line():
    c, s, t = _new()
    exchange(c, s, "stream on 50\n", ticks=1)
    for _ in range(5):
        s.send("status\n")
        run(c, s, 7)
    lines = s.take_lines()
    replies = [x for x in lines if not x.startswith("~ ")]
    assert len(replies) == 5, replies  # one per status line
    assert all(x.startswith("ok ") for x in replies)


def test_help_lists_every_command():
    c, s, t = _new()
    cmds = _ok(exchange(c, s, "help\n"))["commands"]
    for name in ("hello", "status", "log", "faults", "selftest", "calibrate", "get", "set", "stream",
                 "start", "stop", "level", "clear", "help", "reboot", "repl"):
        assert name in cmds, name
    assert cmds["log"] == "[n]"


def test_repl_and_reboot_after_the_reply_has_left():
    c, s, t = _new()
    s.send("repl\n")
    run(c, s, 1)
    assert t.repl == 0  # reply first
    assert _ok(s.take_lines())["repl"] is True
    run(c, s, 10)
    assert t.repl == 1
    s.send("reboot\n")
    run(c, s, 10)
    assert t.reboots == 1
    assert _ok(s.take_lines())["reboot"] is True

