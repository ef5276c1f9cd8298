"""Helpers for the core tests that run on both CPython and MicroPython."""

import os

_n = [0]


def tmpdir(tag):
    """A fresh, empty folder under /tmp (no tempfile module on MicroPython)."""
    try:
        import time

        stamp = time.ticks_us() if hasattr(time, "ticks_us") else int(time.time() * 1e6)
    except ImportError:
        stamp = 0
    _n[0] += 1
    path = "/tmp/wandtest-%s-%d-%d-%d" % (tag, os.getpid() if hasattr(os, "getpid") else 0, stamp, _n[0])
    rmtree(path)
    os.mkdir(path)
    return path


def rmtree(path):
    try:
        names = os.listdir(path)
    except OSError:
        return
    for name in names:
        full = path + "/" + name
        try:
            os.remove(full)
        except OSError:
            rmtree(full)
    try:
        os.rmdir(path)
    except OSError:
        pass


def raises(exc_type, fn, *args):
    try:
        fn(*args)
    except exc_type as e:
        return e
    raise AssertionError("%s not raised" % exc_type.__name__)
