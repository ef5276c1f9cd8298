"""Real mpremote against a running wand on the pty board: the first command
works (Ctrl-C leaves the firmware to the plain REPL with no reset, SR-02: the
output locked off and the watchdog relaxed, so the session is not cut)."""

import json
import time

import pytest
import serial
from vbhelpers import REPO, mpremote

from simboard.vboard import VirtualBoard
from wandctl.deploy import deploy, wait_hello


@pytest.fixture(scope="module")
def wand(tmp_path_factory):
    with VirtualBoard(tmp_path_factory.mktemp("wand") / "flash", seed=5) as b:
        deploy(b.port, REPO / "firmware", progress=False, log=lambda m: None)
        yield b


def _restart(board):
    board.reset()
    board.wait_ready()
    wait_hello(board.port)


def test_mpremote_exec_ls_run_work_on_the_first_command_sr02(wand, tmp_path):
    _restart(wand)
    boots = len(wand.resets)
    r = mpremote(wand.port, "exec", "print(1 + 1)", timeout=30)
    assert r.returncode == 0 and r.stdout.strip() == "2", (r.stdout, r.stderr)
    # no hard reset: only mpremote's own soft reset (raw REPL: boot.py, not main.py)
    assert [c for _, c in wand.resets[boots:]] == [5], wand.resets
    _restart(wand)
    r = mpremote(wand.port, "ls", timeout=30)
    assert r.returncode == 0 and "boot.py" in r.stdout and "main.py" in r.stdout, (r.stdout, r.stderr)
    _restart(wand)
    script = tmp_path / "probe.py"
    script.write_text("import machine\nprint('cause', machine.reset_cause())\n")
    r = mpremote(wand.port, "run", str(script), timeout=30)
    assert r.returncode == 0 and "cause 5" in r.stdout, (r.stdout, r.stderr)


def test_ctrl_c_leaves_output_off_watchdog_relaxed_and_the_plain_repl_sr02(wand):
    """`resume` skips mpremote's soft reset: what Ctrl-C left behind is visible."""
    _restart(wand)
    boots = len(wand.resets)
    with serial.Serial(wand.port, 115200, timeout=0.1) as s:
        s.write(b"\r\x03")
        got = b""
        end = time.monotonic() + 10
        while not got.endswith(b">>> ") and time.monotonic() < end:
            got += s.read(256)
    assert got.endswith(b">>> "), got
    assert b"interrupted: output off and locked" in got, got
    assert b"rst:" not in got and len(wand.resets) == boots  # no reset
    time.sleep(1.5)  # longer than the 1000 ms watchdog: nobody feeds it at the REPL
    assert len(wand.resets) == boots
    r = mpremote(wand.port, "resume", "exec", "print(repr(BOOT_DAC is not None))", timeout=30)
    assert r.returncode == 0 and r.stdout.strip() == "True", (r.stdout, r.stderr)
    st = json.loads(wand_status(wand))
    assert st["pins"].get("27", st["pins"].get(27, 0)) == 0
    assert st["wdt_ms"] == 86_400_000


def wand_status(board):
    from simboard.vboard import control

    return control(board, "status")
