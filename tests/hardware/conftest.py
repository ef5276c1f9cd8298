"""Fixtures for the hardware tests: hardware/check.py as a module, ngspice
(installed through hardware/ensure_ngspice.sh when missing) and one simulation
run shared by every test of the session."""

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HW = ROOT / "hardware"


def load_check():
    name = "microwand_hw_check"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HW / "check.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def check():
    return load_check()


@pytest.fixture(scope="session")
def ngspice():
    if shutil.which("ngspice") is None:
        subprocess.run(["bash", str(HW / "ensure_ngspice.sh")], check=False)
    path = shutil.which("ngspice")
    if path is None:
        pytest.fail("ngspice is missing and hardware/ensure_ngspice.sh could not install it")
    return path


@pytest.fixture(scope="session")
def hw(check, ngspice):
    """(raw, checks) of one full hardware-check run."""
    return check.run_all()


@pytest.fixture(scope="session")
def board(check):
    return check.load_board(check.BOARD_JSON)
