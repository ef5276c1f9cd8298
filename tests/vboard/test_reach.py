"""A board you can reach: `wandctl repl` and `wandctl reset` on the virtual board with the real firmware,
`status` recognising the MicroPython REPL, and no watchdog fault after a reset from the REPL (SR-02/SR-12:
a watchdog fault must mean the watchdog fired)."""

import json

import pytest
from vbhelpers import REPO, assert_user_error, wandctl

from wandctl.deploy import deploy
from wandctl.vboard import VirtualBoard


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
    assert "the firmware reset into the REPL (output off, no watchdog)" in r.stderr
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
