"""`wandctl sim --serve --deploy --bench --load-ohms ...`: the pty board runs the real
firmware against simboard's physics, so a bench session with the wand lifted says
no_contact, and on skin the measured current follows the plant."""

import json
import signal
import subprocess
import sys
import time

from vbhelpers import REPO, wandctl


def _reply(proc, line):
    proc.stdin.write(line + "\n")
    proc.stdin.flush()
    while True:
        out = proc.stdout.readline()
        assert out, "the board's window closed"
        out = out.strip()
        if out == "ok" or out.startswith(("{", "error")):
            return out


def _status(port):
    r = wandctl("status", "--port", port, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_serve_deploy_bench_lifted_gives_no_contact_and_skin_follows_the_physics(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "wandctl", "sim", "--serve", "--deploy", "--bench", "--load-ohms", "open",
         "--flash", str(tmp_path / "flash"), "--seed", "4"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
    )
    try:
        first = proc.stdout.readline()
        assert first.startswith("port: /dev/pts/"), (first, proc.stderr.read() if proc.poll() else "")
        port = first.split()[1]
        st = _status(port)
        assert st["bench"] is True and st["usb"] is True, st
        r = wandctl("console", "--port", port, stdin="start\n")
        assert r.returncode == 0 and "err" not in r.stdout, r.stdout + r.stderr
        end = time.monotonic() + 20
        while time.monotonic() < end and _status(port)["state"] != "no_contact":
            time.sleep(0.5)
        st = _status(port)
        assert st["state"] == "no_contact" and st["fault"] is None, st  # not gain_drift
        # the wand on skin: the session resumes and the current is the plant's
        assert _reply(proc, "load skin") == "ok"
        end = time.monotonic() + 30
        while time.monotonic() < end:
            st = _status(port)
            if st["state"] == "running" and st["measured_ua"] > 20:
                break
            time.sleep(0.5)
        assert st["state"] == "running" and st["fault"] is None, st
        true = json.loads(_reply(proc, "current"))
        assert true["peak_ua"] > 20 and true["abs_charge_uc"] > 0, true
        assert abs(true["peak_ua"] - st["setpoint_ua"]) < 0.3 * st["setpoint_ua"] + 20, (true, st)
        # lift it again (the script vocabulary): no_contact, not a fault
        assert _reply(proc, "contact off") == "ok"
        end = time.monotonic() + 20
        while time.monotonic() < end and _status(port)["state"] != "no_contact":
            time.sleep(0.5)
        assert _status(port)["state"] == "no_contact"
        assert _reply(proc, "frobnicate").startswith("error: unknown control")
        # every script action: `file` is refused with the way to do it, `flap` runs; the window lives on
        assert _reply(proc, "file x.txt 41").startswith("error: file writes the simulator's flash folder")
        assert _reply(proc, "flap contact 50 4") == "ok"
        assert _reply(proc, "status").startswith("{")
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(20)


def test_flap_on_the_pty_board_schedules_its_toggles_from_now(board):
    from simboard.vboard import control
    from simboard.vboard.chiplink import WORLD_LOCK

    assert control(board, "flap contact 60000 3") == "ok"  # off now, on in 60 s, off in 120 s
    w = board.world
    deadline = time.monotonic() + 10
    while True:  # the board's thread applies the "off now" at its next step: wait for it, not a sleep
        with WORLD_LOCK:
            pending = [(t, act, args) for t, _, act, args in w.events if act == "contact"]
            now = w.now
        if len(pending) <= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert [a for _, _, a in pending] == [("on",), ("off",)], pending
    assert pending[1][0] - pending[0][0] == 60_000_000 and 0 < pending[0][0] - now <= 60_000_000
