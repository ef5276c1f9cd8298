"""Fixtures for the virtual-board tests: boards on ptys and the fixture firmware."""

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
