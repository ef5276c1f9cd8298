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
import sys

from wandctl.argcheck import positive_float
from wandctl.board_control import latched_fault, reset_board
from wandctl.board_session import HELLO_TIMEOUT_S
from wandctl.serialport import PORT_HELP, resolve_port


def register(sub) -> None:
    p = sub.add_parser("reset", help="restart the board (firmware, REPL or EN pin) and wait for the firmware",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", "-p", default=None, help=PORT_HELP)
    p.add_argument("--timeout", type=positive_float("the timeout in seconds", 3600), default=HELLO_TIMEOUT_S,
                   metavar="SECONDS", help="seconds to wait for the firmware after the reset (default %g)"
                   % HELLO_TIMEOUT_S)
    p.add_argument("--no-wait", action="store_true", help="do not wait for the firmware to answer")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=run)


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
    f = latched_fault(port)
    if f:
        print("note: fault %s (code %s) is still latched from before the reset (a reset keeps it, SR-12): "
              "clear it with a long press of power, `clear` in bench mode, or a power cycle"
              % (f.get("name"), f.get("code")), file=sys.stderr)
