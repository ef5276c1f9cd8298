"""SR-11 fuzz of the console's line reader and parser (hypothesis).

Random bytes, over-long lines, lines split at any point, control characters,
binary junk and malformed commands go in; the properties checked are SR-11's:

- nothing escapes `Console.poll` (and the console caught no error of its own);
- every complete, non-blank line gets exactly one reply line (`ok`/`err`);
- bad input changes no state (target state before == after, no mutating call);
- the tick budget holds: per poll at most one line is handled, at most 64
  bytes are read and at most 96 written.

The same properties are checked against the real App on the simulated board
in test_console_app_e2e.py (`test_sr11_fuzz_against_the_real_app`).
"""

from __future__ import annotations

import re

from console_fakes import MUTATORS, FakeSerial, FakeTarget
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from wand.console import Console
from wand.linereader import BADBYTE, LINE, TOOLONG, LineReader

MAXLEN = 128

# Lines that must be refused without any effect (bench mode is on, so a
# well-formed start/level/set would be allowed: these are all malformed).
BAD_COMMANDS = [
    b"start now", b"stop please", b"level", b"level x", b"level 3 4", b"level -", b"clear all",
    b"set", b"set user_max_ua", b"set hard_ceiling_ua 900", b"set nope 1", b"set user_max_ua lots",
    b"set user_max_ua 900", b"calibrate", b"calibrate -5", b"calibrate 10k", b"calibrate 0",
    b"stream", b"stream on 0", b"stream on 51", b"stream sideways", b"log 0", b"log 99", b"log x",
    b"reboot now", b"repl please", b"START", b"Start", b"feed", b"wdt off", b"watchdog stop",
    b"hello world", b"status 1", b"help me", b"get a b",
]
READ_ONLY = [b"hello", b"status", b"log", b"log 5", b"faults", b"get", b"get user_max_ua", b"help",
             b"stream on 50", b"stream off", b"selftest"]
JUNK_BYTES = st.binary(min_size=0, max_size=300)
CONTROL = st.sampled_from([b"\x00", b"\x1b", b"\x03", b"\x04", b"\x7f", b"\xff", b"\x08", b"\t", b"\x1b[A"])
TERMINATOR = st.sampled_from([b"\n", b"\r", b"\r\n", b"\n\r"])


@st.composite
def stream_bytes(draw):
    parts = []
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.integers(0, 5))
        if kind == 0:
            body = draw(st.sampled_from(BAD_COMMANDS))
        elif kind == 1:
            body = draw(st.sampled_from(READ_ONLY))
        elif kind == 2:
            body = draw(JUNK_BYTES)
        elif kind == 3:
            body = draw(st.sampled_from(BAD_COMMANDS + READ_ONLY)) + b"x" * draw(st.integers(100, 400))
        elif kind == 4:
            cmd = draw(st.sampled_from(BAD_COMMANDS + READ_ONLY))
            cut = draw(st.integers(0, len(cmd)))
            body = cmd[:cut] + draw(CONTROL) + cmd[cut:]
        else:
            body = b" " * draw(st.integers(0, 3)) + draw(st.sampled_from(READ_ONLY)) + b"\t"
        parts.append(body + draw(TERMINATOR))
    if draw(st.booleans()):
        parts.append(draw(JUNK_BYTES.filter(lambda b: b"\n" not in b and b"\r" not in b)))  # partial line
    return b"".join(parts)


@st.composite
def chunked(draw, data):
    """`data` cut at random points: how the bytes arrive over the wire."""
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=20)))
    pieces, prev = [], 0
    for c in cuts + [len(data)]:
        pieces.append(data[prev:c])
        prev = c
    return pieces


def expected_outcomes(data: bytes) -> list[int]:
    """What a reader must report for `data`: a reference model, not the reader."""
    pieces = re.split(rb"\r\n|\r|\n", data)
    pieces.pop()  # no terminator yet: not a line
    out = []
    for p in pieces:
        if len(p) > MAXLEN:
            out.append(TOOLONG)
        elif any(b != 9 and (b < 32 or b >= 127) for b in p):
            out.append(BADBYTE)
        elif p.replace(b"\t", b" ").strip(b" "):
            out.append(LINE)
    return out


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_sr11_line_reader_reports_every_line_once_whatever_the_split(data):
    raw = data.draw(stream_bytes())
    pieces = data.draw(chunked(raw))
    reader = LineReader(MAXLEN)
    got = []
    for piece in pieces:
        for kind, text in reader.lines(piece):
            got.append(kind)
            if kind == LINE:
                assert text and len(text) <= MAXLEN
                assert all(32 <= ord(c) < 127 for c in text)
                assert text == text.strip()
    assert got == expected_outcomes(raw)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=200), max_size=30))
def test_sr11_line_reader_survives_random_bytes(chunks):
    reader = LineReader(MAXLEN)
    total = 0
    for c in chunks:
        total += len(list(reader.lines(c)))
        assert reader.pending() <= MAXLEN
    assert total == len(expected_outcomes(b"".join(chunks)))


class BudgetSerial(FakeSerial):
    """FakeSerial that records the bytes moved in each poll."""

    def __init__(self, pieces, max_read):
        super().__init__()
        self.pieces = list(pieces)
        self.max_read = max_read
        self.read_now = 0
        self.written_now = 0

    def read_into(self, buf):
        if not self.inbox and self.pieces:
            self.send(self.pieces.pop(0))
        n = super().read_into(buf)
        self.read_now += n
        return n

    def write(self, s):
        self.written_now += len(s)
        super().write(s)


def run_fuzz_session(console, serial_, target_calls, snapshot, max_ticks=20000):
    """Poll until all input is consumed and answered; check the per-tick budget.

    Returns the reply lines (ok/err), in order.
    """
    before = snapshot()
    t = 0
    idle = 0
    total_written = 0
    for _ in range(max_ticks):
        serial_.read_now = serial_.written_now = 0
        calls_before = len(target_calls())
        console.poll(t)  # must not raise
        t += 10
        assert serial_.read_now <= 64
        assert serial_.written_now <= 96
        total_written += serial_.written_now
        assert total_written <= 96 + 11 * t  # never faster than a 115200-baud UART drains
        handled = target_calls()[calls_before:]
        assert sum(1 for c in handled if c != "telemetry") <= 2  # one command (+ its bench check)
        if not serial_.pieces and not serial_.inbox and not console.busy():
            idle += 1
            if idle > 3:
                break
        else:
            idle = 0
    else:
        raise AssertionError("the console did not finish the input")
    lines = serial_.text().split("\r\n")
    assert lines[-1] == ""
    after = snapshot()
    assert after == before, "bad input changed state"
    return [x for x in lines if x.startswith("ok ") or x.startswith("err ")], lines


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_sr11_console_fuzz_one_reply_per_line_no_state_change_tick_budget(data):
    raw = data.draw(stream_bytes())
    # A cut plus an inserted newline can spell a real command ("repl please"
    # -> "repl\n"): that is good input, not bad, and it does change state.
    assume(not any(p.strip(b" \t") in (b"repl", b"reboot") for p in re.split(rb"\r\n|\r|\n", raw)[:-1]))
    pieces = data.draw(chunked(raw))
    max_read = data.draw(st.integers(1, 64))
    target = FakeTarget(bench=True)
    serial_ = BudgetSerial(pieces, max_read)
    console = Console(target, serial_)
    replies, lines = run_fuzz_session(console, serial_, lambda: target.calls, target.snapshot)
    assert len(replies) == len(expected_outcomes(raw))
    # Malformed commands never reach an action; a well-formed `set` with a bad
    # value does reach the target, which refuses it (state is unchanged above).
    assert [c for c in target.calls if c in MUTATORS and c != "settings_set"] == []
    assert console.internal == 0
    for line in lines:
        assert line == "" or line[:3] in ("ok ", "err", "~ t", "# m"), line
        assert len(line) < 4096


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_sr11_console_fuzz_target_exceptions_never_escape(data):
    """A target method that raises still yields one reply per line (err internal)."""
    raw = data.draw(stream_bytes())
    pieces = data.draw(chunked(raw))
    target = FakeTarget(bench=True)
    target.raise_in = data.draw(st.sampled_from(
        ["hello", "status", "log_tail", "fault_history", "selftest", "settings_get", "settings_set",
         "telemetry"]))
    serial_ = BudgetSerial(pieces, data.draw(st.integers(1, 64)))
    console = Console(target, serial_)
    replies, lines = run_fuzz_session(console, serial_, lambda: target.calls, target.snapshot)
    assert len(replies) == len(expected_outcomes(raw))
    for r in replies:
        if r.startswith("err internal"):
            assert "boom in " + target.raise_in in r
