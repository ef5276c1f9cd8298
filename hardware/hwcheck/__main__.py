"""python -m hwcheck (with hardware/ on the path): see hwcheck.cli."""

import sys

from .cli import main

sys.exit(main())
