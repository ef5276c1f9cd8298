"""Bounded persistent event log that survives power loss (SR-10).

Two files used in turn, each holding at most HALF lines. An event is one line
appended to the current file (open, write, close: littlefs commits at close,
so a cut loses at most the line being written). When the current file is full
the other one is truncated and becomes current: the log holds the last
HALF..2*HALF events. Lines carry a sequence number, so the order is known
whatever the files hold; unreadable lines are skipped, never fatal.

Line format: "<seq> <boot> <t_ms> <kind> <a> <b>\n" (a/b '-' when absent).
"""

from micropython import const

HALF = const(32)
FILES = ("log0.txt", "log1.txt")
# A file of ours holds at most HALF lines of well under 128 bytes. A longer
# file is not ours: only this much of it is read, and it counts as full, so the
# next append moves on to the other file and the next turn truncates it (SR-10).
_MAX_BYTES = const(4096)
_LINE_MAX = const(128)


class EventLog:
    def __init__(self, fs):
        self.fs = fs
        self.seq = 0
        self.boot = 0
        self._cur = 0
        self._count = 0  # lines in the current file
        self._oversize = False

    def _records(self, i):
        """The readable records of file i, one at a time, read a line at a time
        (a line of ours is short; a longer one is cut, and does not parse). At
        most _MAX_BYTES are read: self._oversize says the file went on."""
        self._oversize = False
        try:
            f = self.fs.open(FILES[i], "r")
        except OSError:
            return
        n = 0
        try:
            while True:
                line = f.readline(_LINE_MAX)
                if not line:
                    break
                n += len(line)
                if n > _MAX_BYTES:
                    self._oversize = True
                    break
                rec = parse_line(line.rstrip("\n"))
                if rec is not None:
                    yield rec
        except (OSError, UnicodeError):
            pass  # unreadable lines are skipped, never fatal
        finally:
            f.close()

    def _scan(self, i):
        """(records, last seq, highest boot) of file i, keeping none of them:
        a full log is 64 records, several KB held at once at boot."""
        count, last, boot = 0, -1, None
        for r in self._records(i):
            count += 1
            last = r["seq"]
            if boot is None or r["boot"] > boot:
                boot = r["boot"]
        return count, last, boot

    def open(self):
        """Find the newest file and the next sequence number; count this boot."""
        n_a, last_a, boot_a = self._scan(0)
        full_a = self._oversize
        n_b, last_b, boot_b = self._scan(1)
        full_b = self._oversize
        if last_b > last_a:
            self._cur, self._count, last = 1, HALF if full_b else n_b, last_b
        else:
            self._cur, self._count, last = 0, HALF if full_a else n_a, last_a
        self.seq = last + 1
        if boot_a is None or (boot_b is not None and boot_b > boot_a):
            boot_a = boot_b
        self.boot = (boot_a + 1) if boot_a is not None else 1

    def append(self, t_ms, kind, a=None, b=None):
        line = "%d %d %d %s %s %s\n" % (
            self.seq,
            self.boot,
            t_ms,
            kind,
            "-" if a is None else _token(a),
            "-" if b is None else _token(b),
        )
        fs = self.fs
        if self._count >= HALF:
            self._cur ^= 1
            f = fs.open(FILES[self._cur], "w")
            self._count = 0
        else:
            f = fs.open(FILES[self._cur], "a")
        try:
            f.write(line)
        finally:
            f.close()
        self._count += 1
        self.seq += 1

    def tail(self, n):
        recs = list(self._records(0))
        recs.extend(self._records(1))
        recs.sort(key=lambda r: r["seq"])
        return recs[-n:] if n > 0 else []


def _token(v):
    s = str(v)
    return s.replace(" ", "_").replace("\n", "_") or "-"


def parse_line(line):
    parts = line.split(" ")
    if len(parts) != 6:
        return None
    try:
        seq = int(parts[0])
        boot = int(parts[1])
        t = int(parts[2])
    except ValueError:
        return None
    rec = {"seq": seq, "boot": boot, "t_ms": t, "kind": parts[3]}
    rec["a"] = None if parts[4] == "-" else parts[4]
    rec["b"] = None if parts[5] == "-" else parts[5]
    return rec
