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
    "wandctl.commands.sim",
    "wandctl.commands.characterize",
    "wandctl.commands.fuzz",
    "wandctl.commands.bench",
    "wandctl.commands.console",
    "wandctl.commands.boardgen",
    "wandctl.commands.flash",
    "wandctl.commands.image",
    "wandctl.commands.deploy",
    "wandctl.commands.test",
    "wandctl.commands.reset",
    "wandctl.commands.repl",
    "wandctl.commands.history",
    "wandctl.commands.doctor",
]


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse prints usage and exits 2; we want our format
        self.print_usage(sys.stderr)
        for a in self._actions:  # a positional's value: its own words, not argparse's `argument n:`
            if not a.option_strings and not isinstance(a, argparse._SubParsersAction):
                label = a.metavar if isinstance(a.metavar, str) else a.dest
                if message.startswith("argument %s: " % label):
                    message = message[len("argument %s: " % label):]
        name = self.prog.split(" ", 1)[-1] if " " in self.prog else ""
        raise WandctlError("%s (see `wandctl %s--help`)" % (message, name + " " if name else ""))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="wandctl",
        description="Host tools for the microwand: flash and deploy the firmware, talk to its "
        "console, run the simulated board, characterize the output, benchmark.",
        epilog="Every command that talks to a board takes --port PORT, `--port auto` (the one attached "
        "board) or $WANDCTL_PORT. Docs: README.md, docs/console.md, docs/safety.md (the safety "
        "requirements SR-01..SR-12), docs/platform.md (the chip facts the simulated board follows).",
    )
    parser.add_argument("--version", action="version", version="wandctl " + __version__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        # every listed module ships with wandctl: a failed import is a bug, never skipped
        importlib.import_module(name).register(sub)
    parser.set_defaults(_subparsers=sub)
    return parser


def _parse(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """parse_args, but an unknown option of a subcommand is reported with that subcommand's usage."""
    args, extra = parser.parse_known_args(argv)
    if extra:
        sub = getattr(args, "_subparsers", None)
        chosen = sub.choices.get(getattr(args, "command", None)) if sub is not None else None
        (chosen or parser).error("unrecognized arguments: %s" % " ".join(extra))
    return args


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = _parse(parser, argv)
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
