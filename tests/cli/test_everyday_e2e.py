"""Everyday use against the real firmware (on the one simulated board's pty form, VirtualBoard):
the contact readout in kOhm (`status`, `monitor`), `wandctl history` (table, CSV, JSON), `wandctl log`
in words, the console's sorted `help`."""

from __future__ import annotations

import csv
import json
import time

from test_console_app_e2e import wait_bench
from test_console_host_e2e import wandctl


def _wait_state(b, states, seconds=15.0):
    end = time.monotonic() + seconds
    st = {}
    while time.monotonic() < end:
        r = wandctl("status", "--port", b.port, "--json")
        st = json.loads(r.stdout)
        if st["state"] in states:
            return st
        time.sleep(0.3)
    raise AssertionError("state %s never came: %s" % (states, st))


def test_contact_history_log_and_help_on_the_real_firmware(tmp_path, main_board):
    b = main_board(bench=True, load_ohms=2000)
    wait_bench(b)
    r = wandctl("status", "--port", b.port)
    assert "load        not measured yet (needs current flowing)" in r.stdout, r.stdout
    r = wandctl("console", "--port", b.port, stdin="start\nlevel 5\n")
    assert r.returncode == 0 and "err" not in r.stdout, r.stdout
    _wait_state(b, ("running",))
    time.sleep(2.0)
    st = json.loads(wandctl("status", "--port", b.port, "--json").stdout)
    assert 1800 <= st["load_ohms"] <= 2200, st  # the plant's resistor is 2000 Ohm
    r = wandctl("status", "--port", b.port)
    line = [ln for ln in r.stdout.splitlines() if ln.startswith("load ")][0]
    assert line.endswith("kOhm, good contact") and line.split()[1] in ("1.8", "1.9", "2.0", "2.1", "2.2"), line
    r = wandctl("monitor", "--port", b.port, "--hz", "10", "--seconds", "1.5")
    rows = r.stdout.splitlines()
    assert rows[0] == "t_ms setpoint_ua measured_ua state load_kohm contact"
    assert all(1.8 <= float(x.split()[4]) <= 2.2 and x.split()[5] == "good" for x in rows[2:]), rows
    r = wandctl("console", "--port", b.port, stdin="stop\n")
    assert r.returncode == 0 and "err" not in r.stdout, r.stdout
    _wait_state(b, ("done", "idle"))
    st = json.loads(wandctl("status", "--port", b.port, "--json").stdout)
    assert st["load_ohms"] is None  # no current, no estimate on show

    r = wandctl("history", "--port", b.port, "--json")
    assert r.returncode == 0, r.stderr
    (rec,) = json.loads(r.stdout)
    assert rec["program"] == "lift" and rec["ended"] == "console"  # a console `stop`, not the button
    assert (rec["level_min"], rec["level_max"]) == (3, 5)
    assert rec["current_s"] >= 3 and rec["contact_losses"] == 0
    # charge delivered: between 50 uA and 200 uA on average over the seconds of current
    assert 50 * rec["current_s"] <= rec["charge_uas"] <= 210 * (rec["current_s"] + 1), rec
    assert abs(rec["net_uas"]) <= 0.05 * rec["charge_uas"] + 5, rec  # biphasic: balanced (SR-04)
    assert 1800 <= rec["load_ohms"] <= 2200, rec
    r = wandctl("history", "--port", b.port)
    assert r.stdout.splitlines()[0].split() == ["#", "started", "program", "levels", "current", "charge",
                                                 "net", "contact", "lost", "load", "ended", "by"]
    assert "console stop" in r.stdout and "power button" not in r.stdout and "3-5" in r.stdout
    path = tmp_path / "sub" / "history.csv"
    r = wandctl("history", "--port", b.port, "--csv", str(path))
    assert r.returncode == 0 and r.stderr == "wrote 1 sessions to %s\n" % path
    rows = list(csv.DictReader(path.open()))
    assert rows[0]["program"] == "lift" and rows[0]["ended"] == "console"

    r = wandctl("log", "6", "--port", b.port)
    assert r.returncode == 0
    text = r.stdout
    assert "session started: program lift, level 3" in text, text
    assert "session ended by a console `stop` after" in text, text
    assert all(ln.startswith("boot ") for ln in text.splitlines()), text

    r = wandctl("console", "--port", b.port, stdin="help\n")
    lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
    names = [ln.split()[0] for ln in lines]
    assert names == sorted(names) and "history" in names and len(names) == 17, lines
    assert all(len(ln.split(None, 1)) == 2 for ln in lines), lines  # each with what it does
