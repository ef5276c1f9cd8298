"""Fixtures for the tests that run a pty board (tests/vboard, tests/cli, tests/console):
a board on a pty, boards with the real firmware deployed (`main_board`), a
version of the real firmware, and no port or MICROPYPATH leaking in from the
developer's shell. Each folder's conftest imports them."""

import os
import shutil

import pytest
from vbhelpers import REPO, make_firmware

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


@pytest.fixture(scope="module")
def deployed_flash(tmp_path_factory):
    """A flash (littlefs dir and SPI-flash image) with firmware/ deployed, made once."""
    from wandctl.deploy import deploy

    where = tmp_path_factory.mktemp("deployed")
    with VirtualBoard(where / "flash", seed=3) as b:
        deploy(b.port, REPO / "firmware", progress=False, log=lambda m: None)
    return where


@pytest.fixture
def main_board(deployed_flash, tmp_path):
    """`main_board(bench=False, load_ohms=None)`: the one simulated board on a pty (VirtualBoard),
    the real firmware on it (a copy of `deployed_flash`), powered up, in bench mode if asked."""
    boards = []

    def make(bench=False, load_ohms=None):
        where = tmp_path / ("board%d" % len(boards))
        shutil.copytree(deployed_flash, where)
        b = VirtualBoard(where / "flash", seed=3)
        boards.append(b)
        b.__enter__()
        if load_ohms is not None:
            b.inject(load_ohms=load_ohms)
        if bench:
            b.power_up_in_bench_mode()
        else:
            b.wait_ready()
        return b

    yield make
    for b in boards:
        b.__exit__(None, None, None)
