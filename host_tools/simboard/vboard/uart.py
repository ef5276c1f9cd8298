"""The UART between the pty and the chip: bytes each way, Ctrl-C, the baud-rate model.

Bytes from the host go to the ROM loader or to the interpreter's stdin (lost
while the chip is off, in reset or booting); Ctrl-C becomes SIGINT while code
runs and the interpreter catches it. Bytes to the host are kept in a bounded
buffer (dropped past OUT_LIMIT while nobody reads) and in the transcript.
"""

from __future__ import annotations

import os
import select
import signal
import time

OUT_LIMIT = 64 * 1024


class UartMixin:
    """The two byte queues of the UART (to the host, to the chip) and what feeds them."""

    def _uart_budget(self, way: str, most: int) -> int:
        """Bytes the modelled UART can move now (a token bucket of one 128-byte FIFO)."""
        if not self.uart_baud:
            return most
        bucket = self._uart[way]
        now = time.monotonic()
        bucket[0] = min(128.0, bucket[0] + (now - bucket[1]) * self.uart_baud / 10)
        bucket[1] = now
        return min(most, int(bucket[0]))

    def _uart_spend(self, way: str, n: int) -> None:
        if self.uart_baud:
            self._uart[way][0] -= n

    def _send_host(self, data: bytes):
        self._to_host += data
        if len(self._to_host) > OUT_LIMIT:  # nobody reading: the bridge drops what it cannot hold
            del self._to_host[: len(self._to_host) - OUT_LIMIT]
        self.transcript += data
        if len(self.transcript) > 1 << 20:
            del self.transcript[: len(self.transcript) - (1 << 19)]

    def _from_host(self, data: bytes):
        if self._rom is not None:
            reply = self._rom.feed(data)
            if reply:
                self._send_host(reply)
            self._after_rom()
            return
        child = self._child
        if child is None or self._boot_at is not None:
            return  # chip off, in reset or booting: the bytes are lost
        while data:
            i = data.find(b"\x03")
            if i < 0:
                self._to_child += data
                return
            self._to_child += data[:i]
            data = data[i + 1 :]
            # Ctrl-C is the keyboard interrupt only while code runs; at a REPL prompt, or while
            # the chip is still booting, it is a plain byte.
            if self._ready.is_set() and self._code_running and self._catches_sigint(child.pid):
                self._flush_to_child()
                try:
                    os.kill(child.pid, signal.SIGINT)
                except ProcessLookupError:
                    pass
            else:  # keyboard interrupt disabled (micropython.kbd_intr(-1)): a plain byte
                self._to_child += b"\x03"

    def _flush_to_child(self):
        child = self._child
        end = time.monotonic() + 0.5
        while self._to_child and child is not None and time.monotonic() < end:
            try:
                n = os.write(child.stdin.fileno(), bytes(self._to_child))
                del self._to_child[:n]
            except BlockingIOError:
                time.sleep(0.001)
            except OSError:
                self._to_child.clear()

    @staticmethod
    def _catches_sigint(pid: int) -> bool:
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("SigCgt:"):
                        return bool(int(line.split()[1], 16) & (1 << (signal.SIGINT - 1)))
        except OSError:
            pass
        return False

    def _from_chip(self, data: bytes):
        self._send_host(data)

    def _drain_child_stdout(self):
        """What the interpreter printed before it asked for the soft reset (MPY: soft reboot)."""
        child = self._child
        if child is None:
            return
        fd = child.stdout.fileno()
        while True:
            r, _, _ = select.select([fd], [], [], 0)
            if not r:
                return
            try:
                data = os.read(fd, 65536)
            except OSError:
                return
            if not data:
                return
            self._from_chip(data)

    def _flush_host_now(self):
        end = time.monotonic() + 1.0
        while self._to_host and time.monotonic() < end:
            try:
                n = os.write(self._master, bytes(self._to_host))
                del self._to_host[:n]
            except BlockingIOError:
                time.sleep(0.002)
            except OSError:
                break
