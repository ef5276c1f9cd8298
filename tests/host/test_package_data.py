"""A wheel of microwand carries every file its packages load at run time: the
pty board's chip/ proxies and mpy/vboot.py, simboard's shim/ (folders without
__init__.py, which setuptools leaves out unless pyproject.toml says so)."""

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from setuptools import find_namespace_packages, find_packages

from simboard.vboard import interpreter
from wandctl import paths

ROOT = paths.ROOT
HOST_TOOLS = paths.HOST_TOOLS
# loaded from the package's own folder at run time (as files, not as modules of the package)
RUN_TIME = sorted([*interpreter.CHIP_DIR.glob("*.py"), interpreter.VBOOT,
                   *(HOST_TOOLS / "simboard" / "shim").glob("*.py")])


def _tracked_package_files():
    """Every tracked file of the wandctl and simboard packages, relative to host_tools/."""
    out = subprocess.run(["git", "ls-files", "host_tools/wandctl", "host_tools/simboard"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.split()
    return [Path(f).relative_to("host_tools") for f in out if not f.endswith(".md")]


def test_the_run_time_files_are_there_and_tracked():
    tracked = set(_tracked_package_files())
    assert len(RUN_TIME) >= 9  # chip: machine, esp32, flashbdev, _link; vboot; shim: 4
    for f in RUN_TIME:
        assert f.is_file() and f.relative_to(HOST_TOOLS) in tracked, f


def test_pyproject_packages_cover_every_file_of_the_packages():
    """The package list pyproject.toml gives setuptools (checked without building anything)."""
    find = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    finder = find_namespace_packages if find.get("namespaces", True) else find_packages
    pkgs = set(finder(where=str(HOST_TOOLS), include=find.get("include", ("*",)), exclude=find.get("exclude", ())))
    missing = [str(f) for f in _tracked_package_files() if ".".join(f.parent.parts) not in pkgs]
    assert not missing, missing


def test_a_built_wheel_holds_every_file_of_the_packages(tmp_path):
    src = tmp_path / "src"
    for f in ["pyproject.toml", "README.md"] + ["host_tools/" + str(p) for p in _tracked_package_files()]:
        (src / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / f, src / f)  # a clean tree: no egg-info or cache of the checkout's
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "w"), str(src)],
                       capture_output=True, text=True, timeout=300)
    if r.returncode and "installing build dependencies" in r.stdout + r.stderr:
        pytest.skip("pip cannot fetch setuptools to build the wheel (offline)")
    assert r.returncode == 0, r.stderr[-2000:]
    (wheel,) = (tmp_path / "w").glob("microwand-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [str(f) for f in _tracked_package_files() if f.as_posix() not in names]
    assert not missing, missing
    assert {f.relative_to(HOST_TOOLS).as_posix() for f in RUN_TIME} <= names
    assert not [n for n in names if n.startswith("simboard/_mpy/")]
