"""Console tests on CPython: the firmware and the MicroPython-compatible tests on sys.path.

Firmware modules import `micropython.const`; on CPython a tiny stand-in is
installed unless another conftest already provided one.
"""

import pathlib
import sys
import types

ROOT = pathlib.Path(__file__).resolve().parents[2]
for p in (ROOT / "firmware", ROOT / "tests" / "console" / "mpy", ROOT / "host_tools"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

if "micropython" not in sys.modules:
    try:
        import micropython  # noqa: F401  (a shim elsewhere on the path)
    except ImportError:
        shim = types.ModuleType("micropython")
        shim.const = lambda x: x  # type: ignore[attr-defined]
        sys.modules["micropython"] = shim
