"""Test setup shared by every folder: firmware and host_tools on sys.path, and
MicroPython's `micropython` module stand-in on CPython (const() is identity)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT / "firmware", ROOT / "host_tools", ROOT / "tests" / "core"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

if "micropython" not in sys.modules:
    from simboard import upy

    sys.modules["micropython"] = upy
