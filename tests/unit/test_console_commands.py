"""Console commands: replies and their JSON (MicroPython-compatible)."""

from console_fakes import err_message as _err
from console_fakes import exchange, run
from console_fakes import new_console as _new
from console_fakes import ok_payload as _ok

from wand.console import PROTOCOL


def test_hello_names_product_and_protocol():
    c, s, t = _new()
    info = _ok(exchange(c, s, "hello\n"))
    assert info["product"] == "microwand"
    assert info["protocol"] == PROTOCOL
    assert info["board"] == "microwand-v1"
    assert info["fw"] == "0.1.0"
    assert info["maxlen"] == 128


def test_status_passes_target_fields():
    c, s, t = _new()
    st = _ok(exchange(c, s, "status\n"))
    for key in ("state", "program", "level", "setpoint_ua", "measured_ua", "load_ohms", "battery_v",
                "usb", "bench", "fault", "uptime_s", "wdt_armed"):
        assert key in st, key


def test_log_default_and_bounds():
    c, s, t = _new()
    assert len(_ok(exchange(c, s, "log\n"))["events"]) == 10
    assert len(_ok(exchange(c, s, "log 3\n"))["events"]) == 3
    _err(exchange(c, s, "log 0\n"), "arg")
    _err(exchange(c, s, "log 33\n"), "arg")
    _err(exchange(c, s, "log x\n"), "arg")
    _err(exchange(c, s, "log 1 2\n"), "arg")


def test_faults_and_selftest():
    c, s, t = _new()
    assert _ok(exchange(c, s, "faults\n"))["faults"][0]["name"] == "SHORT"
    st = _ok(exchange(c, s, "selftest\n"))
    assert st["pass"] is True
    assert st["checks"][0] == ["output_off", True, "dac 0"]


def test_calibrate_replies_once_when_ready_and_busy_meanwhile():
    c, s, t = _new()
    s.send("calibrate 10000\n")
    run(c, s, 1)
    assert s.take_lines() == []  # not ready yet: no reply
    s.send("status\n")
    run(c, s, 1)
    _err(s.take_lines(), "busy")
    run(c, s, 10)
    result = _ok(s.take_lines())
    assert result == {"gain": 1.01, "offset_ua": -2.0}
    _err(exchange(c, s, "calibrate ten\n"), "arg")
    _err(exchange(c, s, "calibrate\n"), "arg")


def test_calibrate_error_from_target_keeps_its_code():
    c, s, t = _new(bench=False)
    msg = _err(exchange(c, s, "calibrate 10000\n"), "denied")
    assert "bench" in msg


def test_get_and_set_validated():
    c, s, t = _new()
    assert _ok(exchange(c, s, "get\n"))["user_max_ua"] == 400
    assert _ok(exchange(c, s, "get session_min\n")) == {"session_min": 5}
    _err(exchange(c, s, "get nope\n"), "arg")
    assert _ok(exchange(c, s, "set user_max_ua 300\n")) == {"user_max_ua": 300}
    _err(exchange(c, s, "set user_max_ua 900\n"), "denied")
    _err(exchange(c, s, "set user_max_ua lots\n"), "arg")
    _err(exchange(c, s, "set hard_ceiling_ua 900\n"), "arg")
    assert t.settings["user_max_ua"] == 300
    assert "hard_ceiling_ua" not in t.settings
