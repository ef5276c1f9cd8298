"""Session history: one record per session, bounded, survives power cuts (SR-10).

A record holds: when the session started (boot number and uptime), the
program, the lowest and highest level used, the seconds of current, the
charge delivered (µA·s, |I| integrated), the net charge (µA·s, signed: a
balanced biphasic wave keeps it near zero), the contact losses, the load
between the probes (the regulator's last estimate while current flowed, ohms;
-1 if none) and how it ended (timer, button, console, fault, battery, usb, idle; `cut` when a power cut or a
reset ended it before its end was written).

The App feeds it:
- `event(now_ms, kind, a, b)` from its event callback: session_start opens
  a record and writes it as unfinished, level and contact_lost update it,
  session_end completes it and writes it;
- `step(elapsed_ms, ua, polarity, load_ohms)` once per control tick: a few
  integer additions while a session runs (small ints: nothing is allocated).

Storage: FILE holds at most MAX lines, rewritten whole with an atomic
temp-and-rename (wand.atomicfile), only at session start and end. Power lost
at any instant leaves the old or the new file. Unreadable lines are skipped.

Line format: "<seq> <boot> <start_ms> <program> <lvl_min> <lvl_max> <current_s>
<charge_uas> <net_uas> <losses> <load_ohms> <ended>"
"""

from micropython import const

from wand import atomicfile

FILE = "history.txt"
MAX = const(16)
_SPILL = const(1000000)  # µA·ms moved into whole µA·s before a small int could overflow
CUT = "cut"  # a session whose end was never written (power cut, reset)
_FIELDS = const(12)


def parse_line(line):
    """A record dict, or None for a line that is not one."""
    p = line.split(" ")
    if len(p) != _FIELDS:
        return None
    try:
        nums = [int(x) for x in (p[0], p[1], p[2], p[4], p[5], p[6], p[7], p[8], p[9], p[10])]
    except ValueError:
        return None
    prog = p[3]
    ended = p[11]
    if not prog or not ended or len(prog) > 24 or len(ended) > 12:
        return None
    return {
        "seq": nums[0],
        "boot": nums[1],
        "start_s": nums[2] // 1000,
        "program": prog,
        "level_min": nums[3],
        "level_max": nums[4],
        "current_s": nums[5],
        "charge_uas": nums[6],
        "net_uas": nums[7],
        "contact_losses": nums[8],
        "load_ohms": nums[9] if nums[9] >= 0 else None,
        "ended": CUT if ended == "-" else ended,
    }


def _line(r):
    ohms = r["load_ohms"]
    return "%d %d %d %s %d %d %d %d %d %d %d %s\n" % (
        r["seq"], r["boot"], r["start_s"] * 1000 + r.get("_ms", 0), r["program"], r["level_min"],
        r["level_max"], r["current_s"], r["charge_uas"], r["net_uas"], r["contact_losses"],
        -1 if ohms is None else ohms, "-" if r["ended"] == CUT else r["ended"],
    )


class History:
    def __init__(self, fs):
        self.fs = fs
        self.boot = 0
        self.active = False
        self._seq = 0
        self._start_ms = 0
        self._program = ""
        self._lmin = 0
        self._lmax = 0
        self._losses = 0
        self._ohms = -1
        self._ohms_ua = 0  # the highest current the load was estimated at
        # charge: whole µA·s plus a µA·ms remainder, |I| and signed
        self._abs_uas = 0
        self._abs_uams = 0
        self._net_uas = 0
        self._net_uams = 0

    # --- reading -------------------------------------------------------------------
    def records(self):
        """The stored records, oldest first."""
        out = list(self._parsed())
        out.sort(key=lambda r: r["seq"])
        return out[-MAX:]

    def _parsed(self):
        """The file's readable records, one at a time, in file order."""
        try:
            f = self.fs.open(FILE, "rb")
        except OSError:
            return
        try:
            data = f.read()
        except OSError:
            data = b""
        finally:
            f.close()
        for raw in data.split(b"\n"):  # line by line: a bad byte costs its line only
            try:
                r = parse_line(raw.decode().strip())
            except UnicodeError:
                continue
            if r is not None:
                yield r

    def open(self, boot):
        """At boot: drop a temp file a power cut left, remember the boot number."""
        atomicfile.discard_temp(self.fs, FILE)
        self.boot = boot

    # --- the control tick ----------------------------------------------------------
    def step(self, elapsed_ms, ua, polarity, load_ohms=-1):
        """Integrate the measured current (no allocation: small-int arithmetic)."""
        if not self.active or polarity == 0 or ua <= 0:
            return
        if load_ohms >= 0 and ua * 8 >= self._ohms_ua * 7:
            # The load as estimated near the session's highest current: the
            # estimate in a ramp-down's tail reads the load-voltage sense at a
            # few mV, and a 2 kOhm load ended on record as 1774 Ohm.
            self._ohms = load_ohms
            if ua > self._ohms_ua:
                self._ohms_ua = ua
        q = ua * elapsed_ms
        a = self._abs_uams + q
        if a >= _SPILL:
            self._abs_uas += a // 1000
            a %= 1000
        self._abs_uams = a
        n = self._net_uams + (q if polarity > 0 else -q)
        if n >= _SPILL or n <= -_SPILL:
            whole = n // 1000 if n > 0 else -((-n) // 1000)
            self._net_uas += whole
            n -= whole * 1000
        self._net_uams = n

    # --- events --------------------------------------------------------------------
    def event(self, now_ms, kind, a=None, b=None):
        if kind == "session_start":
            self._begin(now_ms, a, b)
        elif not self.active:
            return
        elif kind == "level":
            n = a if isinstance(a, int) else 0
            if n and n < self._lmin:
                self._lmin = n
            if n > self._lmax:
                self._lmax = n
        elif kind == "contact_lost":
            self._losses += 1
        elif kind == "session_end":
            self._end(str(a), b if isinstance(b, int) else 0)

    def _begin(self, now_ms, program, level):
        self.active = True
        self._start_ms = now_ms
        self._program = str(program)
        self._lmin = self._lmax = level if isinstance(level, int) else 0
        self._losses = 0
        self._ohms = -1
        self._ohms_ua = 0
        self._abs_uas = self._abs_uams = self._net_uas = self._net_uams = 0
        self._store(CUT, 0)  # unfinished until its end is written

    def _end(self, why, current_s):
        self.active = False
        self._store(why, current_s)

    def _record(self, ended, current_s):
        return {
            "seq": self._seq,
            "boot": self.boot,
            "start_s": self._start_ms // 1000,
            "_ms": self._start_ms % 1000,
            "program": self._program,
            "level_min": self._lmin,
            "level_max": self._lmax,
            "current_s": current_s,
            "charge_uas": self._abs_uas + (self._abs_uams + 500) // 1000,
            "net_uas": self._net_uas + _round_div(self._net_uams, 1000),
            "contact_losses": self._losses,
            "load_ohms": self._ohms if self._ohms >= 0 else None,
            "ended": ended,
        }

    def _store(self, ended, current_s):
        """Rewrite the file with this session's record (new or updated); never raises OSError.
        The records are kept as (seq, line) while the file is rewritten, not as
        records(): 16 dicts held at once at a session's start and end (3.7 KB)."""
        try:
            recs = [(r["seq"], _line(r)) for r in self._parsed()]
            recs.sort(key=lambda x: x[0])
            recs = recs[-MAX:]
            if ended == CUT:  # a new session: the next sequence number
                self._seq = (recs[-1][0] + 1) if recs else 0
            else:
                recs = [x for x in recs if x[0] != self._seq]
            recs.append((self._seq, _line(self._record(ended, current_s))))
            recs = recs[-MAX:]
            atomicfile.write(self.fs, FILE, "".join(x[1] for x in recs))
        except (OSError, MemoryError):
            pass  # a full or failing flash never stops the wand


def _round_div(n, d):
    if n >= 0:
        return (n + d // 2) // d
    return -((-n + d // 2) // d)
