"""Simulated `time` module of MicroPython (ESP32 port), on the world's virtual clock.

ticks_ms/ticks_us/ticks_cpu wrap at TICKS_PERIOD = 2**30 exactly as
MicroPython's do; ticks_diff/ticks_add follow extmod/modtime.c (including the
OverflowError of ticks_add). Sleeping is where virtual time passes: scheduled
events, the watchdog and the end of the run happen there.
"""

from simboard import world as _w

_MASK = _w.TICKS_MAX
_HALF = _w.TICKS_HALF


_world = _w.enter  # every call into the chip: the world, its clock advanced


def ticks_ms():
    w = _world()
    return ((w.now - w.tick_origin) // 1000) & _MASK


def ticks_us():
    w = _world()
    return (w.now - w.tick_origin) & _MASK


def ticks_cpu():
    w = _world()
    return ((w.now - w.tick_origin) * (w.cpu_hz // 1000000)) & _MASK


def ticks_diff(end, start):
    w = _w._current
    if w is not None and w.halt is not None:
        w.raise_halt()
    return ((end - start + _HALF) & _MASK) - _HALF


def ticks_add(ticks, delta):
    w = _w._current
    if w is not None and w.halt is not None:
        w.raise_halt()
    if not (-_HALF < delta < _HALF):
        raise OverflowError("ticks interval overflow")
    return (ticks + delta) & _MASK


def sleep_ms(ms):
    w = _world()
    if isinstance(ms, float):
        raise TypeError("can't convert float to int")
    if ms > 0:
        w.sleep_us(ms * 1000)


def sleep_us(us):
    w = _world()
    if isinstance(us, float):
        raise TypeError("can't convert float to int")
    if us > 0:
        w.sleep_us(us)


def sleep(seconds):
    w = _world()
    if seconds > 0:
        w.sleep_us(int(seconds * 1000000))


def time():
    w = _world()
    return w.epoch_s + w.now // 1000000


def time_ns():
    w = _world()
    return (w.epoch_s * 1000000 + w.now) * 1000


def gmtime(secs=None):
    if secs is None:
        secs = time()
    from simboard import civil  # loaded on first use: most firmware never calls it

    return civil.civil(secs)


localtime = gmtime
