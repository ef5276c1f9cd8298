"""Fixtures for the hardware tests: the hardware check (hardware/hwcheck/), ngspice
(installed through hardware/ensure_ngspice.sh when missing) and one simulation
run shared by every test of the session."""

import subprocess
import sys
from pathlib import Path

import pytest

from wandctl.tools import ToolNotFound, find_tool

ROOT = Path(__file__).resolve().parents[2]
HW = ROOT / "hardware"


def load_check():
    if str(HW) not in sys.path:
        sys.path.insert(0, str(HW))
    import hwcheck

    return hwcheck


@pytest.fixture(scope="session")
def check():
    return load_check()


@pytest.fixture(scope="session")
def ngspice():
    try:
        return find_tool("ngspice")
    except ToolNotFound:
        subprocess.run(["bash", str(HW / "ensure_ngspice.sh")], check=False)
    try:
        return find_tool("ngspice")
    except ToolNotFound:
        pytest.fail("ngspice is missing and hardware/ensure_ngspice.sh could not install it")


@pytest.fixture(scope="session")
def hw(check, ngspice):
    """(raw, checks) of one full hardware-check run."""
    return check.run_all()


@pytest.fixture(scope="session")
def board(check):
    return check.load_board(check.BOARD_JSON)


# The tests on the full simulation share one run of every ngspice deck (the `hw`
# fixture, about 3 CPU-minutes): they are slow, and the first of them carries the
# run in its setup, so they get a timeout that a loaded 2-core machine cannot
# reach (the default 300 s is a hang detector, not a speed requirement).
HW_TIMEOUT_S = 1800


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:  # the hook sees every item of the session: only this folder's
        if "hw" in getattr(item, "fixturenames", ()) and item.path.is_relative_to(here):
            item.add_marker(pytest.mark.slow)
            item.add_marker(pytest.mark.timeout(HW_TIMEOUT_S))
