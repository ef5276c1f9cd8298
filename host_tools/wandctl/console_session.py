"""wandctl console: the interactive loop on the wand's console (history, Tab completion), or one command
per line from stdin when it is not a terminal."""

from __future__ import annotations

import json
import pathlib
import sys

from wandctl.console_client import CALIBRATE_TIMEOUT, BoardError, ConsoleClient
from wandctl.console_connect import connect
from wandctl.console_format import format_reply
from wandctl.errors import WandctlError

HISTORY = pathlib.Path.home() / ".cache" / "microwand" / "history"
COMMANDS = sorted(["hello", "help", "status", "log", "faults", "selftest", "calibrate", "get", "set", "stream",
                   "start", "stop", "level", "clear", "reboot", "repl", "history"])


class CommandCompleter:
    """Command names first; setting names after get/set; on/off after stream."""

    def __init__(self, settings: list[str]):
        from prompt_toolkit.completion import Completer, Completion

        outer = self

        class _C(Completer):
            def get_completions(self, document, complete_event):
                for word in outer.words(document.text_before_cursor):
                    yield Completion(word[0], start_position=-len(word[1]))

        self.settings = settings
        self.completer = _C()

    def words(self, before: str):
        parts = before.split(" ")
        current = parts[-1]
        if len(parts) == 1:
            choices = COMMANDS + ["quit"]
        elif len(parts) == 2 and parts[0] in ("get", "set"):
            choices = self.settings
        elif len(parts) == 2 and parts[0] == "stream":
            choices = ["on", "off"]
        else:
            choices = []
        return [(c, current) for c in choices if c.startswith(current)]


def _print_other(line: str) -> None:
    print(line, flush=True)


def _console_line(client: ConsoleClient, line: str, as_json: bool, failed: list | None = None) -> bool:
    """Handle one typed line; False to leave. Piped (failed: a list), an error goes to stderr and is
    counted there, so stdout holds only the replies (one JSON document a line with --json)."""
    line = line.strip()
    if not line:
        return True
    if line in ("quit", "exit"):
        return False
    timeout = CALIBRATE_TIMEOUT if line.startswith("calibrate") else None
    err = sys.stdout if failed is None else sys.stderr
    try:
        ok, payload = client.command(line, timeout=timeout, on_other=_print_other)
    except WandctlError as e:
        if "did not answer" in str(e) or "does not run" in str(e):
            raise
        print("error: %s" % e, file=err, flush=True)
        if failed is not None:
            failed.append(line)
        return True
    if not ok:
        assert isinstance(payload, dict)
        print("err %s: %s" % (payload["code"], payload["message"]), file=err, flush=True)
        if failed is not None:
            failed.append(line)
        return True
    print(json.dumps(payload) if as_json else format_reply(line, payload), flush=True)
    if line.split()[0] in ("repl", "reboot"):
        what = ("the board is resetting into the plain MicroPython REPL (output off, no watchdog); "
                "use mpremote or a terminal program now" if line.startswith("repl")
                else "the board is rebooting; run wandctl console again in a few seconds")
        print(what, flush=True)
        return False
    return True


def run_console(args) -> int:
    with connect(args) as client:
        info = client.info or {}
        try:
            settings = sorted(client.call("get") or {})  # type: ignore[arg-type]
        except BoardError:
            settings = []
        interactive = sys.stdin.isatty() and sys.stdout.isatty()
        if interactive:
            print("connected to %s: %s (type help, Tab completes, Ctrl-D leaves)"
                  % (client.port, format_reply("hello", info)))
            return _interactive(client, settings, args.json)
        failed: list = []
        for raw in sys.stdin:
            if not _console_line(client, raw, args.json, failed):
                break
    return 1 if failed else 0  # (each refusal is on stderr already, in its order)


def _interactive(client: ConsoleClient, settings: list[str], as_json: bool) -> int:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory, InMemoryHistory
    from prompt_toolkit.shortcuts import CompleteStyle

    try:
        HISTORY.parent.mkdir(parents=True, exist_ok=True)
        history = FileHistory(str(HISTORY))
    except OSError:
        history = InMemoryHistory()
    # Tab completes like a shell (readline style): one match is inserted at once.
    session = PromptSession(history=history, completer=CommandCompleter(settings).completer,
                            complete_style=CompleteStyle.READLINE_LIKE, complete_while_typing=False)
    while True:
        try:
            line = session.prompt("wand> ")
        except EOFError:
            return 0
        except KeyboardInterrupt:
            continue
        if not _console_line(client, line, as_json):
            return 0
