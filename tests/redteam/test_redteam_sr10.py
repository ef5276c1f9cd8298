"""SR-10 red team: hostile settings and log files (any bytes, deep nesting,
huge files, wrong types) must fall back to defaults, log an event, lose
nothing and never stop the wand from booting.

Found:
- `Settings.load` catches only ValueError from `json.loads`: a deeply nested
  file raises RecursionError on CPython and MemoryError on MicroPython; a
  300 KB settings file or a 370 KB log file (EventLog.open catches only
  OSError) raise MemoryError on the MicroPython port: `App.boot` dies, main.py
  ends, the watchdog resets the chip every second, forever (no defaults, no
  event, no session);
- a settings file that is not UTF-8 is read as "no file" by
  `atomicfile.read` (UnicodeError -> None): defaults, but no event logged.
"""

import os
import subprocess
from pathlib import Path

import pytest
from harness import ROOT, press
from rt import simulate

from wandctl import paths
from wandctl.tools import find_tool


def _flash_with(tmp, name, data):
    d = str(tmp / "flash")
    os.makedirs(d, exist_ok=True)
    p = Path(d, name)
    if isinstance(data, bytes):
        p.write_bytes(data)
    else:
        p.write_text(data)
    return d


def _boots_to_a_session(flash):
    run = simulate([press(1.0)], seconds=3, flash=flash)
    return run


def test_sr10_redteam_deeply_nested_settings_boot_loop(tmp_path):
    flash = _flash_with(tmp_path, "settings.json", "[" * 20000 + "]" * 20000)
    run = _boots_to_a_session(flash)
    assert not run.result.get("resets"), (run.result.get("resets"), run.result.get("exceptions", [])[:1])
    assert run.first("session_start") is not None


def test_sr10_redteam_binary_settings_file_is_logged(tmp_path):
    flash = _flash_with(tmp_path, "settings.json", bytes(range(256)) * 4)
    run = _boots_to_a_session(flash)
    assert run.first("session_start") is not None
    log = Path(flash, "log0.txt").read_text()
    assert "settings_invalid" in log, log


MP = Path(find_tool("micropython"))  # the one tool finder: the venv's pinned port first


@pytest.mark.skipif(not MP.exists(), reason="needs the MicroPython unix port (make venv)")
@pytest.mark.parametrize(
    "name,make",
    [
        ("settings.json", lambda: '{"x": "' + "a" * 300000 + '"}'),
        ("log0.txt", lambda: "".join("%d 1 0 boot x y\n" % i for i in range(20000))),
        ("settings.json", lambda: "[" * 20000 + "]" * 20000),
    ],
    ids=["settings_300KB", "log_370KB", "settings_deep_json"],
)
def test_sr10_redteam_huge_files_on_micropython_boot_loop(name, make, tmp_path):
    flash = _flash_with(tmp_path, name, make())
    script = tmp_path / "user.script"
    script.write_text("1.0 press power 0.2\n")
    cmd = [
        str(MP),
        "-X",
        "heapsize=400K",
        str(ROOT / "host_tools" / "simboard" / "runner.py"),
        "--firmware",
        str(ROOT / "firmware"),
        "--flash",
        flash,
        "--seconds",
        "3",
        "--script",
        str(script),
        "--trace-ms",
        "500",
    ]
    out = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=240,
        env=paths.micropython_env(),
        cwd=str(ROOT),
    )
    lines = out.stdout.splitlines()
    resets = [x for x in lines if x.startswith("R ")]
    starts = [x for x in lines if x.startswith("E ") and " session_start " in x]
    assert not resets and starts, (resets, [x for x in lines if x.startswith("X ")][:1])


@pytest.mark.parametrize(
    "text",
    [
        '{"level": NaN, "user_max_ua": Infinity}',
        '{"level": 1' + "0" * 5000 + "}",
        '{"user_max_ua": 100, "user_max_ua": 600}',
        '{"level": 3.0, "user_max_ua": 1e3, "session_min": 21, "cal_gain_na": 99999}',
        '{"level": "9", "program": 5, "mute": 1}',
        '\ufeff{"level": 9}',
        '{"x": "' + "a" * 200000 + '"}',
        "[1, 2, 3]",
        "",
    ],
)
def test_sr10_redteam_hostile_parseable_files_fall_back_and_log(text, tmp_path):
    """Passing (CPython): defaults for every bad field, an event, a session
    starts, and no hard limit is raised (true peak <= 500 µA)."""
    flash = _flash_with(tmp_path, "settings.json", text)
    run = simulate([press(1.0)], seconds=3, flash=flash, settings=None)
    assert not run.result.get("resets")
    assert run.first("session_start") is not None
    assert "settings_invalid" in Path(flash, "log0.txt").read_text()
    assert run.stats()["peak_ua"] <= 500


def test_sr10_redteam_garbage_log_files_are_skipped(tmp_path):
    """Passing: a log of random bytes, huge numbers and wrong field counts does
    not stop the boot, and new events are appended after it."""
    junk = (bytes(range(1, 256)) + b"\n99999999999999999999999 1 0 x - -\n1 2\n\xff\xfe\n") * 20
    flash = _flash_with(tmp_path, "log0.txt", junk)
    Path(flash, "log1.txt").write_text("-5 x 0 boot - -\n" * 40)
    run = simulate([press(1.0)], seconds=3, flash=flash)
    assert not run.result.get("resets")
    assert run.first("session_start") is not None
