"""The supervisor's end of the chip link: simboard's chip and plant behind a pipe.

The firmware runs in a MicroPython child; the chip (simboard's `machine` and
`esp32`, strict as the ESP32 port) and the physics (simboard's `World` and its
plant) run here, on the wall clock. The child's `machine`/`esp32` modules
(chip/machine.py, chip/esp32.py) forward every call over a pipe pair that is
separate from the UART stream (stdin/stdout), one request per line:

    child:  <seq> <repr of a tuple>\n
            ("new", "Pin", args, kwargs)           -> handle (int)
            ("call", handle, "value", args, kwargs) -> the method's value
            ("fn", "machine", "reset_cause", args, kwargs)
            ("consts",)                            -> class constants
            ("ctl", "mode raw")                    (no reply: REPL mode, run/idle, soft reset)
    board:  <seq> ("ok", value) | ("err", "ValueError", args)\n

Peripheral objects travel as {"@": handle}. A ChipReset (watchdog,
machine.reset(), deepsleep) is not answered: the supervisor ends the child, as
the chip stops mid-instruction. Replies carry the request's sequence number so
a reply left unread by a Ctrl-C (KeyboardInterrupt between write and read) is
skipped by the next call.

`simboard.world.attach()` is process-wide, so every use of a world here holds
WORLD_LOCK (several boards may run in one process, e.g. in tests).
"""

from __future__ import annotations

import ast
import threading

from simboard import esp32 as sim_esp32
from simboard import machine as sim_machine
from simboard import world as simworld

WORLD_LOCK = threading.RLock()
CLASSES = ("Pin", "DAC", "ADC", "PWM", "WDT", "RTC")
MODULES = {"machine": sim_machine, "esp32": sim_esp32}
FUNCTIONS = {
    "machine": ("reset_cause", "wake_reason", "reset", "soft_reset", "deepsleep", "lightsleep", "unique_id",
                "freq", "disable_irq", "enable_irq"),
    "esp32": ("wake_on_ext0",),
}
ERRORS = {"ValueError", "TypeError", "OSError", "RuntimeError", "AttributeError", "OverflowError", "IndexError",
          "KeyError", "SystemExit", "NotImplementedError"}


class LinkError(Exception):
    """The child sent something that is not a request."""


def constants() -> dict:
    out = {}
    for name in CLASSES:
        cls = getattr(sim_machine, name)
        out[name] = {k: v for k, v in vars(cls).items() if k.isupper() and isinstance(v, int)}
    out["machine"] = {k: v for k, v in vars(sim_machine).items() if k.isupper() and isinstance(v, int)}
    out["esp32"] = {k: v for k, v in vars(sim_esp32).items() if k.isupper() and isinstance(v, (int, bool))}
    return out


class ChipLink:
    """Runs the child's requests against one World (the caller holds WORLD_LOCK and
    has brought the world's clock up to now)."""

    def __init__(self, world):
        self.world = world
        self.objs: dict[int, object] = {}
        self.handles: dict[int, int] = {}  # id(obj) -> handle
        self._next = 1
        self.calls = 0

    def new_boot(self):
        self.objs.clear()
        self.handles.clear()

    def _in(self, v):
        if isinstance(v, dict) and "@" in v:
            try:
                return self.objs[v["@"]]
            except KeyError:
                raise LinkError("unknown object %r" % v) from None
        if isinstance(v, (list, tuple)):
            return type(v)(self._in(x) for x in v)
        return v

    def _out(self, v):
        if isinstance(v, (sim_machine.Pin, sim_machine.DAC, sim_machine.ADC, sim_machine.PWM, sim_machine.WDT,
                          sim_machine.RTC)):
            return {"@": self._keep(v)}
        if isinstance(v, (list, tuple)):
            return type(v)(self._out(x) for x in v)
        return v

    def _keep(self, obj) -> int:
        h = self.handles.get(id(obj))
        if h is None:
            h = self._next
            self._next += 1
            self.objs[h] = obj
            self.handles[id(obj)] = h
        return h

    def request(self, line: bytes):
        """(seq, request tuple) from one line; LinkError when it is not one."""
        try:
            seq_s, body = line.decode("utf-8").split(" ", 1)
            req = ast.literal_eval(body)
            seq = int(seq_s)
        except (ValueError, SyntaxError, UnicodeDecodeError) as e:
            raise LinkError("bad request %r: %s" % (line[:80], e)) from None
        if not isinstance(req, tuple) or not req or not isinstance(req[0], str):
            raise LinkError("bad request %r" % (line[:80],))
        return seq, req

    def run(self, req):
        """The reply tuple for one request (not for ctl). ChipReset propagates."""
        self.calls += 1
        op = req[0]
        shape = {"consts": 1, "new": 4, "call": 5, "fn": 5}
        if len(req) != shape.get(op, -1) or not all(isinstance(x, (tuple, list)) for x in req[-2:-1]):
            raise LinkError("malformed request %r" % (req,))
        if op in ("new", "call", "fn") and not isinstance(req[-1], dict):
            raise LinkError("malformed request %r" % (req,))
        try:
            if op == "consts":
                return ("ok", constants())
            if op == "new":
                _, cls, args, kw = req
                if cls not in CLASSES:
                    raise LinkError("no class %r" % cls)
                obj = getattr(sim_machine, cls)(*self._in(args), **self._in(kw))
                return ("ok", self._keep(obj))
            if op == "call":
                _, h, meth, args, kw = req
                if meth.startswith("_"):
                    raise LinkError("no method %r" % meth)
                obj = self._in({"@": h})
                return ("ok", self._out(getattr(obj, meth)(*self._in(args), **self._in(kw))))
            if op == "fn":
                _, mod, name, args, kw = req
                if name not in FUNCTIONS.get(mod, ()):
                    raise LinkError("no function %s.%s" % (mod, name))
                return ("ok", self._out(getattr(MODULES[mod], name)(*self._in(args), **self._in(kw))))
            raise LinkError("unknown op %r" % op)
        except simworld.ChipReset:
            raise
        except SystemExit:  # machine.soft_reset(): the port raises SystemExit
            return ("err", "SystemExit", ())
        except LinkError:
            raise
        except Exception as e:  # the chip's own error, raised again in the child
            name = type(e).__name__
            if name not in ERRORS:
                name = "RuntimeError"
            args = tuple(a if isinstance(a, (int, str, float, bytes)) else str(a) for a in e.args)
            return ("err", name, args)


def encode_reply(seq: int, reply) -> bytes:
    return b"%d %s\n" % (seq, repr(reply).encode("utf-8"))
