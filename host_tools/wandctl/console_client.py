"""Host side of the wand's line console (protocol: docs/console.md).

`ConsoleClient(port)` opens the serial port with errors that say what to do,
`hello()` checks that the board runs the microwand firmware and speaks our
protocol, `command(line)` sends one line and returns its one reply, skipping
telemetry (`~ `), info lines (`# `) and anything else the board prints.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import serial

from wandctl.errors import WandctlError
from wandctl.serialport import open_serial

PROTOCOL = 1
PRODUCT = "microwand"
MAXLEN = 128
DEFAULT_TIMEOUT = 3.0
CALIBRATE_TIMEOUT = 20.0

_REPL_SIGNS = (">>>", "Traceback (most recent call last)", "raw REPL", "NameError", "SyntaxError")

@dataclass
class Sample:
    """One telemetry line: `~ t=<ms> set=<uA> meas=<uA> st=<state> ohm=<load>`."""

    t_ms: int
    setpoint_ua: int
    measured_ua: int
    state: str
    load_ohms: int | None = None  # `ohm=` (firmware 0.1.1+); None: not measured


def parse_telemetry(line: str) -> Sample | None:
    """The sample in a telemetry line, or None when the line is not one."""
    if not line.startswith("~ "):
        return None
    fields = {}
    for word in line[2:].split():
        key, sep, value = word.partition("=")
        if sep:
            fields[key] = value
    try:
        ohm = int(fields.get("ohm", "-1"))
        return Sample(int(fields["t"]), int(fields["set"]), int(fields["meas"]), fields.get("st", "?"),
                      ohm if ohm >= 0 else None)
    except (KeyError, ValueError):
        return None


def open_port(port: str, baudrate: int = 115200) -> serial.Serial:
    """Open PORT exclusively (wandctl.serialport: one wording for every port error)."""
    return open_serial(port, baudrate, timeout=0.05, write_timeout=2)


class BoardError(WandctlError):
    """The board answered `err CODE MESSAGE`."""

    def __init__(self, command: str, code: str, message: str):
        self.command = command
        self.code = code
        self.message = message
        hint = {
            "denied": "",
            "busy": " (the board is busy: wait a moment and retry)",
            "internal": " (a firmware error: `wandctl log` shows its trace; please report it)",
        }.get(code, "")
        super().__init__("the wand refused `%s`: %s%s" % (command, message, hint))


class ConsoleClient:
    """One connection to the wand's console over pyserial."""

    def __init__(self, port: str, baudrate: int = 115200, timeout: float = DEFAULT_TIMEOUT,
                 link: serial.Serial | None = None):
        self.port = port
        self.timeout = timeout
        self._buf = bytearray()
        self.noise: list[str] = []  # lines that were neither replies nor telemetry
        self.samples: list[Sample] = []  # telemetry seen while waiting for replies
        self.keep_samples = False
        self.info: dict | None = None
        self._link = link if link is not None else open_port(port, baudrate)
        self._sync()

    # --------------------------------------------------------------- link
    def close(self) -> None:
        link = self._link
        if link is not None:
            self._link = None
            try:
                link.close()
            except Exception:
                pass

    def __enter__(self) -> ConsoleClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _sync(self) -> None:
        """End any partial line the board holds, then forget what it said so far."""
        try:
            self._write(b"\n")
            time.sleep(0.15)
            self._link.reset_input_buffer()
        except (serial.SerialException, OSError) as e:
            raise WandctlError("serial port %s failed: %s (unplug the wand, plug it in, retry)"
                               % (self.port, e)) from None
        self._buf.clear()

    def _write(self, data: bytes) -> None:
        link = self._link
        if link is None:
            raise WandctlError("the connection to %s is closed" % self.port)
        try:
            link.write(data)
            link.flush()
        except serial.SerialTimeoutException:
            raise WandctlError("writing to %s timed out: is the wand still connected?" % self.port) from None
        except (serial.SerialException, OSError) as e:
            raise self._link_error(e) from None

    def _link_error(self, e: Exception) -> WandctlError:
        return WandctlError("serial port %s failed: %s (was the wand unplugged?)" % (self.port, e))

    def readline(self, deadline: float) -> str | None:
        """The next complete line (stripped), or None at the deadline."""
        link = self._link
        if link is None:
            raise WandctlError("the connection to %s is closed" % self.port)
        while True:
            nl = self._buf.find(b"\n")
            if nl >= 0:
                raw = bytes(self._buf[:nl])
                del self._buf[: nl + 1]
                return raw.decode("utf-8", "replace").strip("\r\n\x00 ")
            if time.monotonic() >= deadline:
                return None
            try:
                waiting = link.in_waiting
                chunk = link.read(waiting or 1)
            except (serial.SerialException, OSError) as e:
                raise self._link_error(e) from None
            if chunk:
                self._buf.extend(chunk)
                if len(self._buf) > 65536:  # a board that never ends a line
                    self._buf.clear()

    # ------------------------------------------------------------ protocol
    def send_line(self, line: str) -> None:
        if "\n" in line or "\r" in line:
            raise WandctlError("one command per line, please")
        try:
            data = line.encode("ascii")
        except UnicodeEncodeError:
            raise WandctlError("commands are plain ASCII: %r" % line[:60]) from None
        bad = next((c for c in line if not " " <= c <= "~"), None)
        if bad is not None:
            # (a Ctrl-C, 0x03, would reach MicroPython as KeyboardInterrupt and stop a running session at once,
            # past the refusals of `reset` and `repl`: a helper's audit)
            raise WandctlError("commands are printable ASCII: control byte 0x%02x in %r, nothing sent"
                               % (ord(bad), line[:60]))
        if len(data) > MAXLEN:
            raise WandctlError("that line is %d bytes; the console takes at most %d" % (len(data), MAXLEN))
        self._write(data + b"\n")

    def command(self, line: str, timeout: float | None = None, on_other=None) -> tuple[bool, object]:
        """Send one line; return (True, json payload) or (False, {"code":..., "message":...}).

        Telemetry and info lines seen meanwhile go to `on_other(line)` if given.
        """
        line = line.strip()
        self.send_line(line)
        wait = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + wait
        self.noise = []
        while True:
            got = self.readline(deadline)
            if got is None:
                self._no_answer(line, wait)
            if got.startswith("ok ") or got == "ok":
                body = got[3:].strip()
                try:
                    return True, json.loads(body) if body else None
                except ValueError:
                    raise WandctlError("the board's reply to `%s` is not valid JSON: %r; is wandctl "
                                       "out of date?" % (line, got[:120])) from None
            if got.startswith("err "):
                parts = got.split(" ", 2)
                return False, {"code": parts[1], "message": parts[2] if len(parts) > 2 else ""}
            if got.startswith("~ "):
                if self.keep_samples:
                    sample = parse_telemetry(got)
                    if sample is not None:
                        self.samples.append(sample)
                if on_other is not None:
                    on_other(got)
                continue
            if got.startswith("#"):
                if on_other is not None:
                    on_other(got)
                continue
            if got:
                self.noise.append(got)
                if any(sign in got for sign in _REPL_SIGNS):
                    # The REPL (or other firmware) echoed us: give it a moment to finish talking.
                    self._drain_noise(0.3)
                    raise self._other_firmware()
                if len(self.noise) > 50:
                    raise self._other_firmware()

    def _drain_noise(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            got = self.readline(deadline)
            if got is None:
                return
            if got:
                self.noise.append(got)

    def _other_firmware(self) -> WandctlError:
        said = " | ".join(self.noise[:4])
        if len(said) > 160:
            said = said[:157] + "..."
        if any(sign in line for line in self.noise for sign in _REPL_SIGNS):
            return WandctlError(
                "the board on %s sits at the MicroPython REPL: the microwand firmware is not running. "
                "Start it with `wandctl reset --port %s` (a reset runs it when it is deployed, also after "
                "`repl`), or install it with `wandctl deploy --port %s`" % (self.port, self.port, self.port)
            )
        return WandctlError(
            "this board does not run the microwand firmware (it answered %r); flash/deploy it with "
            "`wandctl deploy`" % said
        )

    def _no_answer(self, line: str, wait: float):
        if not any(sign in said for said in self.noise for sign in _REPL_SIGNS):
            # MicroPython's friendly REPL takes only CR as Enter (its readline ignores LF): our
            # line sits there, echoed, and nothing else comes. A CR runs it, and a REPL answers
            # with a NameError and its prompt; the firmware's console ignores an empty line.
            try:
                self._write(b"\r")
            except WandctlError:
                pass
            else:
                self._drain_noise(0.5)
        if any(sign in said for said in self.noise for sign in _REPL_SIGNS):
            raise self._other_firmware()
        printed = ""
        if self.noise:
            printed = " It printed only: %r." % " | ".join(self.noise[:3])[:120]
        raise WandctlError(
            "the board did not answer `%s` within %.0f s: is it powered and running the firmware? "
            "(check --port; `wandctl deploy` installs the firmware)%s" % (line, wait, printed)
        )

    def call(self, line: str, timeout: float | None = None, on_other=None) -> object:
        """Like command(), but an `err` reply raises BoardError."""
        ok, payload = self.command(line, timeout=timeout, on_other=on_other)
        if not ok:
            assert isinstance(payload, dict)
            raise BoardError(line, payload["code"], payload["message"])
        return payload

    def hello(self) -> dict:
        """Check the board runs microwand and speaks our protocol; its hello dict."""
        ok, payload = self.command("hello")
        if not ok or not isinstance(payload, dict) or payload.get("product") != PRODUCT:
            self.noise.append(("ok " if ok else "err ") + json.dumps(payload)[:100])
            raise self._other_firmware()
        proto = payload.get("protocol")
        if proto != PROTOCOL:
            raise WandctlError(
                "the board speaks console protocol %s, this wandctl speaks %d: update %s "
                "(git pull, then make venv; or `wandctl deploy` the firmware that matches it)"
                % (proto, PROTOCOL, "wandctl" if isinstance(proto, int) and proto > PROTOCOL
                   else "the firmware")
            )
        self.info = payload
        return payload

    # ------------------------------------------------------------ streaming
    def stream(self, hz: int, seconds: float | None = None):
        """Yield telemetry samples at `hz` until `seconds` have passed (forever if None).

        The stream is switched off again when the generator ends or is closed.
        """
        self.call("stream on %d" % hz)
        end = None if seconds is None else time.monotonic() + seconds
        silent_since = time.monotonic()
        try:
            while end is None or time.monotonic() < end:
                deadline = time.monotonic() + 0.25
                if end is not None:
                    deadline = min(deadline, end)
                got = self.readline(deadline)
                if got is None:
                    if time.monotonic() - silent_since > max(self.timeout, 3.0):
                        raise WandctlError("the board stopped sending telemetry: is it still powered "
                                           "and connected?")
                    continue
                sample = parse_telemetry(got)
                if sample is not None:
                    silent_since = time.monotonic()
                    yield sample
        finally:
            if self._link is not None:
                try:
                    self.command("stream off")
                except WandctlError:
                    pass
