"""Red-team scenarios: the real firmware on the simulated board, judged on the
TRUE load current (the plant's view), never on what the firmware reports.

Reuses tests/system/harness.py (in-process runs with a 10 ms sampler) and
tests/console/appboard.py (the real App with a console on a fake serial)."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for p in (HERE.parent / "system", HERE.parent / "console"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))
