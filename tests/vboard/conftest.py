"""The virtual board's own tests (the pty board, its chip link and ROM loader,
mpremote against it) and the `wandctl flash`/`image` tests on it. The fixtures
are shared with tests/cli (vbfixtures.py)."""

from vbfixtures import _no_port_env, board, fw_v1  # noqa: F401
