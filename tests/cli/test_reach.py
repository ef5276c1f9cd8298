"""A board you can reach: `wandctl repl` and `wandctl reset` on the virtual board with the real firmware,
`status` recognising the MicroPython REPL, and no watchdog fault after a reset from the REPL (SR-02/SR-12:
a watchdog fault must mean the watchdog fired)."""

import json

import pytest
from vbhelpers import REPO, assert_user_error, wandctl

from simboard.vboard import VirtualBoard
from wandctl.deploy import deploy


@pytest.fixture(scope="module")
def real_board(tmp_path_factory):
    with VirtualBoard(tmp_path_factory.mktemp("reach") / "flash", seed=5) as b:
        deploy(b.port, REPO / "firmware", progress=False, log=lambda m: None)
        yield b


def test_repl_status_reset_round_trip_without_a_watchdog_fault(real_board):
    p = real_board.port
    r = wandctl("repl", "--port", p, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "connect a terminal with: mpremote connect %s resume repl\n" % p
    assert "the firmware left to the REPL (output off and locked, watchdog relaxed)" in r.stderr
    r = wandctl("status", "--port", p)
    msg = assert_user_error(r, "sits at the MicroPython REPL")
    assert msg == ("wandctl: the board on {p} sits at the MicroPython REPL: the microwand firmware is not running. "
                   "Start it with `wandctl reset --port {p}` (a reset runs it when it is deployed, also after "
                   "`repl`), or install it with `wandctl deploy --port {p}`".format(p=p))
    r = wandctl("repl", "--port", p, "--no-terminal", timeout=60)  # already there: nothing to do
    assert r.returncode == 0 and "the board was at the REPL" in r.stderr, r.stderr
    for _ in range(2):  # the report said "twice": a reset from the REPL, then one from the firmware
        r = wandctl("reset", "--port", p, timeout=90)
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith("microwand 0.1.0 on microwand-v1 answers (reset cause hard)"), r.stdout
        st = json.loads(wandctl("status", "--port", p, "--json").stdout)
        assert st["fault"] is None and st["wdt_armed"] is True, st
    assert all(cause != 3 for _, cause in real_board.resets), real_board.resets  # no WDT_RESET at all


def test_reset_json_and_user_errors(real_board):
    r = wandctl("reset", "--port", real_board.port, "--json", timeout=90)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["how"] == "asked the firmware to reboot (console `reboot`)" and out["hello"]["product"] == "microwand"
    assert_user_error(wandctl("reset", "--port", "/dev/ttyUSB-none"), "serial port /dev/ttyUSB-none does not exist")
    assert_user_error(wandctl("reset", "--port", real_board.port, "--timeout", "0"),
                      "argument --timeout: the timeout in seconds must be above 0")


def test_first_deploy_says_where_the_files_go(tmp_path):
    with VirtualBoard(tmp_path / "flash", seed=6) as b:
        r = wandctl("deploy", "--port", b.port, "--no-progress", timeout=240)
        assert r.returncode == 0, r.stderr
        assert "no firmware on the board yet: installing into /wand" in r.stderr, r.stderr
        assert "/lib/wand" not in r.stderr, r.stderr
        r = wandctl("deploy", "--port", b.port, "--no-progress", "--firmware", tmp_path, timeout=60)
        assert_user_error(r, "firmware folder")  # an empty folder: no boot.py/main.py


def test_sr12_a_latched_watchdog_fault_after_a_reset_is_reported_as_the_old_one(tmp_path):
    """The report "after a reset from the REPL the virtual board twice came up with a watchdog fault nobody
    caused": a stall of the interpreter past 1 s (the virtual board's watchdog runs on the wall clock, so a
    busy host can cause one) latches `watchdog`; SR-12 keeps the latch through every reset but a power cycle,
    and each boot restored it and logged it as a new `fault`. It is now logged as `fault_latched` and
    `wandctl reset` says it is the old one."""
    import os
    import signal
    import time

    with VirtualBoard(tmp_path / "flash", seed=7) as b:
        deploy(b.port, REPO / "firmware", progress=False, log=lambda m: None)
        b.wait_ready()
        time.sleep(1.0)
        pid = b._child.pid
        os.kill(pid, signal.SIGSTOP)  # the interpreter gets no CPU for 1.5 s
        time.sleep(1.5)
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass  # the watchdog reset already replaced it
        assert 3 in [c for _, c in b.resets]  # WDT_RESET
        r = wandctl("reset", "--port", b.port, timeout=90)
        assert r.returncode == 0, r.stderr
        assert "note: fault watchdog (code 7) is still latched from before the reset" in r.stderr
        log = wandctl("log", "8", "--port", b.port).stdout
        assert "FAULT watchdog (code 7): output cut" in log  # the boot after the watchdog reset
        assert "fault watchdog (code 7) still latched from before this reset" in log, log
        b.power_cycle()  # SR-12: a power cycle clears it
        r = wandctl("status", "--port", b.port, "--json", timeout=60)
        assert json.loads(r.stdout)["fault"] is None


def test_deploy_reset_and_repl_refuse_while_a_session_runs_and_deploy_force_ends_it(real_board):
    """`reset` and `repl` refused during a session (SR-05: the output ramps down), but `deploy` cut it off
    (its Ctrl-C leaves at once) and the history lost it. Now deploy refuses too, in the same one line, unless
    --force; the refusals no longer say "stop the session first" twice."""
    import re
    import time

    b = real_board
    b.power_cut()
    b.press("level", held=True)  # bench mode: the console may start a session
    b.inject(load_ohms=2000)
    b.power_on()
    b.wait_ready()
    time.sleep(1.5)
    b.release("level")
    try:
        r = wandctl("console", "--port", b.port, stdin="start\n")
        assert r.returncode == 0 and "err" not in r.stdout, r.stdout + r.stderr
        time.sleep(1.0)
        running = re.compile(r"a session is running \(state (ramp_up|running)\); stop it first \(the power "
                             r"button, or `stop` in `wandctl console` in bench mode\)")
        r = wandctl("deploy", "--port", b.port, "--no-progress", timeout=120)
        msg = assert_user_error(r, "a session is running")
        assert running.fullmatch(msg.removeprefix("wandctl: ").removesuffix(
            ", or deploy with --force to end it now")), msg
        assert r.stderr.count("\n") == 1, r.stderr  # one line, nothing deployed
        for cmd, what in (("reset", "to reset"), ("repl", "`repl`")):
            r = wandctl(cmd, "--port", b.port, "--no-terminal" if cmd == "repl" else "--no-wait", timeout=60)
            msg = assert_user_error(r, "a session is running")
            assert running.fullmatch(msg.removeprefix("wandctl: the wand refused %s: " % what)), msg
            assert msg.lower().count("stop") == 2 and "session first" not in msg, msg  # stop it, `stop`
        st = json.loads(wandctl("status", "--port", b.port, "--json").stdout)
        assert st["state"] in ("ramp_up", "running"), st  # the refusals left the session alone
        r = wandctl("deploy", "--port", b.port, "--no-progress", "--force", timeout=240)
        assert r.returncode == 0, r.stderr
        assert re.search(r"wandctl: --force: ending the running session \(state (ramp_up|running)\): the output "
                         r"goes off at once", r.stderr), r.stderr
        assert "interrupted the firmware (Ctrl-C: output off and locked, watchdog relaxed, no reset)" in r.stderr
        assert "board: " not in r.stderr, r.stderr
        log = wandctl("log", "6", "--port", b.port).stdout
        assert "interrupted by Ctrl-C: left to the MicroPython REPL" in log, log
    finally:
        b.inject(load_ohms=None)
        b.power_cycle()

