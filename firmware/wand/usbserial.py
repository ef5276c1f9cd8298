"""The USB serial as the console sees it: the REPL's own stdin and stdout.

Every serial the console is given has two methods:

- `read_into(buf) -> int`: copy the bytes that are ready, at most `len(buf)`,
  into `buf` and return how many (0 when nothing is ready). Never blocks.
- `write(s)`: send the text `s`.

`UsbSerial()` is that interface on the device. Reading polls `sys.stdin` with
a zero timeout and takes one byte at a time while the poll says one is ready,
so a read never waits for bytes that have not arrived. Nothing is touched
until the first call: building the object at import time would be harmless,
but the firmware never does that anyway.

Ctrl-C (0x03) never reaches the console on the device: MicroPython turns it
into KeyboardInterrupt in the main loop (that is how `mpremote` stops
`main.py`, and the app leaves the output off when it happens, SR-03).
"""

import select
import sys


class UsbSerial:
    def __init__(self, stdin=None, stdout=None):
        # sys.stdin is the REPL's stream; nothing is polled before the first read.
        self._stdin = stdin if stdin is not None else sys.stdin
        # The bytes side of stdin; its readinto is looked up once.
        self._readinto = getattr(getattr(self._stdin, "buffer", self._stdin), "readinto")
        self._out = stdout if stdout is not None else sys.stdout
        self._poll = None
        self._ipoll = None
        self._one = bytearray(1)

    def _open(self):
        poll = select.poll()
        poll.register(self._stdin, select.POLLIN)
        self._poll = poll
        # MicroPython: ipoll() iterates without building a list (no allocation).
        self._ipoll = getattr(poll, "ipoll", None)

    def _ready(self):
        poll = self._poll
        if poll is None:
            return False
        ipoll = self._ipoll
        if ipoll is not None:
            for _ in ipoll(0):
                return True
            return False
        return bool(poll.poll(0))

    def read_into(self, buf):
        if self._poll is None:
            self._open()
        one = self._one
        readinto = self._readinto
        n = 0
        size = len(buf)
        while n < size and self._ready():
            got = readinto(one)
            if not got:
                break  # end of input (host side closed)
            buf[n] = one[0]
            n += 1
        return n

    def write(self, s):
        self._out.write(s)


class FirstByte:
    """The serial with the byte that woke the console put back in front."""

    def __init__(self, serial, byte):
        self._serial = serial
        self._byte = byte

    def read_into(self, buf):
        b = self._byte
        if b >= 0:
            self._byte = -1
            buf[0] = b
            return 1
        return self._serial.read_into(buf)

    def write(self, s):
        self._serial.write(s)
