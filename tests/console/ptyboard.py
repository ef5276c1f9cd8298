"""A scripted console on a pty for end-to-end tests of wandctl's rendering.

It exposes `port` (the slave device path that wandctl opens with pyserial)
and is a context manager. Tests that need a board (firmware, chip, plant)
use the one simulated board on a pty, simboard.vboard.VirtualBoard.

- `ThreadBoard(make_board)`: the firmware's own `Console` driven in a thread at
  a 10 ms tick, its serial being the pty master. `make_board(serial)` returns
  an object with `tick(now_ms)` (which must call the console's poll): the
  Console over a scripted target (tests/cli/test_console_host_e2e.py).
"""

from __future__ import annotations

import os
import select
import threading
import time
import tty


def _openpty_raw():
    master, slave = os.openpty()
    tty.setraw(slave)
    return master, slave


class PtySerial:
    """The console-side serial on a pty master fd: read_into / write."""

    def __init__(self, fd: int):
        self.fd = fd
        self.written = 0

    def read_into(self, buf) -> int:
        r, _, _ = select.select([self.fd], [], [], 0)
        if not r:
            return 0
        try:
            data = os.read(self.fd, len(buf))
        except OSError:
            return 0
        buf[: len(data)] = data
        return len(data)

    def write(self, s) -> None:
        data = s.encode() if isinstance(s, str) else bytes(s)
        while data:
            n = os.write(self.fd, data)
            data = data[n:]
            self.written += n


class ThreadBoard:
    def __init__(self, make_board, tick_ms: int = 10):
        self.master, self.slave = _openpty_raw()
        self.port = os.ttyname(self.slave)
        self.serial = PtySerial(self.master)
        self.board = make_board(self.serial)
        self.tick_ms = tick_ms
        self.error: BaseException | None = None
        self.ticks = 0
        self.lock = threading.Lock()  # held while a tick runs; tests take it to inspect state
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        start = time.monotonic()
        try:
            while not self._stop.is_set():
                now_ms = int((time.monotonic() - start) * 1000)
                with self.lock:
                    self.board.tick(now_ms)
                    self.ticks += 1
                time.sleep(self.tick_ms / 1000.0)
        except BaseException as e:  # surfaced by the test through .error
            self.error = e

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)
        os.close(self.master)
        os.close(self.slave)
