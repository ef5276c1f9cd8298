"""The board thread: one loop that pumps the pty, the interpreter's pipes and the timers.

It plays the silicon and the USB-serial bridge: each turn waits (select) on
the pty, the interpreter's stdout/stderr and chip link, and the control
requests; moves what is there; advances the World; and boots or wakes the chip
when its time comes. Controls from other threads run on it (`_call`).
"""

from __future__ import annotations

import os
import queue
import select
import threading
import time

from simboard.vboard.errors import VirtualBoardError
from simboard.vboard.worldclock import runqueue_ns


class BoardThreadMixin:
    """The supervisor loop and the hand-over of controls to it."""

    def _call(self, fn):
        if self._thread is None or not self._thread.is_alive():
            if self._error:
                raise VirtualBoardError("the virtual board stopped: %r" % self._error)
            raise VirtualBoardError("the virtual board is not running")
        done = threading.Event()
        box: dict = {}
        self._requests.put((fn, done, box))
        os.write(self._wake_w, b"x")
        if not done.wait(30):
            raise VirtualBoardError("the virtual board did not answer")
        if "error" in box:
            raise box["error"]
        return box.get("value")

    def _loop(self):
        tid = threading.get_native_id()
        path = "/proc/self/task/%d/schedstat" % tid
        if os.path.exists(path):
            self._thread_schedstat = path
            self._thread_lag0 = runqueue_ns(path)
        try:
            while not self._stop:
                self._step()
        except BaseException as e:  # noqa: B036 - reported to the caller of the next control
            self._error = e
            raise
        finally:
            self._kill_child()

    def _step(self):
        now = time.monotonic()
        due = self._world_due()
        deadlines = [d for d in (self._boot_at, due, self._sleep_until) if d is not None]
        if self._deep_sleeping:
            deadlines.append(now + 0.02)  # watch the ext0 wake pin
        timeout = max(0.0, min(deadlines) - now) if deadlines else 0.5
        if self.uart_baud and (self._to_host or self._to_child):
            timeout = min(timeout, 0.002)
        rl = [self._master, self._wake_r]
        child = self._child
        if child is not None:
            rl += [child.stdout.fileno(), child.stderr.fileno()]
            if self._link_fds is not None:
                rl.append(self._link_fds[0])
        wl = []
        if self._to_host:
            wl.append(self._master)
        if child is not None and self._to_child:
            wl.append(child.stdin.fileno())
        try:
            r, w, _ = select.select(rl, wl, [], min(timeout, 0.5))
        except InterruptedError:
            return
        if self._wake_r in r:
            os.read(self._wake_r, 4096)
            while True:
                try:
                    fn, done, box = self._requests.get_nowait()
                except queue.Empty:
                    break
                try:
                    box["value"] = fn()
                except BaseException as e:  # noqa: B036
                    box["error"] = e
                done.set()
        if self._child is not child:
            return  # a control reset the chip: `r` holds the old interpreter's fds
        if self._master in r:
            try:
                data = os.read(self._master, 4096)
            except (BlockingIOError, InterruptedError):
                data = b""
            except OSError:
                data = b""
            if data:
                self._from_host(data)
        child = self._child
        if child is not None and self._link_fds is not None and self._link_fds[0] in r:
            self._from_link()
            if self._child is not child:
                return  # reset: the fds in `r` were the old interpreter's (their numbers are reused)
        if child is not None:
            if child.stdout.fileno() in r:
                data = os.read(child.stdout.fileno(), 65536)
                if data:
                    self._from_chip(data)
                else:
                    self._child_died()
            child = self._child
            if child is not None and child.stderr.fileno() in r:
                data = os.read(child.stderr.fileno(), 65536)
                if data:
                    self._send_host(data.replace(b"\n", b"\r\n"))
        if self._master in w and self._to_host:
            try:
                n = os.write(self._master, bytes(self._to_host[: self._uart_budget("tx", 4096)]))
                self._uart_spend("tx", n)
                del self._to_host[:n]
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                self._to_host.clear()
        child = self._child
        if child is not None and self._to_child and child.stdin.fileno() in w:
            try:
                n = os.write(child.stdin.fileno(), bytes(self._to_child[: self._uart_budget("rx", 65536)]))
                self._uart_spend("rx", n)
                del self._to_child[:n]
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                self._to_child.clear()
        now = time.monotonic()
        if self._powered and self._rom is None:
            self._advance()  # the World's due events (the watchdog among them) on the wall clock
        if self._deep_sleeping:
            if self._sleep_until is not None and now >= self._sleep_until:
                self.world.wake_reason = 4  # TIMER_WAKE
                self._wake_from_deepsleep()
            elif self._ext0_level():
                self.world.wake_reason = 2  # EXT0_WAKE
                self._wake_from_deepsleep()
        if self._boot_at is not None and now >= self._boot_at:
            self._boot_at = None
            self._boot()
