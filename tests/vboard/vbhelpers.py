"""Helpers for the virtual-board tests: real clients in subprocesses, versions of the real firmware."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
FIRMWARE = REPO / "firmware"
BIN = Path(sys.executable).parent


def wandctl(*args, timeout=120, user=None, check=False, stdin=None):
    """Run the real `wandctl` CLI in a subprocess (stdin: text fed to it)."""
    proc = subprocess.run(
        [sys.executable, "-m", "wandctl", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        user=user,
        cwd=REPO,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            "wandctl %s failed (%d):\n%s\n%s" % (args, proc.returncode, proc.stdout, proc.stderr)
        )
    return proc


def mpremote(port, *args, timeout=60):
    return subprocess.run(
        [str(BIN / "mpremote"), "connect", port, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def esptool(port, *args, timeout=120):
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "esptool",
            "--port",
            port,
            "--before",
            "no-reset",
            "--after",
            "no-reset",
            "--no-stub",
            *map(str, args),
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_user_error(proc, *phrases):
    """Exit code 1, one `wandctl: ...` message that contains the phrases, no traceback."""
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert not any(ln.startswith("Traceback") for ln in proc.stderr.splitlines()), proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("wandctl: ")]
    assert lines, proc.stderr
    msg = lines[-1]
    for phrase in phrases:
        assert phrase.lower() in msg.lower(), (phrase, msg)
    return msg


def make_firmware(dest: Path, version: str = "fixture-1", pad_kb: int = 0) -> Path:
    """A copy of the real firmware (firmware/) that reports `version` in its hello,
    with `pad_kb` of extra modules so that a deploy of this version moves more bytes.

    Only wand/__init__.py (VERSION) and the padding differ between versions, so a
    deploy from one version to another copies those and nothing else."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(FIRMWARE, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    init = dest / "wand" / "__init__.py"
    text = init.read_text()
    stamped = re.sub(r'^VERSION = ".*"$', 'VERSION = "%s"' % version, text, count=1, flags=re.M)
    assert stamped != text or '"%s"' % version in text, "firmware/wand/__init__.py has no VERSION line"
    init.write_text(stamped)
    for i in range(pad_kb // 4):
        # distinct modules so a deploy of this version moves many files
        (dest / "wand" / ("pad%02d.py" % i)).write_text(
            "DATA = %r\n" % (("%s-%d-" % (version, i)) * 400)[:4000]
        )
    return dest


def wait_for(predicate, timeout=20.0, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %s" % what)
