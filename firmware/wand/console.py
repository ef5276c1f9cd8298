"""Line console on the USB serial (protocol: docs/console.md) (SR-11).

`Console(target, serial)`; the app calls `console.poll(now_ms)` once per
control tick. Each poll does at most one tick's worth of work:

- reads what the serial has ready (never waits), at most `_RX` bytes, into a
  preallocated buffer, and assembles lines with `LineReader` (128 bytes max);
- handles AT MOST ONE complete line, queueing exactly one reply line for it:
  `ok <json>` or `err <code> <message>`;
- writes at most `_TX_CHUNK` bytes of queued output, and no faster than a
  115200-baud UART drains (`_TX_BYTES_PER_MS`), so a write never waits for the
  wire on the ESP32, whose REPL UART has no TX buffer beyond its 128-byte FIFO
  (a long reply leaves over several ticks; no new line is taken while a reply is still leaving, so the
  queue stays bounded and nothing waits on the wire);
- while streaming, queues one telemetry line `~ t=.. set=.. meas=.. st=..`
  when it is due and the queue is empty (otherwise that sample is dropped).

The target is the App (docs/architecture.md, "Console target"). Every call
into it is guarded: an exception becomes `err internal ...` and never reaches
the control loop. The console offers nothing that feeds or stops the watchdog
or raises a hard limit; start/level/clear are refused here unless the target
reports bench mode, and the target refuses them again (SR-09, SR-11).

With no input, no stream and nothing queued, a poll allocates nothing.

Only the line handling, the replies' framing and `status`/`faults` stay
loaded (heap: the bytecode of an imported module lives in the chip's RAM).
Every other command's handler is in a small module (wand/con_*.py) imported
when its line arrives and dropped from `sys.modules` once its reply is
queued, so the resident console is small and the peak is the resident part
plus one handler module (docs/console.md, "Memory").
"""

import gc
import json
import sys

from micropython import const

from wand.linereader import BADBYTE, LINE, NONE, TOOLONG, LineReader

PROTOCOL = const(1)
PRODUCT = "microwand"

MAXLEN = const(128)  # longest accepted line, terminator excluded
_RX = const(64)  # bytes read from the serial per tick at most
_TX_CHUNK = const(96)  # bytes written per tick at most (about 8 ms at 115200 baud)
_TX_BYTES_PER_MS = const(11)  # 115200 baud, 10 bits per byte: 11.5 bytes per ms

# Error codes (docs/console.md). A target's error string may start with one
# of them ("denied not in bench mode"); otherwise the command's default is used.
ERR_CODES = ("unknown", "arg", "toolong", "badbyte", "busy", "denied", "state", "internal")

# The commands, sorted: name, its handler module (index into _MODS; 0: here),
# (min args << 4) | max args, and its usage (the `err arg` reply and `help`).
_NAMES = ("calibrate", "clear", "faults", "get", "hello", "help", "history", "level", "log", "reboot", "repl",
          "selftest", "set", "start", "status", "stop", "stream")
_MOD = b"\x04\x03\x00\x01\x01\x02\x01\x03\x01\x04\x04\x01\x04\x03\x00\x03\x05"
_ARGS = b"\x11\x00\x00\x01\x00\x00\x01\x11\x01\x00\x00\x00\x28\x00\x00\x00\x12"
USAGE = ("OHMS", "", "", "[NAME]", "", "", "[n]", "N", "[n]", "", "", "", "NAME VALUE", "", "", "", "on [hz] | off")
_MODS = (None, "con_info", "con_help", "con_bench", "con_admin", "con_stream")

_MPY = sys.implementation.name == "micropython"




def _one_line(text):
    """Message text safe to put on one line: no CR/LF/control bytes, bounded."""
    s = str(text)
    out = []
    for ch in s[:200]:
        o = ord(ch)
        out.append(ch if 32 <= o < 127 else " ")
    return "".join(out).strip() or "-"


def _parse_int(text, lo, hi):
    """int in [lo, hi] or None. Plain decimal digits with an optional sign."""
    t = text
    if t[:1] in ("-", "+"):
        t = t[1:]
    if not t or len(t) > 9 or not t.isdigit():
        return None
    v = int(text)
    if v < lo or v > hi:
        return None
    return v


def _exc_text(e):
    return "%s: %s" % (type(e).__name__, e)


def load(name):
    """Import wand.<name> (a handler module) for one use; `drop(name)` after it."""
    full = "wand." + name
    __import__(full)
    return sys.modules[full]


def drop(name):
    """Forget wand.<name>: its code is freed once nothing uses it any more."""
    full = "wand." + name
    if full in sys.modules:
        del sys.modules[full]
    pkg = sys.modules.get("wand")
    if pkg is not None and hasattr(pkg, name):
        delattr(pkg, name)


class Console:
    def __init__(self, target, serial, maxlen=MAXLEN):
        self._target = target
        self._serial = serial
        self._reader = LineReader(maxlen)
        self._maxlen = maxlen
        self._rx = bytearray(_RX)
        self._rx_pos = 0
        self._rx_end = 0
        self._tx = []  # queued output text, oldest first
        self._tx_off = 0  # bytes of _tx[0] already written
        self._tx_credit = _TX_CHUNK  # bytes the wire can take now (token bucket)
        self._tx_last = 0  # when the credit was last topped up
        self._stream_ms = 0  # telemetry period; 0 = off
        self._stream_next = 0
        self._dropped = 0  # telemetry samples dropped for a busy line
        self._calibrating = None  # while a calibration runs: its per-tick poll (wand.con_admin)
        self._cal_since = 0
        self._action = None  # reboot/repl answered: its per-tick step (wand.con_admin)
        self._action_at = 0
        self._action_armed = False
        self._action_repl = False
        self.lines = 0  # complete lines answered
        self.errors = 0  # of which answered with err
        self.internal = 0  # exceptions caught (target or console)
        self._tx.append("# microwand console, protocol %d: type help\r\n" % PROTOCOL)

    # ------------------------------------------------------------------ tick
    def poll(self, now_ms):
        """One tick of console work. Never raises (except BaseException)."""
        try:
            self._poll(now_ms)
        except Exception as e:  # a bug here must not reach the control loop
            self.internal += 1
            self._tx_off = 0
            self._tx.clear()
            self._reader.clear()
            self._rx_pos = self._rx_end
            self._stream_ms = 0
            try:
                self._tx.append("# console error, stream stopped: %s\r\n" % _one_line(_exc_text(e)))
            except Exception:
                pass

    def _poll(self, now_ms):
        if self._action is not None:  # reboot/repl pending (wand.con_admin)
            self._action(self, now_ms)
            return
        if self._calibrating is not None:  # a calibration runs (wand.con_admin)
            self._calibrating(self, now_ms)
        if not self._tx:
            self._take_line(now_ms)
        if self._stream_ms and now_ms - self._stream_next >= 0:
            self._telemetry(now_ms)
        if self._tx:
            self._drain(now_ms)

    def _take_line(self, now_ms):
        if self._rx_pos >= self._rx_end:
            n = self._serial.read_into(self._rx)
            self._rx_pos = 0
            self._rx_end = n if n and n > 0 else 0
            if not self._rx_end:
                return
        reader = self._reader
        self._rx_pos = reader.feed(self._rx, self._rx_pos, self._rx_end)
        kind = reader.result()
        if kind == NONE:
            return
        try:
            reply = self._answer(kind, now_ms)
        finally:
            reader.clear()
        self.lines += 1
        if reply is not None:
            self._queue(reply)

    def _drain(self, now_ms):
        credit = self._tx_credit
        gap = now_ms - self._tx_last
        self._tx_last = now_ms
        if gap > 0:
            credit += gap * _TX_BYTES_PER_MS
            if credit > _TX_CHUNK:
                credit = _TX_CHUNK
        tx = self._tx
        while tx:  # a reply is queued in pieces ("ok ", its JSON, CRLF): as many as the credit takes
            head = tx[0]
            off = self._tx_off
            left = len(head) - off
            if left <= credit:
                chunk = head if off == 0 else head[off:]
                tx.pop(0)
                self._tx_off = 0
                credit -= left
            elif credit >= 16 or credit == _TX_CHUNK:
                chunk = head[off : off + credit]
                self._tx_off = off + credit
                credit = 0
            else:
                break  # too little room this tick: wait for more
            if chunk:
                self._serial.write(chunk)
        self._tx_credit = credit

    def _queue(self, reply):
        """A reply: text, or the pieces `_ok` made (queued as they are: no copy of a long reply)."""
        tx = self._tx
        if isinstance(reply, tuple):
            for piece in reply:
                tx.append(piece)
        else:
            tx.append(reply)
        tx.append("\r\n")

    def busy(self):
        """True while read input waits, output is queued, a calibration runs or an action waits."""
        return (self._rx_pos < self._rx_end or bool(self._tx) or self._calibrating is not None
                or self._action is not None)

    def streaming_hz(self):
        return 1000 // self._stream_ms if self._stream_ms else 0

    # -------------------------------------------------------------- replies
    def _ok(self, obj):
        """The reply `ok <json>`, as two pieces (see _queue)."""
        return ("ok ", json.dumps(obj))

    def _err(self, code, message):
        self.errors += 1
        return "err %s %s" % (code, _one_line(message))

    def _target_err(self, text, default):
        """An error string from the target: a leading known code is used."""
        msg = _one_line(text)
        word = msg.split(" ", 1)
        code = word[0].rstrip(":")
        if code in ERR_CODES and len(word) == 2:
            return self._err(code, word[1])
        return self._err(default, msg)

    def _answer(self, kind, now_ms):
        if kind == TOOLONG:
            return self._err("toolong", "line longer than %d bytes, ignored" % self._maxlen)
        if kind == BADBYTE:
            return self._err(
                "badbyte",
                "byte 0x%02x in line: only printable ASCII, line ignored" % self._reader.bad_byte(),
            )
        if kind != LINE:
            return self._err("internal", "line reader state %d" % kind)
        words = self._reader.line().split()
        name = words[0]
        if self._calibrating is not None:
            return self._err("busy", "calibration running: wait for its reply, then send " + name)
        if name not in _NAMES:
            return self._err("unknown", "no command %s: send help for the list" % name[:24])
        i = _NAMES.index(name)
        args = words[1:]
        if len(args) < _ARGS[i] >> 4 or len(args) > _ARGS[i] & 15:
            usage = USAGE[i]
            return self._err("arg", "usage: %s %s" % (name, usage) if usage else "usage: " + name)
        mod = _MODS[_MOD[i]]
        try:
            if mod is None:
                return self._here(name, args)
            try:
                return load(mod).run(self, name, args, now_ms)
            finally:
                drop(mod)
                if _MPY:  # the module's code and what it built: freed now, not in a later tick
                    gc.collect()
        except Exception as e:
            self.internal += 1
            return self._err("internal", _exc_text(e))

    # ------------------------------------------------------------- commands
    def _here(self, name, args):
        """The commands kept loaded: `status` (a host polls it) and `faults`."""
        if name == "status":
            return self._ok(self._target.status())
        return self._ok({"faults": list(self._target.fault_history())})

    def _bench_only(self):
        """None when the target reports bench mode, else the err reply (con_bench, con_admin)."""
        st = self._target.status()
        if st.get("bench") is True:
            return None
        return self._err("denied", "bench mode only (SR-09): hold the level button while powering up")

    # ------------------------------------------------------------ telemetry
    def _telemetry(self, now_ms):
        period = self._stream_ms
        nxt = self._stream_next + period
        if now_ms - nxt >= 0:
            nxt = now_ms + period  # fell behind: do not burst to catch up
        self._stream_next = nxt
        if self._tx:
            self._dropped += 1
            return
        try:
            tel = self._target.telemetry()
            if len(tel) > 4:  # the load in ohms (-1: not measured); one string per line
                line = "~ t=%d set=%d meas=%d st=%s ohm=%d\r\n" % (int(tel[0]), int(tel[1]), int(tel[2]), tel[3],
                                                                   int(tel[4]))
            else:
                line = "~ t=%d set=%d meas=%d st=%s\r\n" % (int(tel[0]), int(tel[1]), int(tel[2]), tel[3])
        except Exception as e:
            self.internal += 1
            self._stream_ms = 0
            line = "# stream stopped: %s\r\n" % _one_line(_exc_text(e))
        self._tx.append(line)

