"""The chip link's board end: run the interpreter's chip calls on the World, take vboot's notices.

Requests arrive one a line (chiplink.py); each runs at the present instant
against the World; a ChipReset it raises (watchdog, machine.reset(),
deepsleep) resets the chip instead of being answered. The notices (`ctl`)
are vboot's: the REPL mode (the interpreter is up), code running or idle, and
soft reset.
"""

from __future__ import annotations

import os
import time

from simboard.vboard.chiplink import WORLD_LOCK, LinkError, encode_reply
from simboard.world import ChipReset

BENCH_HOLD_MS = 2500  # the level button held this long after the interpreter is up (bench power-up)


class LinkServerMixin:
    """The requests and notices the interpreter sends over the chip link."""

    def _from_link(self):
        fd = self._link_fds[0]
        try:
            data = os.read(fd, 65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            return  # the child went away; its stdout reports that
        buf = self._link_in + data
        while True:
            i = buf.find(b"\n")
            if i < 0:
                break
            line, buf = buf[:i], buf[i + 1 :]
            try:
                seq, req = self.link.request(line)
            except LinkError as e:
                self._link_in = b""
                self._send_host(b"\r\nvboard: chip link: %s\r\n" % str(e).encode())
                self._child_died()
                return
            if req[0] == "ctl":
                if self._control(req[1]):  # the chip was reset: nothing more from this child
                    self._link_in = b""
                    return
                continue
            self._advance()
            if self._child is None:
                self._link_in = b""
                return  # the watchdog fired first
            with WORLD_LOCK:
                try:
                    from simboard import world as simworld

                    simworld.attach(self.world)
                    reply = self.link.run(req)
                except ChipReset as e:
                    reply = e
                except LinkError as e:
                    reply = e
            if isinstance(reply, ChipReset):
                self._link_in = b""
                self._chip_reset(reply)
                return
            if isinstance(reply, LinkError):
                reply = ("err", "RuntimeError", (str(reply),))
            out = encode_reply(seq, reply)
            try:
                os.write(self._link_fds[1], out)
            except OSError:
                pass
        self._link_in = buf

    def _control(self, msg: str) -> bool:
        """A notice from vboot (REPL mode, code running or not, soft reset); True when it
        reset the chip."""
        parts = msg.split()
        if not parts:
            return False
        cmd = parts[0]
        if cmd == "run":
            self._code_running = True
        elif cmd == "idle":
            self._code_running = False
        elif cmd == "mode":
            self.mode = parts[1]
            self._ready.set()
            if self._bench_release:
                self._bench_release = False
                self._advance()
                with WORLD_LOCK:
                    self.world.at(self.world.now / 1000 + BENCH_HOLD_MS, "release", "level")
                    self.bench_released_at = time.monotonic() + BENCH_HOLD_MS / 1000
        elif cmd == "reset" and parts[1:] == ["soft"]:
            self._drain_child_stdout()
            self._soft_reset()
            return True
        return False
