"""Console command `stream on [hz]` / `stream off` (loaded for one line by wand.console)."""

from micropython import const

from wand.console import _parse_int

_HZ_DEFAULT = const(10)
_HZ_MAX = const(50)


def run(con, name, args, now_ms):
    mode = args[0]
    if mode == "off":
        if len(args) > 1:
            return con._err("arg", "usage: stream on [hz] | stream off")
        con._stream_ms = 0
        return con._ok({"stream": False, "dropped": con._dropped})
    if mode != "on":
        return con._err("arg", "usage: stream on [hz] | stream off")
    hz = _HZ_DEFAULT
    if len(args) > 1:
        hz = _parse_int(args[1], 1, _HZ_MAX)
        if hz is None:
            return con._err("arg", "stream on [hz]: hz is a whole number from 1 to %d" % _HZ_MAX)
    con._stream_ms = 1000 // hz
    con._stream_next = now_ms + con._stream_ms  # first sample after the reply (uptime: never wraps)
    con._dropped = 0
    return con._ok({"stream": True, "hz": hz})
