"""Every user mistake is one `wandctl: message` line on stderr with exit code 1, before any long run
or any port is opened. These run the real `wandctl` in a subprocess and compare the exact text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOT_SERIAL = ("wandctl: {p} is not a serial device (a character device such as /dev/ttyUSB0 or /dev/ttyACM0 is "
              "needed; `wandctl doctor` lists them)\n")
NO_PORT = ("wandctl: no serial port given: pass --port PORT (or --port auto, or set WANDCTL_PORT); "
           "`wandctl doctor` lists the ports\n")


def wandctl(*args, env=None, timeout=120):
    e = dict(os.environ)
    e.pop("WANDCTL_PORT", None)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "wandctl", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=e)


def one_error(r, text):
    """Exit 1, the exact message as the last stderr line, no traceback, nothing on stdout."""
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr, r.stderr
    assert r.stdout == "", r.stdout
    last = r.stderr.splitlines(keepends=True)[-1]
    assert last == text, (last, text)
    return r.stderr


@pytest.fixture
def afile(tmp_path):
    f = tmp_path / "notaport"
    f.write_text("x")
    return f


@pytest.mark.parametrize("cmd", [["status"], ["console"], ["log"], ["faults"], ["selftest"], ["get"],
                                 ["set", "level", "3"], ["monitor", "--seconds", "1"], ["calibrate", "10000"],
                                 ["history"], ["test"], ["deploy"], ["reset"], ["repl"]])
def test_one_wording_for_a_path_that_is_not_a_serial_port(cmd, afile, tmp_path):
    for port in ("/dev/null", str(afile), str(tmp_path)):
        one_error(wandctl(*cmd, "--port", port), NOT_SERIAL.format(p=port))


@pytest.mark.parametrize("cmd", [["status"], ["log"], ["history"], ["test"], ["deploy"], ["reset"], ["repl"]])
def test_wandctl_port_is_honoured_by_every_command(cmd):
    one_error(wandctl(*cmd, env={"WANDCTL_PORT": "/dev/null"}), NOT_SERIAL.format(p="/dev/null"))
    one_error(wandctl(*cmd), NO_PORT)


def test_wandctl_port_for_flash_after_its_image_check(tmp_path):
    from wandctl import flash as fl

    image = tmp_path / "ESP32_GENERIC-test.bin"
    image.write_bytes(fl.build_merged_image("esp32", version="v1.29.0", code_size=12000, seed=9))
    r = wandctl("flash", "--firmware", image, env={"WANDCTL_PORT": "/dev/null"})
    one_error(r, NOT_SERIAL.format(p="/dev/null"))
    one_error(wandctl("flash", "--firmware", image), NO_PORT)


def test_missing_port_names_the_ports_there_are():
    r = wandctl("status", "--port", "/dev/ttyUSB-not-there")
    assert r.returncode == 1
    assert r.stderr.startswith("wandctl: serial port /dev/ttyUSB-not-there does not exist (serial ports here: ")
    assert r.stderr.endswith("check the cable (a charge-only USB cable has no data lines) and run "
                             "`wandctl doctor`\n")


def test_port_auto_with_no_board_says_what_to_check():
    r = wandctl("status", "--port", "auto")
    assert r.returncode == 1
    msg = r.stderr.splitlines()[-1]
    assert msg.startswith("wandctl: --port auto: no board found (USB serial ports: "), msg
    assert "data USB cable" in msg and "`wandctl doctor`" in msg


@pytest.mark.parametrize("args,text", [
    (["log", "-3"], "wandctl: the number of events must be from 1 to 32, not -3 "
                    "(see `wandctl log --help`)\n"),
    (["log", "40"], "wandctl: the number of events must be from 1 to 32, not 40 "
                    "(see `wandctl log --help`)\n"),
    (["status", "--timeout", "-1"], "wandctl: argument --timeout: the timeout in seconds must be above 0, "
                                    "not -1 (see `wandctl status --help`)\n"),
    (["monitor", "--seconds", "-5"], "wandctl: argument --seconds: the time in seconds must be above 0, "
                                     "not -5 (see `wandctl monitor --help`)\n"),
    (["monitor", "--hz", "0"], "wandctl: argument --hz: the sample rate must be from 1 to 50, not 0 "
                               "(see `wandctl monitor --help`)\n"),
    (["test", "--ramp-seconds", "-1"], "wandctl: argument --ramp-seconds: the ramp time in seconds must be "
                                       "above 0, not -1 (see `wandctl test --help`)\n"),
    (["calibrate", "5"], "wandctl: the resistor value in ohms must be from 1000 to 20000, "
                         "not 5 (see `wandctl calibrate --help`)\n"),
    (["test", "--ramp-seconds", "0.3"], "wandctl: argument --ramp-seconds: 0.3 s is too short for the ramp "
                                        "checks: give at least 1 s (the setpoint needs about 0.6 s to pass "
                                        "50 uA at the 90 uA/s ramp, and the slope is judged over 0.3 s) "
                                        "(see `wandctl test --help`)\n"),
    (["history", "-n", "0"], "wandctl: argument -n: the number of sessions must be from 1 to 16, not 0 "
                             "(see `wandctl history --help`)\n"),
    (["sim", "--minutes", "30"], "wandctl: --minutes 30: the session length must be from 1 to 20 minutes\n"),
    (["sim", "--level", "0"], "wandctl: --level 0: the level must be from 1 to 10\n"),
])
def test_range_errors_come_before_any_port_or_run(args, text):
    # /dev/ttyUSB-not-there: had the port been opened first, its error would show instead
    port = [] if args[0] == "sim" else ["--port", "/dev/ttyUSB-not-there"]
    t0 = time.monotonic()
    r = wandctl(*args, *port)
    one_error(r, text)
    assert "session_min" not in r.stderr and "argument n:" not in r.stderr and "argument ohms:" not in r.stderr
    assert time.monotonic() - t0 < 60  # (a generous bound: no simulation ran)


def test_a_subcommands_bad_flag_prints_that_subcommands_usage():
    r = wandctl("status", "--bogus")
    one_error(r, "wandctl: unrecognized arguments: --bogus (see `wandctl status --help`)\n")
    assert r.stderr.startswith("usage: wandctl status [-h] [--port PORT]")
    r = wandctl("sim", "--plott", "x.png")
    assert r.stderr.startswith("usage: wandctl sim ")


def test_sim_output_paths_are_checked_before_the_run(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("")
    cases = [
        (["--plot", tmp_path], "wandctl: --plot {t} is a folder: give a file name, e.g. {t}/session.png\n"),
        (["--plot", tmp_path / "x"], "wandctl: --plot {t}/x has no file extension: end the name with .jpg, .pdf, "
                                     ".png, .svg (e.g. {t}/x.png)\n"),
        (["--plot", tmp_path / "x.bmpx"], "wandctl: --plot {t}/x.bmpx: cannot write .bmpx images; use .jpg, "
                                          ".pdf, .png, .svg\n"),
        (["--plot", afile / "x.png"], "wandctl: --plot {t}/afile/x.png: {t}/afile is a file, not a folder\n"),
        (["--summary-json", tmp_path], "wandctl: --summary-json {t} is a folder: give a file name, e.g. "
                                       "{t}/summary.json\n"),
        (["--summary-json", afile / "deeper" / "s.json"], "wandctl: --summary-json {t}/afile/deeper/s.json: "
                                                          "{t}/afile is a file, not a folder\n"),
    ]
    for args, text in cases:
        one_error(wandctl("sim", *args), text.format(t=tmp_path))


def test_sim_writes_exactly_the_files_it_names(tmp_path):
    plot = tmp_path / "new" / "folder" / "s.svg"
    summ = tmp_path / "new" / "summary.json"
    r = wandctl("sim", "--minutes", "1", "--seconds", "20", "--plot", plot, "--summary-json", summ)
    assert r.returncode == 0, r.stderr
    assert "wrote %s\nwrote %s\n" % (summ, plot) in r.stdout
    assert plot.read_text().startswith("<?xml") and json.loads(summ.read_text())["program"] == "lift"


def test_bench_json_path_is_checked_before_the_run(tmp_path):
    one_error(wandctl("bench", "--json", tmp_path),
              "wandctl: --json %s is a folder: give a file name, e.g. %s/bench.json\n" % (tmp_path, tmp_path))


def test_deploy_names_a_firmware_file_as_a_file(tmp_path):
    f = tmp_path / "ESP32_GENERIC.bin"
    f.write_bytes(b"\xe9" + bytes(100))
    one_error(wandctl("deploy", "--port", "/dev/null", "--firmware", f),
              "wandctl: --firmware {f} is a file: deploy takes the firmware folder (with boot.py, main.py and "
              "wand/); to put MicroPython itself on the board use `wandctl flash --firmware {f}`\n".format(f=f))


def test_calibrate_help_names_the_level_button():
    r = wandctl("calibrate", "--help")
    text = " ".join(r.stdout.split())
    assert "hold the LEVEL button while powering it up" in text and "power button" not in text
    assert "e.g. 10 kOhm 1 %)" in text and "%%" not in text


def _subparsers():
    import argparse

    from wandctl.cli import build_parser

    parser = build_parser()
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


ALL_COMMANDS = sorted(_subparsers().choices)


def test_the_help_test_covers_every_command():
    assert {"characterize", "fuzz", "bench", "image", "doctor", "boardgen", "status", "sim"} <= set(ALL_COMMANDS)


@pytest.mark.parametrize("cmd", ALL_COMMANDS)
def test_every_command_and_option_has_help(cmd):
    import argparse

    sub = _subparsers()
    p = sub.choices[cmd]
    assert p.description or cmd in {c.dest for c in sub._choices_actions if c.help}, cmd
    assert any(c.dest == cmd and c.help for c in sub._choices_actions), cmd
    for action in p._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help and action.help != argparse.SUPPRESS, (cmd, action.dest)
    text = p.format_help()  # what --help prints: no argparse escapes left over
    assert "%%" not in text and "%(" not in text, (cmd, text)


def test_deploy_help_says_when_it_resets_and_that_a_session_stops_it():
    text = " ".join(wandctl("deploy", "--help").stdout.split())
    assert "when nothing changed there is no reset" in text
    assert "Refused while a session runs, unless --force" in text
    assert "--force deploy even while a session runs: that ends the session at once" in text


def test_top_level_help_points_at_the_projects_own_docs():
    r = wandctl("--help")
    text = " ".join(r.stdout.split())
    assert "docs/safety.md" in text and "docs/platform.md" in text and "SAFETY.md" not in text.replace(
        "docs/safety.md", "")


def test_characterize_output_paths_are_checked_before_the_run(tmp_path):
    """`characterize --json/--markdown` used to fail with a traceback after minutes of simulation."""
    afile = tmp_path / "afile"
    afile.write_text("")
    cases = [
        (["--json", tmp_path], "wandctl: --json {t} is a folder: give a file name, e.g. {t}/characterization.json\n"),
        (["--markdown", afile / "x.md"], "wandctl: --markdown {t}/afile/x.md: {t}/afile is a file, not a folder\n"),
    ]
    for args, text in cases:
        one_error(wandctl("characterize", *args), text.format(t=tmp_path))


# --- tracebacks left for user mistakes: each is one line, exit 1, before anything runs -------------------------

@pytest.fixture
def where(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    folder = tmp_path / "d"
    folder.mkdir()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # (read, it blocked for ever)
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + bytes(5000))
    return {"t": tmp_path, "afile": afile, "d": folder, "fifo": fifo, "photo": photo}


MISTAKES = [
    (["image", "--micropython", "{t}/mp.bin", "-o", "{afile}"],
     "wandctl: --output {afile} is a file, not a folder: give a folder (e.g. build/release)\n"),
    (["image", "--micropython", "{t}/mp.bin", "-o", "{afile}/out"],
     "wandctl: --output {afile}/out: {afile} is a file, not a folder\n"),
    (["image", "--micropython", "{t}/mp.bin", "--firmware", "{afile}"],
     "wandctl: --firmware {afile} is a file: image takes the firmware folder (with boot.py, main.py and wand/); "
     "the MicroPython download goes to --micropython\n"),
    (["sim", "--serve", "--flash", "{afile}/x"], "wandctl: --flash {afile}/x: {afile} is a file, not a folder\n"),
    (["sim", "--serve", "--flash", "{afile}"],
     "wandctl: --flash {afile} is a file, not a folder: give a folder (e.g. build/vboard/flash)\n"),
    (["sim", "--serve", "--spi-flash", "{d}"],
     "wandctl: --spi-flash {d} is a folder: give a file name, e.g. {d}/board.spiflash.bin\n"),
    (["sim", "--serve", "--heap", "abc"],
     "wandctl: --heap abc: the MicroPython heap in bytes, with K or M, from 16K to 1024M (e.g. 200K)\n"),
    (["sim", "--serve", "--heap", "4"],
     "wandctl: --heap 4: the MicroPython heap in bytes, with K or M, from 16K to 1024M (e.g. 200K)\n"),
    (["sim", "--serve", "--chip-dir", "/nonexist"], "wandctl: --chip-dir /nonexist: no such folder\n"),
    (["sim", "--serve", "--chip-dir", "{d}"],
     "wandctl: --chip-dir {d}: the chip modules machine.py, esp32.py, flashbdev.py, _link.py are missing (the "
     "folder needs machine.py, esp32.py, flashbdev.py, _link.py, as in simboard/vboard/chip)\n"),
    (["sim", "--plot", ""], "wandctl: --plot needs a file name, e.g. --plot session.png\n"),
    (["sim", "--summary-json", ""], "wandctl: --summary-json needs a file name, e.g. --summary-json summary.json\n"),
    (["fuzz", "--json", "{d}"], "wandctl: --json {d} is a folder: give a file name, e.g. {d}/fuzz.json\n"),
    (["fuzz", "--json", "{afile}/f.json"], "wandctl: --json {afile}/f.json: {afile} is a file, not a folder\n"),
    # a helper's audit: inputs that blocked, read /proc, were written over, or were found out only at the end
    (["fuzz", "--budget", "5", "--out", "{afile}/sub"],
     "wandctl: --out {afile}/sub: {afile} is a file, not a folder\n"),
    (["fuzz", "--budget", "5", "--out", "/proc/wandctl-x"],
     "wandctl: --out /proc/wandctl-x: cannot write there: No such file or directory\n"),
    (["sim", "--script", "{fifo}"], "wandctl: --script {fifo}: not a regular file\n"),
    (["sim", "--script", ""], "wandctl: --script needs a file name, e.g. --script session.script\n"),
    (["image", "--micropython", "{fifo}", "-o", "{d}"], "wandctl: --micropython {fifo}: not a regular file\n"),
    (["image", "--micropython", "/proc/self/mem", "-o", "{d}"],
     "wandctl: --micropython /proc/self/mem: cannot read it: Input/output error\n"),
    (["flash", "--firmware", "{fifo}", "--port", "/dev/null"], "wandctl: --firmware {fifo}: not a regular file\n"),
    (["sim", "--inject", "sense_stuck@1e9"], "wandctl: --inject 'sense_stuck@1e9': the time must be 0 to 3600 "
                                             "seconds\n"),
    (["sim", "--inject", "stall=5e6@3"], "wandctl: --inject 'stall=5e6@3': stall=5e6: at most 3600000 ms\n"),
    (["sim", "--inject", "contact_off=1e308@3"],
     "wandctl: --inject 'contact_off=1e308@3': contact_off=1e308: at most 3597 s after it\n"),
    (["status", "--timeout", "1e308", "--port", "/dev/ttyUSB-not-there"],
     "wandctl: argument --timeout: the timeout in seconds must be at most 3600, not 1e308 "
     "(see `wandctl status --help`)\n"),
    (["test", "--ramp-seconds", "1e308", "--port", "/dev/ttyUSB-not-there"],
     "wandctl: argument --ramp-seconds: the ramp time in seconds must be at most 600, not 1e308 "
     "(see `wandctl test --help`)\n"),
    (["flash", "--image", "{afile}", "--port", "/dev/null", "--baud", "0"],
     "wandctl: argument --baud: the baud rate must be from 9600 to 4000000, not 0 (see `wandctl flash --help`)\n"),
    (["bench", "--quick", "--json", "/proc/wandctl-x.json"],
     "wandctl: --json /proc/wandctl-x.json: cannot write there: No such file or directory\n"),
    (["bench", "--quick", "--json", ""], "wandctl: --json needs a file name, e.g. --json bench.json\n"),
    (["image", "--micropython", "{t}/mp.bin", "--firmware", ""],
     "wandctl: --firmware needs a folder (with boot.py, main.py and wand/), e.g. --firmware firmware\n"),
    (["sim", "--heap", "3", "--chip-dir", "{d}"], "wandctl: --chip-dir, --heap: for the virtual board only: add "
                                                  "--serve\n"),
    (["sim", "--serve", "--spi-flash", "{photo}"],
     "wandctl: --spi-flash {photo}: 5004 bytes is no flash image (2, 4, 8 or 16 MB), and the board would write "
     "over it: give a new file name, or an image a board wrote\n"),
]


@pytest.mark.parametrize("args,text", MISTAKES, ids=[" ".join(a[:2]) + " " + a[-2] for a, _ in MISTAKES])
def test_a_mistake_that_was_a_traceback_is_one_line_before_any_run(args, text, where):
    t0 = time.monotonic()
    one_error(wandctl(*[a.format(**where) for a in args], timeout=60), text.format(**where))
    assert time.monotonic() - t0 < 15  # no board booted (it used to wait 20 s for one), no fuzz ran


def test_a_plot_that_cannot_be_written_is_one_line(tmp_path):
    """As root, the path check passes for /proc (root may write anywhere), so the save itself fails: that
    is one line too, not a traceback after the run."""
    r = wandctl("sim", "--minutes", "1", "--seconds", "2", "--plot", "/proc/wandctl-test.png")
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.splitlines()[-1].startswith("wandctl: --plot /proc/wandctl-test.png: "), r.stderr


SCRIPT_MISTAKES = [
    ("5 press nosuch", "press: unknown button 'nosuch' (power, level)"),
    ("5 hold 3", "hold: unknown button '3' (power, level)"),
    ("5 press power -1", "press: '-1' is not a time in seconds above 0 (at most 3600)"),
    ("5 inject foo", "inject: unknown injection 'foo' (known: battery_critical, battery_low, clear, contact, "
                     "gain_drift, load_ohms, sense_frozen, sense_gain, sense_open, sense_stuck, short, usb)"),
    ("5 inject gain_drift", "inject: gain_drift needs a value (gain_drift=...)"),
    ("5 inject gain_drift=20", "inject: gain_drift=20: the factor must be from 0.1 to 10"),
    ("5 inject sense_open=1", "inject: sense_open takes no value"),
    ("5 inject usb=maybe", "inject: usb=on or usb=off, not 'maybe'"),
    ("5 load -3", "load: '-3' is not a load: ohms from 10 to 10000000, or skin"),
    ("5 load nan", "load: 'nan' is not a load: ohms from 10 to 10000000, or skin"),
    ("5 contact maybe", "contact on or contact off, not 'maybe'"),
    ("5 usb 1", "usb on or usb off, not '1'"),
    ("5 stall -5", "stall: '-5' is not a time in milliseconds from 0 to 3600000"),
    ("5 dance", "unknown action 'dance' (known: contact, file, flap, hold, inject, interrupt, line, load, "
                "power_cut, power_on, press, release, soft_reset, stall, type, usb)"),
    ("5 type 7g", "type: the bytes must be hex digits"),
    ("5 type " + "00" * 4097, "type: 1..4096 bytes"),
    ("5 line " + " ".join(["w"] * 33), "line takes 0..32 arguments"),
    ("inf contact off", "bad time 'inf'"),
    ("3601 contact off", "time 3601: at most 3600 s (a simulation runs at most that long)"),
]


@pytest.mark.parametrize("line,why", SCRIPT_MISTAKES, ids=[x for x, _ in SCRIPT_MISTAKES])
def test_a_bad_script_line_is_refused_before_the_run(line, why, tmp_path):
    """The same mistakes on the command line (`--inject foo@3`) were refused; in a script they ran (a bad
    button crashed the firmware to the REPL, `load -3` was ignored) with exit 0."""
    script = tmp_path / "s.script"
    script.write_text("# a user's script\n1 press power 0.2\n%s\n" % line)
    one_error(wandctl("sim", "--script", script, timeout=60),
              "wandctl: script %s line 3: %s (format: see `wandctl sim --help`)\n" % (script, why))


def test_inject_on_the_command_line_gets_the_scripts_check():
    """One vocabulary: `--inject` and a script's `inject` line are checked by simboard.script."""
    for spec, why in (("gain_drift=20@3", "gain_drift=20: the factor must be from 0.1 to 10"),
                      ("usb=maybe@3", "usb=on or usb=off, not 'maybe'"),
                      ("load_ohms=-3@3", "'-3' is not a load: ohms from 10 to 10000000, or skin")):
        one_error(wandctl("sim", "--inject", spec), "wandctl: --inject %r: %s\n" % (spec, why))


def test_doctor_port_auto_uses_the_auto_selection_not_a_port_named_auto():
    r = wandctl("doctor", "--port", "auto", "--no-probe", "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert "auto" not in [p["device"] for p in report["ports"]]
    if report["auto"]["port"] is None:  # no USB board here (the usual test machine)
        assert report["auto"]["problem"].startswith("no board found (USB serial ports: ")
    r = wandctl("doctor", "--port", "auto", "--no-probe")
    assert "--port auto: " in r.stdout and "problem: does not exist" not in r.stdout
