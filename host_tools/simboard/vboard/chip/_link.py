"""The child's end of the chip link (see simboard/vboard/chiplink.py).

Requests go out as `<seq> <repr>\n` on the fd in VBOARD_LINK_W; replies come
back on VBOARD_LINK_R (non-blocking: poll, then read what is there). A reply
whose sequence number is not the current one was left unread by a Ctrl-C and
is skipped. The link is opened when this module is imported, before the flash
folder becomes the VFS root.
"""

import os
import select

_r = open(int(os.getenv("VBOARD_LINK_R")), "rb")
_w = open(int(os.getenv("VBOARD_LINK_W")), "wb")
_poll = select.poll()
_poll.register(_r, select.POLLIN)
_buf = bytearray(4096)
_pending = [b""]
_seq = [0]


class _Reset(BaseException):
    pass


def ctl(msg):
    """A notice for the supervisor (no reply)."""
    _w.write(b"0 " + repr(("ctl", msg)).encode() + b"\n")


def _orphaned():
    """The supervisor went away (killed): nothing will ever answer again. End
    this process (the unix port has no os._exit; the shell's $PPID is this
    process), or at least stop using the CPU: an EOF pipe polls ready at once,
    so waiting on it would spin."""
    os.system("kill -KILL $PPID 2>/dev/null")
    idle = select.poll()
    while True:
        idle.poll(-1)  # nothing registered: sleeps


def _line():
    while True:
        p = _pending[0]
        i = p.find(b"\n")
        if i >= 0:
            _pending[0] = p[i + 1:]
            return p[:i]
        _poll.poll(-1)
        n = _r.readinto(_buf)
        if n is None:
            continue
        if n == 0:
            _orphaned()
        _pending[0] = p + bytes(_buf[:n])


_ERRORS = {
    "ValueError": ValueError,
    "TypeError": TypeError,
    "OSError": OSError,
    "RuntimeError": RuntimeError,
    "AttributeError": AttributeError,
    "OverflowError": OverflowError,
    "IndexError": IndexError,
    "KeyError": KeyError,
    "SystemExit": SystemExit,
    "NotImplementedError": NotImplementedError,
}


def call(*req):
    s = _seq[0] + 1
    _seq[0] = s
    _w.write(b"%d %s\n" % (s, repr(req).encode()))
    key = b"%d " % s
    while True:
        line = _line()
        if line.startswith(key):
            break
    rep = eval(line[len(key):].decode())
    if rep[0] == "ok":
        return rep[1]
    raise _ERRORS.get(rep[1], RuntimeError)(*rep[2])
