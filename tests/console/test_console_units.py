"""The console's MicroPython-compatible tests (tests/console/mpy/), run twice:
on CPython under pytest, and on the MicroPython unix port with an ESP32-sized
heap (100 KB). SR-11 unit checks live in mpy/test_console_sr11.py."""

import importlib
import pathlib
import shutil
import subprocess
import sys

import pytest

MPY_DIR = pathlib.Path(__file__).parent / "mpy"
MODULES = sorted(p.stem for p in MPY_DIR.glob("test_*.py"))


def _cases():
    for modname in MODULES:
        mod = importlib.import_module(modname)
        for name in sorted(dir(mod)):
            if name.startswith("test_"):
                yield pytest.param(getattr(mod, name), id="%s.%s" % (modname, name))


@pytest.mark.parametrize("case", list(_cases()))
def test_console_unit_on_cpython(case):
    case()


def _micropython():
    exe = pathlib.Path(sys.executable).parent / "micropython"
    if exe.exists():
        return str(exe)
    found = shutil.which("micropython")
    if not found:
        pytest.fail("the micropython unix port is missing: run `make venv`")
    return found


def test_console_units_on_micropython_100k_heap():
    proc = subprocess.run(
        [_micropython(), "-X", "heapsize=100K", str(MPY_DIR / "run_mpy.py")],
        capture_output=True, text=True, timeout=120,
    )
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    assert proc.returncode == 0, proc.stdout + proc.stderr
    passed = int(last.split()[0])
    expected = sum(
        1 for m in MODULES for line in (MPY_DIR / (m + ".py")).read_text().splitlines()
        if line.startswith("def test_")
    )
    assert last == "%d passed, 0 failed" % expected, proc.stdout
    assert passed == expected
