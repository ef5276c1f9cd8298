"""wandctl's console commands end to end: real `wandctl` processes, pyserial on
a pty, the real firmware on the one simulated board (VirtualBoard, vbfixtures'
`main_board`: deployed once per module, each test a copy) on the other side,
the states produced on the board itself (bench mode, loads, a session, a short,
a sensor fault), plus the error paths: missing port, busy port, permission
denied, silent board, other firmware.
"""

from __future__ import annotations

import csv
import errno
import json
import os
import pathlib
import re
import subprocess
import sys
import time

import pytest
import serial

from wandctl.tools import find_tool

pytestmark = pytest.mark.slow  # boards as processes on ptys

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent
WANDCTL = str(BIN / "wandctl")
SETTINGS = ("cal_gain_na, cal_offset_na, cal_sense_offset_uv, cal_sense_uv_per_ua, cue_s, idle_off_s, level, mute, "
            "program, session_min, user_max_ua")


def wandctl(*args: str, stdin: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("WANDCTL_PORT", None)
    env["HOME"] = str(ROOT / "build" / "test-home")  # keep the console history out of the real home
    return subprocess.run([WANDCTL, *args], input=stdin, capture_output=True, text=True, timeout=timeout,
                          env=env)


def status(b) -> dict:
    r = wandctl("status", "--port", b.port, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def wait_for(b, ok, what: str, seconds: float = 20.0) -> dict:
    """Polls the board's status until `ok(status)` holds: waits on states, not for a time."""
    end = time.monotonic() + seconds
    st: dict = {}
    while time.monotonic() < end:
        st = status(b)
        if ok(st):
            return st
        time.sleep(0.2)
    raise AssertionError("%s never came: %s" % (what, st))


def running_session(main_board, bench: bool, level: int = 3):
    """A session running on the real firmware: in bench mode started from the console, outside it
    by the power button with USB unplugged (SR-09 refuses a session on USB power outside bench mode)."""
    b = main_board(bench=bench, load_ohms=2000)
    if bench:
        wait_for(b, lambda st: st["bench"], "bench mode")
        r = wandctl("console", "--port", b.port, stdin="start\nlevel %d\n" % level)
        assert r.returncode == 0 and "err" not in r.stdout, r.stdout
    else:
        b.inject(usb=False)
        wait_for(b, lambda st: not st["usb"], "USB unplugged")
        b.press("power")
    wait_for(b, lambda st: st["state"] == "running" and st["level"] == level, "a running session")
    return b


def raw_reply(b, line: str, seconds: float = 10.0) -> str:
    """The board's own reply to one console line, read straight off the port (no wandctl)."""
    got = b""
    end = time.monotonic() + seconds
    with serial.Serial(b.port, 115200, timeout=0.1) as s:
        s.write(line.encode() + b"\r\n")
        while time.monotonic() < end:
            got += s.read(4096)
            for ln in got.split(b"\r\n")[:-1]:
                if ln.startswith((b"ok ", b"err ")):
                    return ln.decode()
    raise AssertionError("no reply to %r: %r" % (line, got))


@pytest.fixture
def wand(main_board):
    """The real firmware, idle, on USB power, outside bench mode."""
    return main_board()


def test_status_json_is_the_boards_reply(wand):
    wand.inject(battery_v=3.9)
    r = wandctl("status", "--port", wand.port, "--json")
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    assert (st["state"], st["program"], st["level"], st["fault"], st["load_ohms"]) == ("idle", "lift", 3, None, None)
    assert st["usb"] is True and st["bench"] is False and st["wdt_armed"] is True
    assert (st["limit_ua"], st["hard_ceiling_ua"], st["setpoint_ua"], st["measured_ua"]) == (400, 500, 0, 0)
    assert 3.8 <= st["battery_v"] <= 3.95, st  # the cell the board was given, read by the firmware
    reply = raw_reply(wand, "status")
    assert reply.startswith("ok {"), reply
    own = json.loads(reply[3:])
    assert set(own) == set(st), (own, st)  # wandctl prints the board's reply as it came, nothing added
    changing = ("uptime_s", "battery_v")
    assert {k: v for k, v in own.items() if k not in changing} == {k: v for k, v in st.items() if k not in changing}
    assert abs(own["battery_v"] - st["battery_v"]) < 0.02 and 0 <= own["uptime_s"] - st["uptime_s"] <= 2


def test_status_readable(wand):
    wand.inject(battery_v=3.9)
    r = wandctl("status", "--port", wand.port)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "state       idle"
    assert "current     setpoint 0 uA, measured 0 uA, limit 400 uA (hard ceiling 500 uA)" in lines
    bat = [ln for ln in lines if ln.startswith("battery ")]
    assert len(bat) == 1 and re.fullmatch(r"battery     3\.[89]\d* V", bat[0]), lines
    assert "watchdog    armed" in lines and "bench mode  no" in lines and "fault       none" in lines


def test_selftest_and_get_on_a_healthy_board(wand):
    r = wandctl("selftest", "--port", wand.port)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "PASS  dac_off" in r.stdout and "PASS  sense_zero" in r.stdout and "FAIL" not in r.stdout
    assert r.stdout.endswith("self-test passed\n")
    r = wandctl("get", "--port", wand.port)
    assert r.returncode == 0 and re.search(r"^user_max_ua +=  ?400$", r.stdout, re.M), r.stdout
    r = wandctl("get", "session_min", "--port", wand.port, "--json")
    assert json.loads(r.stdout) == {"session_min": 5}


def test_short_shows_in_log_faults_and_selftest(main_board):
    """A short across the probes during a bench session: the firmware latches SHORT, and
    `log`, `faults` and `selftest` each show it in their own words."""
    b = running_session(main_board, bench=True, level=5)
    b.scenario("inject short")
    wait_for(b, lambda st: st["state"] == "fault", "the short fault")
    r = wandctl("log", "3", "--port", b.port, "--json")
    assert r.returncode == 0, r.stderr
    events = json.loads(r.stdout)["events"]
    assert [e["kind"] for e in events] == ["session_start", "fault", "session_end"], events
    assert events[1]["b"] == "short" and events[2]["a"] == "fault", events
    assert [e["seq"] for e in events] == list(range(events[0]["seq"], events[0]["seq"] + 3))
    r = wandctl("faults", "--port", b.port)
    assert r.returncode == 0, r.stderr
    assert re.fullmatch(r"boot \d+ +\d+\.\d{3} s  FAULT short \(code 6\)\n", r.stdout), r.stdout
    r = wandctl("selftest", "--port", b.port)
    assert r.returncode == 1 and re.search(r"^FAIL  fault +short$", r.stdout, re.M), r.stdout
    assert r.stderr.startswith("wandctl: self-test failed (fault): do not use the wand"), r.stderr


def test_set_changes_the_setting_and_refusals_exit_1(wand):
    r = wandctl("set", "user_max_ua", "250", "--port", wand.port, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"user_max_ua": 250}
    r = wandctl("set", "user_max_ua", "900", "--port", wand.port)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith("wandctl: the wand refused `set user_max_ua 900`: "), r.stderr
    assert "500" in r.stderr and len(r.stderr.splitlines()) == 1, r.stderr  # the hard ceiling, in one line
    r = wandctl("get", "nope", "--port", wand.port)
    assert r.returncode == 1 and "err" not in r.stdout
    assert r.stderr == "wandctl: the wand has no setting 'nope'; its settings are: %s\n" % SETTINGS
    wand.power_cycle()  # stored on the flash, not only in RAM
    r = wandctl("get", "user_max_ua", "--port", wand.port, "--json")
    assert r.returncode == 0 and json.loads(r.stdout) == {"user_max_ua": 250}, r.stdout + r.stderr
    assert status(wand)["limit_ua"] == 250


def test_selftest_failure_exits_1(wand):
    wand.scenario("inject sense_open")  # the current-sense path broken: it reads 0 mV, not its 200 mV zero
    r = wandctl("selftest", "--port", wand.port)
    assert r.returncode == 1
    assert re.search(r"^FAIL  sense_path +0 mV \(zero current reads about 200 mV\)$", r.stdout, re.M), r.stdout
    assert r.stdout.endswith("self-test FAILED\n"), r.stdout
    assert r.stderr.startswith("wandctl: self-test failed (sense_path"), r.stderr
    assert r.stderr.endswith("do not use the wand until it passes; see docs/console.md\n"), r.stderr


def test_calibrate_waits_for_the_result(main_board):
    b = main_board(bench=True, load_ohms=10000)
    wait_for(b, lambda st: st["bench"], "bench mode")
    r = wandctl("calibrate", "10000", "--port", b.port, "--json")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert res["ohms"] == 10000 and len(res["points_ua"]) == 2, res
    assert 2000 <= res["gain_na_per_code"] <= 2350, res  # the board's DAC: about 2157 nA per code
    assert 3300 <= res["sense_uv_per_ua"] <= 3700 and 190000 <= res["sense_offset_uv"] <= 210000, res
    r = wandctl("get", "cal_gain_na", "--port", b.port, "--json")  # what it measured is what it keeps
    assert json.loads(r.stdout) == {"cal_gain_na": res["gain_na_per_code"]}


def test_monitor_records_csv_and_prints_text_when_not_a_tty(main_board, tmp_path):
    b = running_session(main_board, bench=True, level=5)
    path = tmp_path / "run.csv"
    r = wandctl("monitor", "--port", b.port, "--hz", "20", "--seconds", "1.5", "--csv", str(path))
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert out[0] == "t_ms setpoint_ua measured_ua state load_kohm contact"
    for line in out[1:]:
        t, sp, meas, state, kohm, contact = line.split()
        assert int(sp) > 0 and state == "running" and contact == "good", line
        assert 0 <= int(meas) <= 1.1 * int(sp) + 10 and 1.8 <= float(kohm) <= 2.2, line
    errors = sorted(abs(int(x.split()[2]) - int(x.split()[1])) for x in out[1:])
    assert errors[len(errors) // 2] <= 20, out  # the regulator holds the setpoint (a sample may catch a step)
    rows = list(csv.reader(path.open()))
    assert rows[0] == ["t_ms", "setpoint_ua", "measured_ua", "state", "load_ohms"]
    assert 15 <= len(rows) - 1 <= 35, len(rows)
    assert [x[:4] for x in rows[1:]] == [ln.split()[:4] for ln in out[1:]]  # the same samples, both ways
    assert all(1800 <= float(x[4]) <= 2200 for x in rows[1:]), rows
    assert "wrote %d samples" % (len(rows) - 1) in r.stderr
    with serial.Serial(b.port, 115200, timeout=0.6) as s:  # switched off again on the way out
        assert s.read(200) == b""


def test_console_reads_commands_from_stdin_when_not_a_tty(wand):
    r = wandctl("console", "--port", wand.port,
                stdin="status\nfly\nlevel x\nset level 4\x03\nget session_min\nquit\nhello\n")
    # the replies on stdout, each refusal on stderr, and exit 1 as some failed (it was 0: a helper's audit)
    assert r.returncode == 1, r.stderr
    assert r.stdout.startswith("state       idle\n")
    assert "err unknown: no command fly: send help for the list" in r.stderr
    assert "err arg: level N: N is a whole number" in r.stderr
    # a Ctrl-C in a line would have stopped a session at once through MicroPython's KeyboardInterrupt
    assert "control byte 0x03" in r.stderr and "nothing sent" in r.stderr
    assert len([ln for ln in r.stderr.splitlines() if ln.startswith(("err ", "error: "))]) == 3, r.stderr
    assert "err" not in r.stdout and "session_min = 5" in r.stdout
    assert "microwand" not in r.stdout.split("session_min = 5")[1]  # stopped at quit


# ------------------------------------------------------------------ errors
def test_missing_port_says_which_ports_exist():
    r = wandctl("status", "--port", "/dev/ttyUSB-not-there")
    assert r.returncode == 1
    assert r.stderr.startswith("wandctl: serial port /dev/ttyUSB-not-there does not exist (serial ports here: ")
    r = wandctl("status")
    assert r.returncode == 1 and "no serial port given: pass --port" in r.stderr


def test_busy_port_is_reported(wand):
    holder = serial.Serial(wand.port, exclusive=True)
    try:
        r = wandctl("status", "--port", wand.port)
    finally:
        holder.close()
    assert r.returncode == 1
    assert "serial port %s is busy" % wand.port in r.stderr
    assert "close it and retry" in r.stderr


def test_permission_denied_says_how_to_fix_it(tmp_path):
    from wandctl.serialport import translate_open_error

    e = serial.SerialException(errno.EACCES, "could not open port /dev/ttyUSB0: [Errno 13] Permission denied")
    msg = str(translate_open_error("/dev/ttyUSB-missing", e))
    assert msg.startswith("permission denied on /dev/ttyUSB-missing: ")
    assert "sudo chmod a+rw /dev/ttyUSB-missing" in msg
    if os.geteuid() != 0:  # root opens anything: the real path can only be shown as a user
        dev = tmp_path / "ttyLOCKED"
        dev.write_text("")
        dev.chmod(0)
        r = wandctl("status", "--port", str(dev))
        assert r.returncode == 1 and "permission denied on" in r.stderr


def test_silent_board_times_out_with_advice(tmp_path):
    from simboard.vboard import VirtualBoard

    with VirtualBoard(tmp_path / "flash") as b:
        b.power_cut()  # the one simulated board, unpowered: its port opens, nothing ever answers
        r = wandctl("status", "--port", b.port, "--timeout", "1")
    assert r.returncode == 1
    assert r.stderr.startswith("wandctl: the board did not answer `hello` within 1 s: is it powered and "
                               "running the firmware?")


def _micropython() -> str:
    return find_tool("micropython")


def test_board_at_the_plain_micropython_repl_is_other_firmware(tmp_path):
    from simboard.vboard import VirtualBoard

    with VirtualBoard(tmp_path / "flash") as b:  # the one simulated board, no wand firmware on it
        r = wandctl("status", "--port", b.port, "--timeout", "3")
    assert r.returncode == 1
    assert r.stderr == (
        "wandctl: the board on {p} sits at the MicroPython REPL: the microwand firmware is not running. "
        "Start it with `wandctl reset --port {p}` (a reset runs it when it is deployed, also after `repl`), "
        "or install it with `wandctl deploy --port {p}`\n".format(p=b.port))


def test_real_usbserial_under_micropython_answers_wandctl(tmp_path):
    """The firmware's console on its real `UsbSerial` under MicroPython: the one simulated
    board on a pty, running the real firmware."""
    from simboard.vboard import VirtualBoard
    from wandctl.deploy import deploy

    with VirtualBoard(tmp_path / "flash") as b:
        deploy(b.port, ROOT / "firmware", progress=False, log=lambda m: None)
        b.wait_ready()
        r = wandctl("status", "--port", b.port, "--json")
        r2 = wandctl("console", "--port", b.port, stdin="log 2\n" + "x" * 200 + "\nhello\n")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["program"] == "lift"
    assert r2.returncode == 1, r2.stderr  # (one line refused)
    assert "err toolong" not in r2.stderr  # wandctl refuses it before sending
    assert "the console takes at most 128" in r2.stderr
    assert "booted (reset cause hard, firmware 0.1.0)" in r2.stdout  # `log 2`: this boot's first events
    assert "microwand 0.1.0 on microwand-v1" in r2.stdout


def _read_until(fd: int, needle: bytes, seconds: float = 10.0) -> bytes:
    import select
    import time

    got = b""
    end = time.monotonic() + seconds
    while needle not in got and time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                got += os.read(fd, 4096)
            except OSError:
                break
    return got


def test_interactive_console_in_a_terminal_has_history_and_completion(wand, tmp_path):
    """`wandctl console` on a real terminal (a pty): prompt_toolkit, Tab, history file."""
    master, slave = os.openpty()
    env = dict(os.environ, HOME=str(tmp_path), TERM="xterm", COLUMNS="100", LINES="30")
    env.pop("WANDCTL_PORT", None)
    proc = subprocess.Popen([WANDCTL, "console", "--port", wand.port], stdin=slave, stdout=slave,
                            stderr=slave, env=env, close_fds=True)
    os.close(slave)
    try:
        out = _read_until(master, b"wand>")
        assert b"connected to " + wand.port.encode() in out, out
        os.write(master, b"selfte\t\r")  # Tab completes the command name
        out = _read_until(master, b"self-test passed")
        assert b"wand> selftest" in out and b"PASS  dac_off" in out, out
        _read_until(master, b"wand>")  # the next prompt, as a person would wait for it
        os.write(master, b"get user_m\t\r")  # ... and setting names after get/set
        out = _read_until(master, b"user_max_ua = 400")
        assert b"user_max_ua = 400" in out, out
        _read_until(master, b"wand>")
        os.write(master, b"\x04")  # Ctrl-D leaves
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        os.close(master)
    history = (tmp_path / ".cache" / "microwand" / "history").read_text()
    assert "+selftest" in history and "+get user_max_ua" in history


def _idle_alloc(n: int) -> str:
    script = ROOT / "tests" / "console" / "boards" / "usbserial_idle.py"
    proc = subprocess.Popen([_micropython(), "-X", "heapsize=100K", str(script), str(n)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        out = proc.stdout.readline()  # stdin stays open and silent meanwhile
    finally:
        proc.stdin.close()
        proc.wait(10)
        proc.stdout.close()
    return out.strip()


def test_sr11_usbserial_idle_read_never_blocks_or_allocates_on_micropython():
    """With nothing on stdin, read_into returns 0 at once and allocates nothing."""
    few, many = _idle_alloc(10), _idle_alloc(20000)
    assert few.endswith("read 0") and many.endswith("read 0"), (few, many)
    assert few.split()[1] == many.split()[1], (few, many)  # same fixed cost: nothing per call


def test_monitor_draws_a_live_plot_on_a_terminal(main_board):
    b = running_session(main_board, bench=True, level=4)
    master, slave = os.openpty()
    env = dict(os.environ, TERM="xterm", COLUMNS="100", LINES="30")
    proc = subprocess.Popen([WANDCTL, "monitor", "--port", b.port, "--seconds", "1.5", "--hz", "20"],
                            stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    try:
        out = _read_until(master, b"never", seconds=4)
        assert proc.wait(10) == 0, out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        os.close(master)
    text = out.decode("utf-8", "replace")
    shown = re.findall(r"measured (\d+) uA, setpoint (\d+) uA", text)
    assert shown, text[-2000:]
    assert all(int(sp) > 0 and 0 <= int(m) <= 1.1 * int(sp) + 10 for m, sp in shown), shown
    assert "setpoint" in text and "measured" in text and "seconds" in text


RUNNING = ("a session is running (state running); stop it first (the power button, or `stop` in `wandctl console` "
           "in bench mode)")


@pytest.mark.parametrize("bench", [True, False])
def test_reset_repl_and_deploy_refuse_while_a_session_runs(main_board, bench):
    """One line each, the same words, nothing sent that would cut the output: `deploy` used to Ctrl-C the
    session away, and `repl` outside bench mode (its console `repl` refused, SR-11) too."""
    b = running_session(main_board, bench=bench)
    resets = list(b.resets)
    cases = [(["reset", "--no-wait"], "wandctl: the wand refused to reset: %s\n" % RUNNING),
             (["repl", "--no-terminal"], "wandctl: the wand refused `repl`: %s\n" % RUNNING),
             (["deploy", "--no-progress"], "wandctl: %s, or deploy with --force to end it now\n" % RUNNING)]
    for args, text in cases:
        r = wandctl(*args, "--port", b.port, timeout=60)
        assert r.returncode == 1 and r.stderr == text and r.stdout == "", (args, r.stdout, r.stderr)
    st = status(b)  # the console still answers: no REPL, no reboot, and the session goes on
    assert st["state"] == "running" and st["setpoint_ua"] > 0 and st["uptime_s"] >= 1, st
    assert b.resets == resets
