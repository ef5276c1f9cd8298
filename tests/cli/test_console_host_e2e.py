"""wandctl's console commands end to end: real `wandctl` processes, pyserial on
a pty, the firmware's Console on the other side (a scripted target here; the
real App on the simulated board in tests/console/test_console_app_e2e.py), plus the error
paths: missing port, busy port, permission denied, silent board, other firmware.
"""

from __future__ import annotations

import csv
import errno
import json
import os
import pathlib
import subprocess
import sys

import pytest
import serial
from console_fakes import FakeTarget
from ptyboard import ThreadBoard

from wand.console import Console
from wandctl.tools import find_tool

pytestmark = pytest.mark.slow  # boards as processes on ptys

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent
WANDCTL = str(BIN / "wandctl")


def wandctl(*args: str, stdin: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("WANDCTL_PORT", None)
    env["HOME"] = str(ROOT / "build" / "test-home")  # keep the console history out of the real home
    return subprocess.run([WANDCTL, *args], input=stdin, capture_output=True, text=True, timeout=timeout,
                          env=env)


class FakeBoard:
    """A scripted target and the real Console, ticked by ThreadBoard.

    This one still stands in for the board (issue 10): the tests below check
    wandctl's renderings byte for byte against values the scripted target
    serves on demand (40 log events, a SHORT in the fault history, a failing
    self-test, a calibration result, fixed telemetry). The same commands against
    the real firmware on VirtualBoard are in tests/console/test_console_app_e2e.py
    and tests/cli/test_everyday_e2e.py."""

    def __init__(self, serial_):
        self.target = FakeTarget(bench=True)
        self.console = Console(self.target, serial_)

    def tick(self, now_ms):
        self.console.poll(now_ms)


@pytest.fixture
def board():
    with ThreadBoard(FakeBoard) as b:
        yield b
        assert b.error is None, b.error


def test_status_json_is_the_boards_reply(board):
    r = wandctl("status", "--port", board.port, "--json")
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    with board.lock:
        assert st == board.board.target.status()


def test_status_readable(board):
    r = wandctl("status", "--port", board.port)
    assert r.returncode == 0, r.stderr
    assert "state" in r.stdout and "idle" in r.stdout
    assert "battery     3.9 V" in r.stdout
    assert "watchdog    armed" in r.stdout


def test_log_faults_selftest_get(board):
    r = wandctl("log", "3", "--port", board.port, "--json")
    assert r.returncode == 0, r.stderr
    assert [e["event"] for e in json.loads(r.stdout)["events"]] == ["e37", "e38", "e39"]
    r = wandctl("faults", "--port", board.port)
    assert r.returncode == 0 and "SHORT" in r.stdout
    r = wandctl("selftest", "--port", board.port)
    assert r.returncode == 0, r.stderr
    assert "PASS  output_off" in r.stdout and "self-test passed" in r.stdout
    r = wandctl("get", "--port", board.port)
    assert r.returncode == 0 and "user_max_ua = 400" in r.stdout
    r = wandctl("get", "session_min", "--port", board.port, "--json")
    assert json.loads(r.stdout) == {"session_min": 5}


def test_set_changes_the_setting_and_refusals_exit_1(board):
    r = wandctl("set", "user_max_ua", "250", "--port", board.port, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"user_max_ua": 250}
    r = wandctl("set", "user_max_ua", "900", "--port", board.port)
    assert r.returncode == 1
    assert r.stderr == "wandctl: the wand refused `set user_max_ua 900`: above the hard ceiling of 500 uA\n"
    r = wandctl("get", "nope", "--port", board.port)
    assert r.returncode == 1 and "err" not in r.stdout
    assert r.stderr == ("wandctl: the wand has no setting 'nope'; its settings are: idle_off_s, session_min, "
                        "user_max_ua\n")
    with board.lock:
        assert board.board.target.settings["user_max_ua"] == 250


def test_selftest_failure_exits_1(board):
    with board.lock:
        board.board.target.selftest = lambda: [["sense_zero", False, "12 uA with output off"]]
    r = wandctl("selftest", "--port", board.port)
    assert r.returncode == 1
    assert "FAIL  sense_zero" in r.stdout
    assert "self-test failed (sense_zero)" in r.stderr


def test_calibrate_waits_for_the_result(board):
    r = wandctl("calibrate", "10000", "--port", board.port, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"gain": 1.01, "offset_ua": -2.0}


def test_monitor_records_csv_and_prints_text_when_not_a_tty(board, tmp_path):
    with board.lock:
        board.board.target.level = 5
    path = tmp_path / "run.csv"
    r = wandctl("monitor", "--port", board.port, "--hz", "20", "--seconds", "1.5", "--csv", str(path))
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert out[0] == "t_ms setpoint_ua measured_ua state load_kohm contact"
    assert out[1] == "1234 100 99 idle - -"  # the fake target reports no load (a 4-field telemetry line)
    rows = list(csv.reader(path.open()))
    assert rows[0] == ["t_ms", "setpoint_ua", "measured_ua", "state", "load_ohms"]
    assert 15 <= len(rows) - 1 <= 35, len(rows)
    assert rows[1] == ["1234", "100", "99", "idle", ""]
    assert "wrote %d samples" % (len(rows) - 1) in r.stderr
    with board.lock:
        assert board.board.console.streaming_hz() == 0  # switched off again on the way out


def test_console_reads_commands_from_stdin_when_not_a_tty(board):
    r = wandctl("console", "--port", board.port, stdin="status\nfly\nlevel x\nget session_min\nquit\nhello\n")
    assert r.returncode == 0, r.stderr
    assert "state" in r.stdout
    assert "err unknown: no command fly" in r.stdout
    assert "err arg: level N" in r.stdout
    assert "session_min = 5" in r.stdout
    assert "microwand" not in r.stdout.split("session_min = 5")[1]  # stopped at quit


def test_completion_offers_commands_settings_and_stream_modes():
    from wandctl.console_session import CommandCompleter as _Completer

    comp = _Completer(["session_min", "user_max_ua"])
    assert [w for w, _ in comp.words("st")] == ["start", "status", "stop", "stream"]
    assert [w for w, _ in comp.words("set us")] == ["user_max_ua"]
    assert [w for w, _ in comp.words("stream o")] == ["on", "off"]
    assert comp.words("level 3 ") == []


# ------------------------------------------------------------------ errors
def test_missing_port_says_which_ports_exist():
    r = wandctl("status", "--port", "/dev/ttyUSB-not-there")
    assert r.returncode == 1
    assert r.stderr.startswith("wandctl: serial port /dev/ttyUSB-not-there does not exist (serial ports here: ")
    r = wandctl("status")
    assert r.returncode == 1 and "no serial port given: pass --port" in r.stderr


def test_busy_port_is_reported(board):
    holder = serial.Serial(board.port, exclusive=True)
    try:
        r = wandctl("status", "--port", board.port)
    finally:
        holder.close()
    assert r.returncode == 1
    assert "serial port %s is busy" % board.port in r.stderr
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
    assert r2.returncode == 0, r2.stderr
    assert "err toolong" not in r2.stdout  # wandctl refuses it before sending
    assert "the console takes at most 128" in r2.stdout
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


def test_interactive_console_in_a_terminal_has_history_and_completion(board, tmp_path):
    """`wandctl console` on a real terminal (a pty): prompt_toolkit, Tab, history file."""
    master, slave = os.openpty()
    env = dict(os.environ, HOME=str(tmp_path), TERM="xterm", COLUMNS="100", LINES="30")
    env.pop("WANDCTL_PORT", None)
    proc = subprocess.Popen([WANDCTL, "console", "--port", board.port], stdin=slave, stdout=slave,
                            stderr=slave, env=env, close_fds=True)
    os.close(slave)
    try:
        out = _read_until(master, b"wand>")
        assert b"connected to " + board.port.encode() in out, out
        os.write(master, b"selfte\t\r")  # Tab completes the command name
        out = _read_until(master, b"self-test passed")
        assert b"wand> selftest" in out and b"PASS  output_off" in out, out
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


def test_monitor_draws_a_live_plot_on_a_terminal(board):
    with board.lock:
        board.board.target.level = 4
    master, slave = os.openpty()
    env = dict(os.environ, TERM="xterm", COLUMNS="100", LINES="30")
    proc = subprocess.Popen([WANDCTL, "monitor", "--port", board.port, "--seconds", "1.5", "--hz", "20"],
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
    assert "measured 79 uA, setpoint 80 uA" in text, text[-2000:]
    assert "setpoint" in text and "measured" in text and "seconds" in text


RUNNING = ("a session is running (state running); stop it first (the power button, or `stop` in `wandctl console` "
           "in bench mode)")


@pytest.mark.parametrize("bench", [True, False])
def test_reset_repl_and_deploy_refuse_while_a_session_runs(board, bench):
    """One line each, the same words, nothing sent that would cut the output: `deploy` used to Ctrl-C the
    session away, and `repl` outside bench mode (its console `repl` refused, SR-11) too."""
    with board.lock:
        board.board.target.state = "running"
        board.board.target.bench = bench
    cases = [(["reset", "--no-wait"], "wandctl: the wand refused to reset: %s\n" % RUNNING),
             (["repl", "--no-terminal"], "wandctl: the wand refused `repl`: %s\n" % RUNNING),
             (["deploy", "--no-progress"], "wandctl: %s, or deploy with --force to end it now\n" % RUNNING)]
    for args, text in cases:
        r = wandctl(*args, "--port", board.port, timeout=60)
        assert r.returncode == 1 and r.stderr == text and r.stdout == "", (args, r.stdout, r.stderr)
    with board.lock:
        t = board.board.target
        assert t.state == "running" and t.repl == 0 and t.reboots == 0, t.calls
