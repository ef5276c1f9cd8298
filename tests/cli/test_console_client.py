"""ConsoleClient's reading of the protocol, on a scripted link (no port)."""

from __future__ import annotations

import pytest

from wandctl.console_client import ConsoleClient, Sample, parse_telemetry
from wandctl.errors import WandctlError


class ScriptedLink:
    """Stands in for serial.Serial: answers each written line from a script.

    Not a board: one interface of one module (the host's ConsoleClient reading the
    protocol), so malformed and partial replies can be served exactly. wandctl
    against the real firmware runs on VirtualBoard (tests/cli/test_everyday_e2e.py)."""

    def __init__(self, answers: dict[bytes, bytes]):
        self.answers = answers
        self.pending = b""
        self.written: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.written.append(data)
        self.pending += self.answers.get(data.strip(), b"")
        return len(data)

    def flush(self) -> None:
        pass

    def reset_input_buffer(self) -> None:
        self.pending = b""

    @property
    def in_waiting(self) -> int:
        return len(self.pending)

    def read(self, n: int) -> bytes:
        out, self.pending = self.pending[:n], self.pending[n:]
        return out

    def close(self) -> None:
        pass


HELLO = b'ok {"fw": "0.1.0", "protocol": 1, "board": "microwand-v1", "reset_cause": "power_on", ' \
        b'"product": "microwand", "maxlen": 128}\r\n'


def client(answers: dict[bytes, bytes], timeout: float = 0.3) -> ConsoleClient:
    return ConsoleClient("/dev/scripted", timeout=timeout, link=ScriptedLink(answers))  # type: ignore[arg-type]


def test_parse_telemetry():
    assert parse_telemetry("~ t=12 set=100 meas=98 st=running") == Sample(12, 100, 98, "running")
    assert parse_telemetry("~ t=12 set=x meas=98 st=running") is None
    assert parse_telemetry("ok {}") is None


def test_command_skips_telemetry_info_and_noise():
    c = client({b"hello": HELLO, b"status": b"~ t=1 set=0 meas=0 st=idle\r\n# note\r\nstray\r\n"
                                            b'ok {"state": "idle"}\r\n'})
    seen = []
    assert c.hello()["fw"] == "0.1.0"
    assert c.command("status", on_other=seen.append) == (True, {"state": "idle"})
    assert seen == ["~ t=1 set=0 meas=0 st=idle", "# note"]
    assert c.noise == ["stray"]


def test_err_reply_and_call_raise_with_the_code():
    c = client({b"level 99": b"err arg level must be 1..10\r\n"})
    assert c.command("level 99") == (False, {"code": "arg", "message": "level must be 1..10"})
    with pytest.raises(WandctlError, match=r"^the wand refused `level 99`: level must be 1\.\.10$") as e:
        c.call("level 99")
    assert e.value.code == "arg"  # kept for scripts, not shown: the protocol's code is no news to a user


def test_other_firmware_and_protocol_mismatch():
    c = client({b"hello": b'ok {"fw": "x", "protocol": 1}\r\n'})
    with pytest.raises(WandctlError, match="does not run the microwand firmware"):
        c.hello()
    c = client({b"hello": HELLO.replace(b'"protocol": 1', b'"protocol": 2')})
    with pytest.raises(WandctlError, match="protocol 2, this wandctl speaks 1: update wandctl"):
        c.hello()


def test_silence_after_boot_noise_is_a_timeout_not_other_firmware():
    c = client({b"hello": b"ets Jun  8 2016 00:22:57\r\nrst:0x1 (POWERON_RESET)\r\n"})
    with pytest.raises(WandctlError, match="did not answer `hello`.*It printed only: 'ets Jun"):
        c.hello()


def test_lines_the_board_would_refuse_are_refused_here():
    c = client({})
    with pytest.raises(WandctlError, match="at most 128"):
        c.command("x" * 129)
    with pytest.raises(WandctlError, match="plain ASCII"):
        c.command("set program caf\u00e9")
    # a Ctrl-C (0x03) reached MicroPython as KeyboardInterrupt and stopped a running session at once, past the
    # refusals of `reset` and `repl` (a helper's audit): no control byte is sent
    for bad in ("set level 4\x03", "get \x01", "status\x1b[31m", "x\x7f"):
        with pytest.raises(WandctlError, match="control byte 0x.. in .*, nothing sent"):
            c.command(bad)
