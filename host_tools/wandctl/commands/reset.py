"""wandctl reset --port P: restart the board and check the firmware comes up.

How the board is reset depends on what it is doing:
- the microwand firmware answers: its console `reboot` (refused while a session
  runs: stop it first, the output must ramp down, SR-05);
- it sits at the MicroPython REPL: `machine.reset()` through mpremote's raw REPL;
- neither answers, and the port has DTR/RTS (a USB-serial bridge): a pulse on EN
  through RTS, as esptool does after flashing.
Then it waits for the firmware to answer `hello` (unless --no-wait).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time

from wandctl.argcheck import positive_float
from wandctl.errors import WandctlError
from wandctl.serialport import PORT_HELP, has_modem_lines, open_serial, resolve_port

HELLO_TIMEOUT_S = 20.0


def register(sub) -> None:
    p = sub.add_parser("reset", help="restart the board (firmware, REPL or EN pin) and wait for the firmware",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", "-p", default=None, help=PORT_HELP)
    p.add_argument("--timeout", type=positive_float("the timeout in seconds"), default=HELLO_TIMEOUT_S,
                   metavar="SECONDS", help="seconds to wait for the firmware after the reset (default %g)"
                   % HELLO_TIMEOUT_S)
    p.add_argument("--no-wait", action="store_true", help="do not wait for the firmware to answer")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=run)


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
    from wandctl.console_client import ConsoleClient

    try:
        with ConsoleClient(port) as c:
            c.hello()
            st = c.call("status")
    except WandctlError:
        return None
    state = st.get("state") if isinstance(st, dict) else None
    return state if isinstance(state, str) and state not in IDLE_STATES else None


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
    from mpremote.transport_serial import SerialTransport

    try:
        t = SerialTransport(port, baudrate=115200)
    except (TransportError, OSError) as e:
        raise WandctlError("cannot open %s: %s" % (port, e)) from None
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


def run(args) -> int:
    port = resolve_port(args.port)
    how = reset_board(port)
    result = {"port": port, "how": how, "hello": None}
    if not args.no_wait:
        from wandctl.board_session import wait_hello

        result["hello"] = wait_hello(port, args.timeout)
    if args.json:
        print(json.dumps(result))
        return 0
    print("reset %s: %s" % (port, how), file=sys.stderr)
    h = result["hello"]
    if h:
        print("microwand %s on %s answers (reset cause %s)" % (h.get("fw"), h.get("board"), h.get("reset_cause")))
        _note_fault(port)
    return 0


def _note_fault(port: str) -> None:
    """A latched fault survives every reset but a power cycle (SR-12): say so, or it looks like a new one."""
    from wandctl.console_client import ConsoleClient

    try:
        with ConsoleClient(port) as c:
            c.hello()
            st = c.call("status")
    except WandctlError:
        return
    f = st.get("fault") if isinstance(st, dict) else None
    if f:
        print("note: fault %s (code %s) is still latched from before the reset (a reset keeps it, SR-12): "
              "clear it with a long press of power, `clear` in bench mode, or a power cycle"
              % (f.get("name"), f.get("code")), file=sys.stderr)
