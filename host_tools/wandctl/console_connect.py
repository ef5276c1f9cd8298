"""Open the wand's console from the command's --port, --baud and --timeout and check with `hello` that
the board runs the microwand firmware."""

from __future__ import annotations

from wandctl.console_client import ConsoleClient
from wandctl.serialport import resolve_port


def connect(args) -> ConsoleClient:
    port = resolve_port(args.port)
    client = ConsoleClient(port, baudrate=args.baud, timeout=args.timeout)
    try:
        client.hello()
    except BaseException:
        client.close()
        raise
    return client
