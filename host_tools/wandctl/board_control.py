"""What answers on a serial port (the microwand firmware, the MicroPython REPL, or
nothing), and from there how to bring the board to the plain REPL (to_repl, for
`wandctl repl`: the firmware leaves by its console `repl`, or by Ctrl-C outside
bench mode) or restart it (reset_board, for `wandctl reset`):

- the microwand firmware answers: its console `reboot` (refused while a session
  runs: stop it first, the output must ramp down, SR-05);
- it sits at the MicroPython REPL: `machine.reset()` through mpremote's raw REPL;
- neither answers, and the port has DTR/RTS (a USB-serial bridge): a pulse on EN
  through RTS, as esptool does after flashing.
"""

from __future__ import annotations

import re
import time

from wandctl.errors import WandctlError
from wandctl.serialport import has_modem_lines, open_serial, open_transport

REPL_TIMEOUT_S = 15.0
IDLE_STATES = ("idle", "done", "fault")


def session_running(message: str) -> str:
    """The one wording for "a session runs" (the firmware's `state` refusal: "stop the session first
    (state running)"): the output must ramp down first (SR-05)."""
    m = re.search(r"\(state (\w+)\)", message)
    return ("a session is running%s; stop it first (the power button, or `stop` in `wandctl console` "
            "in bench mode)" % (" (state %s)" % m.group(1) if m else ""))


def running_session(port: str) -> str | None:
    """The state of a session running on `port` (ramp_up, running, ...), or None: no session, or no
    microwand firmware answering (then nothing can be running)."""
    kind, _ = what_answers(port)
    if kind != "firmware":
        return None
    state = _status(port).get("state")
    return state if isinstance(state, str) and state not in IDLE_STATES else None


def _status(port: str) -> dict:
    """The firmware's `status` reply, or {} when it does not answer."""
    from wandctl.console_client import ConsoleClient

    try:
        with ConsoleClient(port) as c:
            c.hello()
            st = c.call("status")
    except WandctlError:
        return {}
    return st if isinstance(st, dict) else {}


def what_answers(port: str, wait: float = 1.5) -> tuple[str, bytes]:
    """('firmware' | 'repl' | 'nothing' | 'other', what was read) for the board on `port`."""
    ser = open_serial(port, timeout=0.05)
    data = bytearray()
    try:
        ser.reset_input_buffer()
        ser.write(b"\r\nhello\r\n")
        end = time.monotonic() + wait
        while time.monotonic() < end:
            data += ser.read(ser.in_waiting or 1)
            text = bytes(data)
            if b'ok {"' in text and text.rstrip().endswith(b"}"):
                return "firmware", text
            if text.endswith(b">>> ") or text.endswith(b"\r\n>"):
                return "repl", text
    finally:
        ser.close()
    text = bytes(data)
    if b">>>" in text or b"raw REPL" in text or b"Traceback" in text:
        return "repl", text
    return ("other" if text.strip() else "nothing"), text


def reset_board(port: str) -> str:
    """Reset the board on `port`; returns how it was done."""
    kind, said = what_answers(port)
    if kind == "firmware":
        from wandctl.console_client import BoardError, ConsoleClient

        with ConsoleClient(port) as c:
            c.hello()
            try:
                c.call("reboot")
            except BoardError as e:
                raise WandctlError("the wand refused to reset: %s" % (
                    session_running(e.message) if e.code == "state" else e.message)) from None
            time.sleep(0.3)  # the reply leaves, then the firmware resets
        return "asked the firmware to reboot (console `reboot`)"
    if kind == "repl":
        _repl_reset(port)
        return "machine.reset() at the MicroPython REPL"
    if has_modem_lines(port):
        _en_pulse(port)
        return "pulsed EN through RTS (the board answered %s)" % ("nothing" if kind == "nothing" else "something else")
    raise WandctlError(
        "the board on %s answers neither the firmware console nor the MicroPython REPL%s, and the port has no "
        "DTR/RTS to reset it: press its EN/RESET button (a virtual board: type `reset` in its window)"
        % (port, "" if kind == "nothing" else " (it said %r)" % said.decode("utf-8", "replace").strip()[-80:])
    )


def _repl_reset(port: str) -> None:
    from mpremote.transport import TransportError

    t = open_transport(port)
    try:
        t.serial.timeout = 2.0
        t.enter_raw_repl(soft_reset=False)
        t.exec_raw_no_follow("import machine\nmachine.reset()")
    except TransportError as e:
        if "rst:" in str(e):
            return  # the chip reset before mpremote saw the end of its paste: the ROM's boot banner came back
        raise WandctlError("the MicroPython REPL on %s did not take machine.reset(): %s" % (port, e)) from None
    finally:
        try:
            t.close()
        except OSError:
            pass


def _en_pulse(port: str) -> None:
    """EN low then high through RTS, DTR high (GPIO0 not held low: a normal boot), as esptool's hard reset."""
    ser = open_serial(port, timeout=0.1)
    try:
        ser.dtr = False
        ser.rts = True
        time.sleep(0.1)
        ser.rts = False
    finally:
        ser.close()


def latched_fault(port: str) -> dict | None:
    """The fault still latched on the board (a reset keeps it, SR-12), or None (none, or no answer)."""
    return _status(port).get("fault") or None


def _wait_prompt(port: str, timeout: float) -> bool:
    end = time.monotonic() + timeout
    data = bytearray()
    ser = None
    try:
        while time.monotonic() < end:
            if ser is None:
                try:
                    ser = open_serial(port, timeout=0.1)
                except WandctlError:
                    time.sleep(0.2)
                    continue
                ser.write(b"\r\n")
            data += ser.read(ser.in_waiting or 1)
            if b">>> " in data[-200:]:
                return True
            if not data:
                ser.write(b"\r\n")
    finally:
        if ser is not None:
            ser.close()
    return False


def to_repl(port: str) -> str:
    """Bring the board to the friendly REPL; returns how."""
    kind, said = what_answers(port)
    if kind == "repl":
        return "the board was at the REPL"
    if kind != "firmware":
        raise WandctlError("the board on %s answers neither the firmware nor the MicroPython REPL (it said %r): "
                           "is it powered? Try `wandctl reset --port %s`"
                           % (port, said.decode("utf-8", "replace").strip()[-80:] or "nothing", port))
    from wandctl.console_client import BoardError, ConsoleClient

    with ConsoleClient(port) as c:
        c.hello()
        try:
            c.call("repl")
        except BoardError as e:
            if e.code != "denied":
                raise WandctlError("the wand refused `repl`: %s" % (
                    session_running(e.message) if e.code == "state" else e.message)) from None
            # Outside bench mode the console's `repl` is refused (SR-11); Ctrl-C, as mpremote
            # sends, leaves by the same way out (output off and locked, watchdog relaxed). That
            # cuts the output at once: not while a session runs (SR-05), as the console's `repl`.
            st = c.call("status")
            state = st.get("state") if isinstance(st, dict) else None
            if state not in IDLE_STATES:
                raise WandctlError("the wand refused `repl`: %s" % session_running("(state %s)" % state)) from None
            _ctrl_c(c)
        time.sleep(0.3)
    if not _wait_prompt(port, REPL_TIMEOUT_S):
        raise WandctlError("the firmware left, but no MicroPython prompt came within %.0f s" % REPL_TIMEOUT_S)
    return "the firmware left to the REPL (output off and locked, watchdog relaxed)"


def _ctrl_c(client) -> None:
    client._link.write(b"\x03")
