"""wandctl repl --port P: the plain MicroPython REPL of the board, output off.

If the microwand firmware runs, it leaves to the REPL (output off and locked,
watchdog relaxed; refused while a session runs): by its console `repl` in bench
mode, else by Ctrl-C, as mpremote does. Then,
in a terminal, mpremote's terminal opens on it (Ctrl-] or Ctrl-X leaves);
otherwise the command only says how to connect. `wandctl reset` starts the
firmware again.
"""

from __future__ import annotations

import argparse
import sys
import time

from wandctl.errors import WandctlError
from wandctl.serialport import PORT_HELP, resolve_port

REPL_TIMEOUT_S = 15.0


def register(sub) -> None:
    p = sub.add_parser("repl", help="put the board at the MicroPython REPL (output off) and open a terminal",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", "-p", default=None, help=PORT_HELP)
    p.add_argument("--no-terminal", action="store_true",
                   help="only bring the board to the REPL; do not open a terminal on it")
    p.set_defaults(func=run)


def _wait_prompt(port: str, timeout: float) -> bool:
    from wandctl.serialport import open_serial

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
    from wandctl.commands.reset import IDLE_STATES, session_running, what_answers

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


def run(args) -> int:
    port = resolve_port(args.port)
    how = to_repl(port)
    print("%s: %s. `wandctl reset --port %s` starts the firmware again." % (port, how, port), file=sys.stderr)
    if args.no_terminal or not (sys.stdin.isatty() and sys.stdout.isatty()):
        print("connect a terminal with: mpremote connect %s resume repl" % port)
        return 0
    from mpremote.main import main as mpremote_main

    saved = sys.argv
    sys.argv = ["mpremote", "connect", port, "resume", "repl"]
    try:
        return int(mpremote_main() or 0)
    except SystemExit as e:
        return int(e.code or 0) if isinstance(e.code, int) else 1
    finally:
        sys.argv = saved
