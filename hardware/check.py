#!/usr/bin/env python3
"""`make hardware-check`: simulate the microwand analog path in ngspice and check
it against the safety requirements. The work is in the hwcheck package beside
this file (hardware/hwcheck/); this is its command-line entry.

    .venv/bin/python hardware/check.py [--json PATH] [--no-readme]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hwcheck.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
