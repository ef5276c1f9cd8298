"""Talk to a board over its serial port for a deploy: reach the plain REPL, run a raw-REPL session.

`to_plain_repl()` stops the firmware (Ctrl-C, or its console's `repl`); `Session` is an mpremote
raw-REPL transport whose files go through mpremote's fs_* API, plus two helpers loaded on the
board (`_DEVICE_LIB`: the package's sha256 listing in one exec, the on-board copy); it raises
`BoardReset` when the board resets under it. `wait_hello()` waits for the restarted firmware to
answer `hello` on its console.
"""

from __future__ import annotations

import contextlib
import io
import json
import time

from wandctl.errors import WandctlError
from wandctl.serialport import open_transport

HELLO_TIMEOUT_S = 20.0

# What mpremote's transport API has no call for, or where its call would cross the serial line
# once per file: the package's sha256 listing in one exec (fs_hashfile is three execs per file,
# which at 115200 baud cost a full deploy more than mpremote's whole copy; `wandctl bench`'s
# deploy ratios) and the copy of an unchanged file from the live package into the stage, on the
# board. Everything else goes through mpremote's fs_* calls (Session below).
_DEVICE_LIB = r"""
import os, hashlib, binascii
def _walk(d, out):
    try:
        it = list(os.ilistdir(d))
    except OSError:
        if _kind(d) == 0:
            out.append(d)
        return
    for e in it:
        p = d.rstrip('/') + '/' + e[0]
        if e[1] & 0x4000:
            _walk(p, out)
        else:
            out.append(p)
def _kind(p):
    try:
        return 1 if os.stat(p)[0] & 0x4000 else 0
    except OSError:
        return -1
def _sha(p):
    h = hashlib.sha256()
    b = bytearray(512)
    with open(p, 'rb') as f:
        while True:
            n = f.readinto(b)
            if not n:
                break
            h.update(b if n == 512 else b[:n])
    return binascii.hexlify(h.digest()).decode()
def _hashes(tops):
    out = []
    for t in tops:
        _walk(t, out)
    for p in out:
        print('H', p, _sha(p))
def _cp(a, b):
    buf = bytearray(512)
    with open(a, 'rb') as f:
        with open(b, 'wb') as g:
            while True:
                n = f.readinto(buf)
                if not n:
                    break
                g.write(buf if n == 512 else buf[:n])
"""


class BoardReset(Exception):
    """The board reset under us (watchdog, brown-out): start a new session."""


def serial_exception():
    import serial

    return serial.SerialException


def _read_until(ser, endings, timeout, quiet=None):
    """Read until the data ends with one of `endings` (then `quiet` s of silence), or timeout."""
    data = bytearray()
    end = time.monotonic() + timeout
    last = time.monotonic()
    while time.monotonic() < end:
        try:
            chunk = ser.read(ser.in_waiting or 1)
        except (OSError, serial_exception()) as e:
            raise WandctlError("lost the serial port %s: %s" % (ser.port, e)) from None
        if chunk:
            data += chunk
            last = time.monotonic()
            continue
        if any(data.endswith(e) for e in endings):
            if quiet is None or time.monotonic() - last >= quiet:
                return bytes(data), True
    return bytes(data), any(data.endswith(e) for e in endings)


# The raw REPL's prompt: on entering it, and after each command's output
_RAW_ENDS = (b"raw REPL; CTRL-B to exit\r\n>", b"\x04\x04>")


def to_plain_repl(ser, timeout: float = 15.0) -> str:
    """Bring the board to the friendly REPL with no firmware running. Returns how."""
    saved = ser.timeout
    ser.timeout = 0.05
    try:
        return _to_plain_repl(ser, timeout)
    finally:
        ser.timeout = saved


def _to_plain_repl(ser, timeout: float) -> str:
    ser.reset_input_buffer()
    ser.write(b"\r\x03")
    data, ok = _read_until(ser, [b">>> ", *_RAW_ENDS], 2.0, quiet=0.15)
    if data.endswith(_RAW_ENDS) or not data.strip():
        # A raw REPL left open (a client that died in it, or a resume from one): its prompt
        # says nothing to Ctrl-C, and Ctrl-B takes it to the friendly REPL.
        ser.write(b"\r\x02")
        more, ok = _read_until(ser, [b">>> "], 2.0, quiet=0.15)
        data += more
    if b"rst:" in data or b"ets " in data:  # the firmware hard-reset into maintenance mode
        if not ok:
            more, ok = _read_until(ser, [b">>> "], timeout, quiet=0.15)
            data += more
        how = "interrupted the firmware (Ctrl-C: output off, hard reset into the REPL)"
    elif b"output off and locked" in data:  # wand.entry.leave(): no reset
        how = "interrupted the firmware (Ctrl-C: output off and locked, watchdog relaxed, no reset)"
    else:
        how = "the board was at the REPL"
    if not ok:
        # A console that ignores Ctrl-C: ask it for the REPL with its own command.
        ser.write(b"\r\nrepl\r\n")
        more, ok = _read_until(ser, [b">>> "], timeout, quiet=0.15)
        data += more
        how = "asked the firmware console for `repl`"
    if not ok:
        tail = data[-300:].decode("utf-8", "replace").strip()
        raise WandctlError(
            "the board on %s does not reach the MicroPython REPL (it answered: %r). Is it "
            "running MicroPython? Press its reset button and try again, or flash MicroPython "
            "with `wandctl flash`" % (ser.port, tail or "nothing")
        )
    return how


class Session:
    """An mpremote SerialTransport in raw REPL, with our helper functions loaded on the board."""

    def __init__(self, port: str):
        from mpremote.transport import TransportError

        self._TransportError = TransportError
        self.t = open_transport(port)
        # mpremote reads a pty (the virtual board) without checking in_waiting first: with no
        # read timeout a board that resets mid-command would block it forever.
        self.t.serial.timeout = 2.0
        self.port = port
        self.how = ""

    @staticmethod
    def _quiet():
        """mpremote prints what the board said before some errors: keep it off our stdout (--json)."""
        return contextlib.redirect_stdout(io.StringIO())

    def start(self):
        try:
            self.how = to_plain_repl(self.t.serial)
            with self._quiet():
                self.t.enter_raw_repl(soft_reset=False)
            self.exec(_DEVICE_LIB)
        except self._TransportError as e:
            raise BoardReset(str(e)) from None

    def exec(self, code: str, timeout: float = 8) -> bytes:

        try:
            with self._quiet():
                out, err = self.t.exec_raw(code, timeout=timeout)
        except self._TransportError as e:
            raise BoardReset(str(e)) from None
        except OSError as e:
            raise WandctlError("lost the serial port %s: %s" % (self.port, e)) from None
        if err:
            text = err.decode("utf-8", "replace")
            if "NameError" in text and "_" in text:  # our helpers are gone: the board reset
                raise BoardReset(text)
            raise WandctlError("the board failed a deploy step: %s" % text.strip().splitlines()[-1])
        if b"rst:" in out:
            raise BoardReset("the board reset")
        return out

    def eval(self, expr: str):
        return json.loads(self.exec("import json\nprint(json.dumps(%s))" % expr).decode())

    # --- files, through mpremote's transport API (fs_*) -------------------------------------
    def _fs(self, what: str, path: str, call, *args):
        """One of mpremote's fs_* calls, with a deploy's errors: the board reset (BoardReset), a
        file-system error on the board (WandctlError, with the path)."""
        from mpremote.transport import TransportExecError

        try:
            with self._quiet():
                return call(*args)
        except self._TransportError as e:
            raise BoardReset(str(e)) from None
        except TransportExecError as e:
            raise WandctlError("the board could not %s %s: %s" % (what, path, str(e).strip()[-200:])) from None
        except OSError as e:  # mpremote turns the board's OSError into a host OSError
            raise WandctlError("the board could not %s %s: %s" % (what, path, e)) from None

    def kind(self, path: str) -> str | None:
        """'dir', 'file', or None when nothing is at `path` (fs_stat)."""
        try:
            with self._quiet():
                st = self.t.fs_stat(path)
        except self._TransportError as e:
            raise BoardReset(str(e)) from None
        except OSError:
            return None
        return "dir" if st.st_mode & 0x4000 else "file"

    def mkdirs(self, path: str) -> None:
        """Make `path` and its parents (fs_stat, fs_mkdir)."""
        cur = ""
        for part in path.strip("/").split("/"):
            cur += "/" + part
            if self.kind(cur) is None:
                self._fs("make the folder", cur, self.t.fs_mkdir, cur)

    def rmtree(self, path: str) -> None:
        """Remove `path` and all below it, if it exists (fs_listdir, fs_rmfile, fs_rmdir)."""
        k = self.kind(path)
        if k == "file":
            self._fs("remove", path, self.t.fs_rmfile, path)
        elif k == "dir":
            for e in self._fs("list", path, self.t.fs_listdir, path):
                self.rmtree(path.rstrip("/") + "/" + e.name)
            self._fs("remove the folder", path, self.t.fs_rmdir, path)

    def rename(self, old: str, new: str) -> None:
        """os.rename on the board: the atomic step of a switch (mpremote's API has no rename)."""
        self.exec("import os\nos.rename(%r, %r)" % (old, new))

    def hashfile(self, path: str) -> str | None:
        """The sha256 of one file on the board, hex (fs_hashfile), or None when it is missing."""
        if self.kind(path) != "file":
            return None
        return self._fs("read", path, self.t.fs_hashfile, path, "sha256").hex()

    def hashes(self, tops: list[str]) -> dict[str, str]:
        """sha256 of every file under `tops` (folders walked), in one exec (_DEVICE_LIB)."""
        out = self.exec("_hashes(%r)" % (tops,)).decode()
        result = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0] == "H":
                result[parts[1]] = parts[2]
        return result

    def write_file(self, path: str, data: bytes, progress=None):
        from mpremote.transport import TransportExecError

        try:
            with self._quiet():
                self._write_b64(path, data, progress)
        except self._TransportError as e:
            raise BoardReset(str(e)) from None
        except TransportExecError as e:
            if "NameError" in str(e):  # the session's state is gone: the board reset
                raise BoardReset(str(e)) from None
            raise WandctlError("the board could not write %s: %s" % (path, str(e).strip()[-200:])) from None
        except OSError as e:  # mpremote turns the board's OSError into a host OSError
            raise WandctlError(
                "the board could not write %s: %s (is its filesystem full? `mpremote connect "
                "%s df`)" % (path, e, self.port)
            ) from None

    def _write_b64(self, path: str, data: bytes, progress=None, chunk: int = 1536):
        """mpremote's fs_writefile sends repr(bytes): a .mpy is mostly non-printable, so that is
        up to 4 bytes on the wire per byte. Base64 through the same transport (exec) is 1.33.

        Each chunk is one line the board compiles, so it needs a free block of a few times its
        size. After the real firmware was interrupted (no reset) the heap is fragmented: 3072-byte
        chunks (4 KB lines) failed with MemoryError there, and every new session failed the same
        way (tests/cli/test_deploy.py's cut-off test, once it ran the real firmware)."""
        import binascii

        from mpremote.transport import TransportExecError, _convert_filesystem_error

        try:
            self.t.exec("f=open(%r,'wb')\nw=f.write\nfrom binascii import a2b_base64 as _d" % path)
            for i in range(0, len(data), chunk):
                b64 = binascii.b2a_base64(data[i : i + chunk], newline=False).decode()
                self.t.exec("w(_d(%r))" % b64)
                if progress:
                    progress(min(i + chunk, len(data)))
            self.t.exec("f.close()")
        except TransportExecError as e:
            raise _convert_filesystem_error(e, path) from None

    def reset_board(self):
        try:
            with self._quiet():
                self.t.exec_raw_no_follow("import machine\nmachine.reset()")
        except self._TransportError:
            pass

    def resume_firmware(self):
        """Nothing changed: start main.py again in the REPL's globals (boot.py's BOOT_DAC is
        still there), with no reset. The firmware re-arms its 1000 ms watchdog itself.
        From the friendly REPL, as after a boot: started from the raw REPL, the firmware
        would leave back into it, and the next client would find a raw `>` prompt."""
        ser = self.t.serial
        saved = ser.timeout
        ser.timeout = 0.05  # (with the session's 2 s, the wait for quiet took 2 s)
        try:
            with self._quiet():
                self.t.exit_raw_repl()
            _read_until(ser, [b">>> "], 2.0, quiet=0.1)
            ser.write(b"exec(open('main.py').read())\r")
        except (OSError, serial_exception(), self._TransportError):
            pass
        finally:
            ser.timeout = saved

    def close(self):
        try:
            self.t.close()
        except OSError:
            pass


def wait_hello(port: str, timeout: float = HELLO_TIMEOUT_S) -> dict:
    """Open the port and send `hello` until the firmware's console answers `ok {...}`."""
    from wandctl.serialport import open_serial

    end = time.monotonic() + timeout
    ser = None
    while ser is None:
        try:
            ser = open_serial(port, timeout=0.1)
        except WandctlError:
            if time.monotonic() > end:
                raise
            time.sleep(0.2)
    seen = bytearray()
    sent = 0
    try:
        next_hello = 0.0
        line = bytearray()
        while time.monotonic() < end:
            now = time.monotonic()
            if now >= next_hello:
                ser.write(b"hello\n")
                sent += 1
                next_hello = now + 0.25
            try:
                chunk = ser.read(ser.in_waiting or 1)
            except (OSError, serial_exception()) as e:
                raise WandctlError("lost the serial port %s: %s" % (port, e)) from None
            if not chunk:
                continue
            seen += chunk
            for b in chunk:
                if b == 10:
                    text = line.decode("utf-8", "replace").strip()
                    line = bytearray()
                    if text.startswith("ok {"):
                        try:
                            reply = json.loads(text[3:])
                        except ValueError:
                            continue
                        if "protocol" in reply:
                            if sent > 1:  # answers to the other hellos may still come: not the next client's
                                _drain(ser)
                            return reply
                else:
                    line.append(b)
    finally:
        ser.close()
    tail = seen[-400:].decode("utf-8", "replace").strip()
    raise WandctlError(
        "the board reset, but the firmware did not answer `hello` within %d s. Its output "
        "ended with:\n%s\nCheck the firmware with `mpremote connect %s repl`"
        % (timeout, tail or "(nothing)", port)
    )


def _drain(ser, quiet: float = 0.3, most: float = 2.0) -> None:
    """Read until the board has been silent for `quiet` s (at most `most` s)."""
    end = time.monotonic() + most
    last = time.monotonic()
    while time.monotonic() < end and time.monotonic() - last < quiet:
        try:
            if ser.read(ser.in_waiting or 1):
                last = time.monotonic()
        except (OSError, serial_exception()):
            return
