"""Run the console's MicroPython tests: micropython -X heapsize=100K run_mpy.py

Runs every `test_*` function of this folder's `test_*.py` modules and prints
`N passed, N failed`. The project-wide runner does the same over tests/**/mpy/.
"""

import gc
import os
import sys

here = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
sys.path.insert(0, here)
sys.path.insert(0, here + "/../../../firmware")

passed = 0
failed = 0
for fname in sorted(os.listdir(here)):
    if not (fname.startswith("test_") and fname.endswith(".py")):
        continue
    gc.collect()
    mod = __import__(fname[:-3])
    for name in sorted(dir(mod)):
        if not name.startswith("test_"):
            continue
        try:
            getattr(mod, name)()
            passed += 1
        except Exception as e:
            failed += 1
            print("FAIL %s.%s: %r" % (fname[:-3], name, e))
            sys.print_exception(e)
    del sys.modules[fname[:-3]]
    mod = None
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
