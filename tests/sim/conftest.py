"""Shared helpers for the simulated-board tests (tests/conftest.py puts
host_tools on sys.path)."""

import pytest

from simboard import world as simworld
from simboard.world import World


def make_world(seed=0, end_s=600.0, **kw):
    w = World(kw.pop("config", None), seed=seed, **kw)
    w.set_end(end_s)
    simworld.attach(w)
    return w


@pytest.fixture
def world(tmp_path):
    w = make_world(seed=1, flash_dir=str(tmp_path / "flash"))
    yield w
    simworld.attach(None)
