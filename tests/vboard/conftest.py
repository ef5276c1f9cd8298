"""The virtual board's own tests (the pty board, its chip link and ROM loader,
mpremote against it) and the `wandctl flash`/`image` tests on it. The fixtures
are shared with tests/cli (vbfixtures.py)."""

from vbfixtures import _no_port_env, board, deployed_flash, fw_v1, main_board  # noqa: F401
