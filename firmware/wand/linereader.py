"""Bounded line assembly for the console (SR-11).

`LineReader(maxlen)` is fed bytes as they arrive (any split: a line may come
in many reads, a read may hold many lines). `feed(data, start, end)` consumes
bytes up to and including the first line terminator it finds, and stops there,
so the caller handles at most one line per call and keeps the rest of its
buffer for the next tick. `result()` then says what the line was:

- `LINE`: a complete line of printable ASCII (tabs count as spaces), at most
  `maxlen` bytes, whitespace at both ends stripped, never empty;
- `TOOLONG`: a line longer than `maxlen`; the excess was discarded up to its
  terminator and the whole line is reported once;
- `BADBYTE`: a line holding a byte outside printable ASCII (NUL, control
  characters, bytes 0x80..0xFF); reported once for the whole line.

Blank lines (only spaces) produce nothing. CR, LF and CRLF all end a line
(CRLF counts once, even when split between two reads). Nothing here
allocates except `line()`, which builds the text of a complete line.
"""

from micropython import const

NONE = const(0)
LINE = const(1)
TOOLONG = const(2)
BADBYTE = const(3)

_CR = const(13)
_LF = const(10)
_TAB = const(9)
_SPACE = const(32)
_DEL = const(127)


class LineReader:
    def __init__(self, maxlen=128):
        self._maxlen = maxlen
        self._buf = bytearray(maxlen)
        self._mv = memoryview(self._buf)
        self._n = 0  # bytes of the current line kept in _buf
        self._over = False  # current line passed maxlen: discard to its end
        self._bad = False  # current line holds a byte outside printable ASCII
        self._after_cr = False  # last byte seen was CR: a following LF is part of it
        self._result = NONE
        self._start = 0  # first non-blank byte of the completed line
        self._end = 0  # one past its last non-blank byte
        self._bad_byte = 0  # first offending byte of a BADBYTE line

    @property
    def maxlen(self):
        return self._maxlen

    def pending(self):
        """Bytes of an unfinished line held so far (0 when between lines)."""
        return self._n

    def feed(self, data, start=0, end=-1):
        """Consume `data[start:end]` up to the first completed line.

        Returns the index one past the last byte consumed; when it is less
        than `end`, a line is complete and the rest is for the next call.
        Call `result()` after it; call `clear()` once the line is handled.
        """
        if end < 0:
            end = len(data)
        if self._result != NONE:
            return start  # the previous line has not been taken yet
        buf = self._buf
        maxlen = self._maxlen
        i = start
        while i < end:
            b = data[i]
            i += 1
            if b == _LF or b == _CR:
                if b == _LF and self._after_cr:
                    self._after_cr = False
                    continue  # second half of CRLF
                self._after_cr = b == _CR
                if self._finish():
                    return i
                continue
            self._after_cr = False
            if self._over:
                continue
            if b == _TAB:
                b = _SPACE
            elif b < _SPACE or b >= _DEL:
                if not self._bad:
                    self._bad = True
                    self._bad_byte = b
            if self._n >= maxlen:
                self._over = True
                continue
            buf[self._n] = b
            self._n += 1
        return i

    def _finish(self):
        """A terminator arrived: decide what the line was. True if reportable."""
        n = self._n
        over = self._over
        bad = self._bad
        self._n = 0
        self._over = False
        self._bad = False
        if over:
            self._result = TOOLONG
            return True
        if bad:
            self._result = BADBYTE
            return True
        buf = self._buf
        s = 0
        while s < n and buf[s] == _SPACE:
            s += 1
        e = n
        while e > s and buf[e - 1] == _SPACE:
            e -= 1
        if s == e:
            return False  # blank line: nothing to answer
        self._start = s
        self._end = e
        self._result = LINE
        return True

    def result(self):
        return self._result

    def bad_byte(self):
        """The first offending byte of the last BADBYTE line."""
        return self._bad_byte

    def line(self):
        """Text of the completed LINE (allocates: call only when there is one)."""
        if self._result != LINE:
            return ""
        return str(bytes(self._mv[self._start : self._end]), "ascii")

    def clear(self):
        """The completed line was handled: ready for the next one."""
        self._result = NONE

    def reset(self):
        """Drop everything, including an unfinished line."""
        self._n = 0
        self._over = False
        self._bad = False
        self._after_cr = False
        self._result = NONE

    def lines(self, data):
        """Generator over every outcome in `data`: (kind, text or None).

        For tests and host-side use; the console uses `feed` so that it can
        stop after one line per tick.
        """
        pos = 0
        end = len(data)
        while True:
            pos = self.feed(data, pos, end)
            kind = self._result
            if kind == NONE:
                return
            text = self.line() if kind == LINE else None
            self.clear()
            yield kind, text
