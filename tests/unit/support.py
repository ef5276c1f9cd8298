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


def negative_half(env_at, frac_at=lambda k, code: 1024, name="lift"):
    """One cycle of a program, tick by tick: the envelope's code at the k-th
    tick of the negative half is env_at(k) (-1 in the positive half), and
    frac_at(k, code) of each negative tick's code flows. Returns the negative
    half's codes, and the engine."""
    from wand import programs
    from wand.waveform import OutputEngine

    p = programs.find(name)
    tick = programs.tick_ms_for(p)
    eng = OutputEngine()
    eng.start(p, tick)
    codes = []
    for _ in range(100000):
        k = len(codes) if not eng.in_positive_half() else -1
        eng.step(env_at(k))
        if eng.cycles >= 1:
            break
        neg = not eng.in_positive_half()
        if neg:
            codes.append(eng.code)
        eng.account(tick * 10, eng.code, frac_at(len(codes) - 1, eng.code) if neg else 1024)
    return codes, eng
