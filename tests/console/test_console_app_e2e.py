"""The console against the REAL App on the simulated board.

- SR-11 fuzz: hypothesis throws random bytes, split and over-long lines,
  control characters and malformed (or, outside bench mode, forbidden)
  commands at the App's console, one control tick at a time. Nothing escapes
  the tick, every complete line gets exactly one reply, the App's state
  (status, settings, faults, log, output, DAC, RTC, resets) is unchanged, and
  each tick handles at most one line and moves a bounded number of bytes.
- End to end: `wandctl` processes talk through pyserial to the real firmware
  on the one simulated board's pty form (VirtualBoard), deployed once.
"""

from __future__ import annotations

import json
import re
import time

import pytest
import serial
from appboard import SimApp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_console_host_e2e import wandctl
from test_console_sr11_fuzz import BAD_COMMANDS, READ_ONLY, BudgetSerial, chunked, expected_outcomes

from simboard.vboard import WDT_RESET

PIN_OE = 27  # output enable (hardware/board.json)

pytestmark = pytest.mark.slow  # the real app over a pty

# Outside bench mode, with USB power present, even well-formed commands that
# would act must be refused (SR-09, SR-11).
FORBIDDEN_OUTSIDE_BENCH = [b"start", b"level 5", b"level 10", b"clear", b"calibrate 10000", b"stop",
                           b"set user_max_ua 600", b"set user_max_ua 501", b"set cal_gain_na 1",
                           b"set hard_ceiling_ua 900", b"set session_min 21", b"set level 11"]
TERMS = [b"\n", b"\r", b"\r\n"]


@st.composite
def app_input(draw, bench: bool):
    alphabet = BAD_COMMANDS + READ_ONLY + ([] if bench else FORBIDDEN_OUTSIDE_BENCH)
    parts = []
    for _ in range(draw(st.integers(1, 10))):
        kind = draw(st.integers(0, 3))
        if kind == 0:
            body = draw(st.sampled_from(alphabet))
        elif kind == 1:
            body = draw(st.binary(max_size=200))
        elif kind == 2:
            body = draw(st.sampled_from(alphabet)) + b"y" * draw(st.integers(110, 300))
        else:
            cmd = draw(st.sampled_from(alphabet))
            cut = draw(st.integers(0, len(cmd)))
            body = cmd[:cut] + draw(st.sampled_from([b"\x00", b"\x1b", b"\xfe", b"\x7f"])) + cmd[cut:]
        parts.append(body + draw(st.sampled_from(TERMS)))
    return b"".join(parts)


def _fuzz_app(data, bench: bool):
    raw = data.draw(app_input(bench))
    # a line that edits down to `repl` or `reboot` leaves the loop by design (bench mode)
    assume(not any(re.sub(rb"[\x00-\x1f\x7f-\xff]", b"", p).strip() in (b"repl", b"reboot")
                   for p in re.split(rb"\r\n|\r|\n", raw)))
    pieces = data.draw(chunked(raw))
    serial_ = BudgetSerial([], data.draw(st.integers(1, 64)))
    sim = SimApp(serial_, bench=bench, usb=True)
    console = sim.app.open_console()
    for _ in range(5):
        sim.tick()  # the banner leaves
    before = sim.snapshot()
    serial_.out.clear()
    serial_.pieces = list(pieces)
    slowest = 0.0
    idle = 0
    for _ in range(20000):
        serial_.read_now = serial_.written_now = 0
        lines_before = console.lines
        t0 = time.perf_counter()
        sim.tick()  # nothing may escape the control tick
        slowest = max(slowest, time.perf_counter() - t0)
        assert console.lines - lines_before <= 1
        assert serial_.read_now <= 64 and serial_.written_now <= 96
        if not serial_.pieces and not serial_.inbox and not console.busy():
            idle += 1
            if idle > 3:
                break
        else:
            idle = 0
    else:
        raise AssertionError("the console did not finish the input")
    after = sim.snapshot()
    assert after == before, "console input changed the App's state"
    text = serial_.text()
    replies = [x for x in text.split("\r\n") if x.startswith("ok ") or x.startswith("err ")]
    assert len(replies) == len(expected_outcomes(raw)), replies
    assert console.internal == 0, "the console or the App raised"
    assert not any(r.startswith("err internal") for r in replies), replies
    return slowest


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_sr11_fuzz_against_the_real_app_outside_bench_mode(data):
    """SR-11 on the real App, USB present, no bench mode: nothing acts."""
    _fuzz_app(data, bench=False)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_sr11_fuzz_against_the_real_app_in_bench_mode(data):
    """SR-11 on the real App in bench mode: malformed commands change nothing."""
    _fuzz_app(data, bench=True)


def test_sr11_forbidden_commands_refused_by_the_real_app_one_by_one():
    """Each forbidden line alone: an err with a reason, the output stays off."""
    serial_ = BudgetSerial([], 64)
    sim = SimApp(serial_, bench=False, usb=True)
    for _ in range(5):
        sim.tick()
    before = sim.snapshot()
    for line in FORBIDDEN_OUTSIDE_BENCH:
        serial_.out.clear()
        serial_.send(line + b"\n")
        for _ in range(30):
            sim.tick()
            assert not sim.app.sup.output_on
        replies = [x for x in serial_.text().split("\r\n") if x[:3] in ("ok ", "err")]
        assert len(replies) == 1 and replies[0].split()[1] in ("denied", "arg", "state"), (line, replies)
    assert sim.snapshot() == before


# ------------------------------------------------------------- end to end
def wait_bench(b, seconds=4.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        r = wandctl("status", "--port", b.port, "--json")
        if r.returncode == 0 and json.loads(r.stdout)["bench"]:
            return
        time.sleep(0.3)
    raise AssertionError("bench mode did not engage")


def test_real_app_status_get_set_selftest_over_the_pty(main_board):
    b = main_board()
    r = wandctl("status", "--port", b.port, "--json")
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    assert st["state"] in ("idle", "ready", "off") or isinstance(st["state"], str)
    assert st["usb"] is True and st["bench"] is False and st["wdt_armed"] is True
    assert st["hard_ceiling_ua"] == 500
    r = wandctl("set", "user_max_ua", "300", "--port", b.port, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"user_max_ua": 300}
    r = wandctl("set", "user_max_ua", "600", "--port", b.port)
    assert r.returncode == 1 and "the wand refused `set user_max_ua 600`" in r.stderr
    r = wandctl("get", "user_max_ua", "--port", b.port, "--json")
    assert json.loads(r.stdout) == {"user_max_ua": 300}
    r = wandctl("selftest", "--port", b.port, "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    checks = json.loads(r.stdout)["checks"]
    assert {"dac_off", "watchdog", "ceiling"} <= {c[0] for c in checks}
    r = wandctl("hello" if False else "log", "5", "--port", b.port, "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["events"]


def test_real_app_refuses_output_commands_without_bench_mode(main_board):
    b = main_board()
    r = wandctl("console", "--port", b.port, stdin="start\nlevel 5\nclear\ncalibrate 10000\nstatus\n")
    assert r.returncode == 1, r.stderr  # (refusals on stderr, exit 1)
    assert r.stderr.count("err denied") == 4 and "state" in r.stdout, (r.stdout, r.stderr)
    assert b.pins[PIN_OE] == 0
    assert all(c != WDT_RESET for _, c in b.resets)


def test_real_app_bench_session_monitor_and_stop(tmp_path, main_board):
    b = main_board(bench=True, load_ohms=5000)
    wait_bench(b)
    r = wandctl("console", "--port", b.port, stdin="start\nlevel 2\n")
    assert r.returncode == 0, r.stderr
    assert "err" not in r.stdout, r.stdout
    path = tmp_path / "bench.csv"
    r = wandctl("monitor", "--port", b.port, "--hz", "25", "--seconds", "2", "--csv", str(path))
    assert r.returncode == 0, r.stderr
    rows = path.read_text().splitlines()[1:]
    assert len(rows) >= 30, len(rows)
    assert max(int(x.split(",")[1]) for x in rows) > 0  # a setpoint ramping up (SR-05)
    r = wandctl("console", "--port", b.port, stdin="stop\n")
    assert r.returncode == 0 and "err" not in r.stdout, r.stdout


def test_real_app_repl_leaves_to_the_plain_repl_without_a_reset_sr02(main_board):
    """`repl`: output off and locked, the watchdog relaxed (SR-02: not fed, yet
    no reset), main() returns to the REPL; no hard reset, no RTC flag."""
    from wand.hal import WDT_RELAXED_MS

    b = main_board(bench=True)  # console `repl` needs bench mode (SR-11)
    wait_bench(b)
    resets = list(b.resets)
    r = wandctl("console", "--port", b.port, stdin="repl\n")
    assert r.returncode == 0, r.stderr
    assert "plain MicroPython REPL" in r.stdout
    with serial.Serial(b.port, 115200, timeout=0.2) as s:  # main() returned: the REPL answers
        s.write(b"\r\n")
        assert b">>> " in s.read(200)
    assert b.resets == resets
    assert b.wdt_ms == WDT_RELAXED_MS
    assert b.pins[PIN_OE] == 0
    assert not b.rtc.startswith(b"wand:r")


def test_real_app_calibrate_with_a_known_resistor(main_board):
    b = main_board(bench=True, load_ohms=10000)
    wait_bench(b)
    r = wandctl("calibrate", "10000", "--port", b.port, "--json")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert res["ohms"] == 10000
    assert res["gain_na_per_code"] > 0
