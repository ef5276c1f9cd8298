"""Run test modules on the MicroPython unix port: every `test_*` function.

    micropython -X heapsize=100K tests/unit/mpy_runner.py tests/unit/test_x.py ...

Same files pytest runs on CPython (they use plain asserts, no fixtures).
Prints one line per failure and ends with `N passed, N failed`.
"""

import gc
import sys


def _modname(path):
    name = path.split("/")[-1]
    if name.endswith(".py"):
        name = name[:-3]
    return name


def _dirname(path):
    i = path.rfind("/")
    return path[:i] if i > 0 else "."


def main(paths):
    passed = 0
    failed = 0
    for path in paths:
        d = _dirname(path)
        if d not in sys.path:
            sys.path.insert(0, d)
        before = set(sys.modules)
        mod = __import__(_modname(path))
        names = sorted(n for n in dir(mod) if n.startswith("test_"))
        for n in names:
            fn = getattr(mod, n)
            try:
                fn()
                passed += 1
            except Exception as e:  # noqa: BLE001
                failed += 1
                print("FAIL %s::%s: %s: %s" % (path, n, type(e).__name__, e))
                sys.print_exception(e)
        # unload what this file imported: every file gets the whole 100 KB heap
        mod = None
        for name in list(sys.modules):
            if name not in before:
                del sys.modules[name]
        gc.collect()
    print("micropython: %d passed, %d failed" % (passed, failed))
    return failed


if __name__ == "__main__":
    sys.exit(1 if main(sys.argv[1:]) else 0)
