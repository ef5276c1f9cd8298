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
