"""wandctl: one CLI with a table of subcommands (the mpremote habit).

Each command module has `register(subparsers)` which adds its parser and sets
`func` to a handler `func(args) -> int`. Every user mistake raises
WandctlError, printed as `wandctl: message` on stderr with exit code 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from wandctl import __version__
from wandctl.errors import WandctlError

# Command modules, in the order `wandctl --help` lists them.
COMMAND_MODULES = [
    "wandctl.cmd_sim",
    "wandctl.cmd_characterize",
    "wandctl.fuzz",
    "wandctl.cmd_bench",
    "wandctl.cmd_console",
    "wandctl.cmd_boardgen",
    "wandctl.cmd_flash",
    "wandctl.cmd_deploy",
    "wandctl.cmd_test",
    "wandctl.cmd_doctor",
]


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse prints usage and exits 2; we want our format
        self.print_usage(sys.stderr)
        raise WandctlError(message + " (see `wandctl %s --help`)" % self.prog.split(" ", 1)[-1]
                           if " " in self.prog else message + " (see `wandctl --help`)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="wandctl",
        description="Host tools for the microwand: flash and deploy the firmware, talk to its "
        "console, run the simulated board, characterize the output, benchmark.",
    )
    parser.add_argument("--version", action="version", version="wandctl " + __version__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name == name:  # a command module not written yet
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 0
        return int(args.func(args) or 0)
    except WandctlError as e:
        print("wandctl: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("wandctl: interrupted", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
