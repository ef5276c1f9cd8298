"""Fixtures for the tests that run a pty board (tests/vboard, tests/cli): a
board on a pty, a version of the real firmware, and no port or MICROPYPATH leaking in
from the developer's shell. Each folder's conftest imports them."""

import os

import pytest
from vbhelpers import make_firmware

from simboard.vboard import VirtualBoard


@pytest.fixture
def board(tmp_path):
    with VirtualBoard(tmp_path / "flash", seed=1) as b:
        yield b


@pytest.fixture
def fw_v1(tmp_path):
    return make_firmware(tmp_path / "fw1", "fixture-1")


@pytest.fixture(autouse=True)
def _no_port_env(monkeypatch):
    monkeypatch.delenv("WANDCTL_PORT", raising=False)
    os.environ.pop("MICROPYPATH", None)
