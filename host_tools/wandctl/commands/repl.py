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

from wandctl.board_control import to_repl
from wandctl.serialport import PORT_HELP, resolve_port


def register(sub) -> None:
    p = sub.add_parser("repl", help="put the board at the MicroPython REPL (output off) and open a terminal",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", "-p", default=None, help=PORT_HELP)
    p.add_argument("--no-terminal", action="store_true",
                   help="only bring the board to the REPL; do not open a terminal on it")
    p.set_defaults(func=run)


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
