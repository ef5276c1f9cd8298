"""wandctl deploy --port PORT: compile, copy what changed, switch atomically, reset, hello."""

from __future__ import annotations

import json
import sys

from wandctl import paths
from wandctl.board_control import running_session, session_running
from wandctl.deploy import deploy
from wandctl.errors import WandctlError
from wandctl.mpy_build import FIRMWARE_DIR
from wandctl.serialport import PORT_HELP, resolve_port


def register(sub):
    p = sub.add_parser(
        "deploy",
        help="deploy the firmware to a board running MicroPython",
        description="Compile the firmware with mpy-cross for the board's .mpy version, copy only "
        "the files that changed (sha256 on both sides), switch to the new firmware atomically, "
        "reset the board (when nothing changed there is no reset: the firmware is started again) and "
        "check that the firmware answers `hello`. Safe to cut off at any point: the board then boots "
        "the old or the new firmware. Refused while a session runs, unless --force.",
    )
    p.add_argument("--port", "-p", default=None, help=PORT_HELP)
    p.add_argument(
        "--firmware",
        metavar="DIR",
        default=str(FIRMWARE_DIR),
        help="firmware folder with boot.py, main.py and wand/ (default: %(default)s)",
    )
    p.add_argument("--force", action="store_true",
                   help="deploy even while a session runs: that ends the session at once (output off, "
                   "no ramp-down)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    fw = paths.firmware(args.firmware)
    if fw.is_file():
        raise WandctlError("--firmware %s is a file: deploy takes the firmware folder (with boot.py, main.py "
                           "and wand/); to put MicroPython itself on the board use `wandctl flash --firmware "
                           "%s`" % (fw, fw))
    if not fw.is_dir():
        raise WandctlError("firmware folder %s does not exist (pass --firmware DIR)" % fw)
    args.port = resolve_port(args.port)
    # A deploy leaves the firmware by Ctrl-C: the output goes off at once. As `reset` and `repl`,
    # not while a session runs (SR-05: the output ramps down), unless the user says so.
    state = running_session(args.port)
    if state is not None and not args.force:
        raise WandctlError("%s, or deploy with --force to end it now" % session_running("(state %s)" % state))
    log = (lambda msg: None) if args.json else (lambda msg: print(msg, file=sys.stderr))
    if state is not None:
        print("wandctl: --force: ending the running session (state %s): the output goes off at once" % state,
              file=sys.stderr)
    result = deploy(args.port, fw, progress=not args.no_progress and not args.json, log=log)
    if args.json:
        print(json.dumps(result.as_dict()))
    else:
        hello = result.hello or {}
        print(
            "deployed to %s: %d of %d files copied (%d bytes) in %.1f s; firmware %s answers hello "
            "(reset cause %s)"
            % (
                args.port,
                len(result.files_copied),
                result.files_total,
                result.bytes_copied,
                result.seconds,
                hello.get("fw"),
                hello.get("reset_cause"),
            )
        )
    return 0
