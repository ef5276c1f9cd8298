"""The pty board's chip runs as a MicroPython child process. When the board's
supervisor is killed outright (SIGKILL: no cleanup runs), the child must end
too, not stay behind spinning on the dead link (it once did, at 100 % CPU)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from vbhelpers import REPO


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            out.append(int(d.name))
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path("/proc/%d/stat" % pid).read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_the_chip_process_ends_when_the_board_supervisor_is_killed(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "wandctl", "sim", "--serve", "--deploy",
         "--flash", str(tmp_path / "flash"), "--seed", "2"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
    )
    try:
        first = proc.stdout.readline()
        assert first.startswith("port: /dev/pts/"), first
        end = time.monotonic() + 30
        chips: list[int] = []
        while time.monotonic() < end and not chips:
            chips = [p for p in _children(proc.pid)
                     if b"micropython" in Path("/proc/%d/cmdline" % p).read_bytes()]
            time.sleep(0.2)
        assert chips, "no MicroPython child under the board"
        time.sleep(2)  # the firmware runs: its chip calls go over the link
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        end = time.monotonic() + 20
        while time.monotonic() < end and any(_alive(p) for p in chips):
            time.sleep(0.2)
        left = [p for p in chips if _alive(p)]
        for p in left:
            os.kill(p, signal.SIGKILL)
        assert not left, "the chip process outlived its supervisor"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
