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

# Hypothesis: random examples on developers' machines (they keep finding new
# cases); the same examples on every CI run (CI=true), so a landing never
# depends on luck. `HYPOTHESIS_PROFILE=ci` gives the CI behaviour locally.
import os  # noqa: E402

from hypothesis import settings as _hyp_settings  # noqa: E402

_hyp_settings.register_profile("ci", derandomize=True, print_blob=True)
_hyp_settings.register_profile("dev", print_blob=True)
_hyp_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))
