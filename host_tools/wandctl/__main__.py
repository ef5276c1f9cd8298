import sys

from wandctl.cli import main

sys.exit(main())
