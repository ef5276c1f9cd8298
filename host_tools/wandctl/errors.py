"""The one error type of wandctl: printed as `wandctl: message`, exit code 1."""


class WandctlError(Exception):
    """A user-facing error. The message says what went wrong and what to do next."""
