"""The friendly REPL's line editor, as the ESP32 port builds it, for vboot.py.

The ESP32 port's friendly REPL reads lines with MicroPython's readline
(shared/readline) with auto-indent and the emacs keys on, and decides from
py/repl.c's rule whether a statement needs another line. A person typing at
the virtual board meets the same behaviour, byte for byte on the wire:

- printable characters are echoed; Enter is CR only (a lone LF is ignored);
- after a line that ends in `:`, or inside an indented block, the next `... `
  prompt already holds the indentation (4 spaces a level), echoed; a space
  right after such an indent takes 3 of the 4 back, a tab keeps it; a line
  of nothing but the indent, after a line that was not, indents again; two
  such lines in a row end the auto-indent, so an empty line ends the block;
- backspace takes one character, or 4 spaces when the line so far is only
  spaces: the cursor steps back (`\\b`) and the rest of the line is erased
  (`ESC [K`);
- Ctrl-A..Ctrl-E on an empty line, and Ctrl-C anywhere, end the line with that
  character (the REPL acts on it); Ctrl-U kills the line; a tab after
  whitespace inserts 4 spaces;
- the up and down arrows (and Ctrl-P, Ctrl-N) walk the last 8 lines.

Not modelled: moving the cursor inside a line (left/right arrows, home, end,
word moves are read and ignored, the cursor stays at the end) and tab
completion of names.

MicroPython code (runs in the unix port next to vboot.py).
"""

HISTORY_SIZE = 8
_ENABLED = 1  # auto-indent on for this statement
_JUST_ADDED = 2  # the last thing done was an auto-indent
_SPACE = b" \t\n\r\x0b\x0c"
_COMPOUND = ("if", "while", "for", "try", "with", "def", "class", "async")


def continue_with_input(text):
    """Does this statement need another line? (py/repl.c's rule, restated.)"""
    if not text:
        return False
    compound = text[0] == "@"
    if not compound:
        for word in _COMPOUND:
            if text.startswith(word) and (len(text) == len(word) or not _ident(text[len(word)])):
                compound = True
                break
    opened = [0, 0, 0]  # ( [ { still open, outside quotes
    quote = ""  # the open quote: ' " ''' or """
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c in "'\"":
            if text[i:i + 3] == c * 3 and quote in ("", c * 3):
                quote = "" if quote else c * 3
                i += 2
            elif quote in ("", c):
                quote = "" if quote else c
        elif c == "\\" and i + 1 < n and text[i + 1] in "'\"\\":
            if quote:
                i += 1
        elif not quote:
            k = "([{".find(c)
            if k >= 0:
                opened[k] += 1
            k = ")]}".find(c)
            if k >= 0:
                opened[k] -= 1
        i += 1
    if len(quote) == 3:
        return True
    if max(opened) > 0 and not quote:
        return True
    if text[-1] == "\\":
        return True
    return compound and text[-1] != "\n"


def _ident(c):
    return c == "_" or c.isalpha() or c.isdigit() or ord(c) >= 128


class LineEditor:
    """readline(): one line into a statement buffer, echoing as the chip does."""

    def __init__(self, getc, write):
        self.getc = getc  # () -> one byte as an int
        self.write = write  # bytes -> None, raw to the UART
        self.history = []
        self.state = 0

    def _back(self, n):
        if n <= 0:
            return
        if n <= 4:
            self.write(b"\b" * n)
        else:
            self.write(b"\x1b[%dD" % n)

    def _auto_indent(self, line):
        if not self.state & _ENABLED or len(line) < 2 or line[-1] != 10:
            return
        start = len(line) - 1  # the start of the line just ended
        while start > 0 and line[start - 1] != 10:
            start -= 1
        first = start  # its first character that is not a space
        while first < len(line) and line[first] == 32:
            first += 1
        if start > 0 and first + 1 == len(line):  # only spaces, and not the first line
            k = start - 1
            while k > 0:
                if line[k - 1] == 10:  # the line before it was only spaces too
                    return
                if line[k - 1] != 32:
                    break
                k -= 1
        levels = (first - start) // 4 + (1 if line[-2] == 58 else 0)  # 58: ':'
        for _ in range(levels):
            line.extend(b"    ")
            self.write(b"    ")
            self.state |= _JUST_ADDED

    def _push_history(self, text):
        if text and (not self.history or self.history[0] != text):
            self.history.insert(0, text)
            del self.history[HISTORY_SIZE:]

    def _replace(self, line, start, text):
        """Put `text` in place of the line being typed, redrawn as readline does."""
        old = len(line)
        self._back(old - start)
        line[start:] = text
        if len(line) < old:
            self.write(b"\x1b[K")
        self.write(bytes(line[start:]))

    def readline(self, line, prompt):
        """Read one line onto `line` (a bytearray: the statement so far). Returns 0 on Enter,
        or the control character that ended it (Ctrl-A..Ctrl-E on an empty line, Ctrl-C)."""
        start = len(line)
        self.write(prompt)
        if start == 0:
            self.state = _ENABLED
        self._auto_indent(line)
        hist = -1
        esc = 0  # 1: ESC, 2: ESC [, 3: ESC [ digit, 4: ESC O
        while True:
            c = self.getc()
            just = self.state & _JUST_ADDED
            self.state &= ~_JUST_ADDED
            walk = 0  # +1 an older history line, -1 a newer one
            if esc == 1:
                esc = 2 if c == 91 else 4 if c == 79 else 0
                continue
            if esc == 2:
                if 48 <= c <= 57:
                    esc = 3
                    continue
                esc = 0
                walk = 1 if c == 65 else -1 if c == 66 else 0
            elif esc in (3, 4):
                esc = 0
                continue
            elif 1 <= c <= 5 and len(line) == start:
                return c
            elif c == 3:
                return c
            elif c == 13:
                self.write(b"\r\n")
                self._push_history(bytes(line[start:]))
                return 0
            elif c == 27:
                esc = 1
                continue
            elif c in (8, 127):
                if len(line) > start:
                    spaces = len(line) - start
                    for b in line[start:]:
                        if b != 32:
                            spaces = 0
                            break
                    n = 4 if spaces >= 4 else 1
                    line[len(line) - n:] = b""
                    self._back(n)
                    self.write(b"\x1b[K")
                continue
            elif just and c in (9, 32):
                self.state = 0  # no auto-indent for the rest of this statement
                if c == 32:
                    line[len(line) - 3:] = b""
                    self._back(3)
                continue
            elif c == 9:
                if line and line[-1] in _SPACE:
                    line.extend(b"    ")
                    self.write(b"    ")
                continue
            elif c == 21:  # Ctrl-U: kill the line
                if len(line) > start:
                    self._replace(line, start, b"")
                continue
            elif c in (16, 14):  # Ctrl-P, Ctrl-N
                walk = 1 if c == 16 else -1
            elif 32 <= c <= 126:
                line.append(c)
                self.write(bytes((c,)))
                continue
            if walk == 1 and hist + 1 < len(self.history):
                hist += 1
                self._replace(line, start, self.history[hist])
            elif walk == -1 and hist >= 0:
                hist -= 1
                self._replace(line, start, self.history[hist] if hist >= 0 else b"")
