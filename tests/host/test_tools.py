"""wandctl.tools.find_tool: the one place that finds micropython, mpy-cross and
ngspice; and the CLI's command table, which never hides a failed import."""

import stat
import sys
from pathlib import Path

import pytest

from wandctl import cli, tools
from wandctl.errors import WandctlError


def _exe(path: Path) -> Path:
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_finds_the_venv_copies_of_micropython_and_mpy_cross():
    for name in ("micropython", "mpy-cross"):
        assert tools.find_tool(name) == str(Path(sys.executable).parent / name)


def test_the_copy_beside_python_wins_over_path(tmp_path, monkeypatch):
    venv_bin, other = tmp_path / "venv", tmp_path / "other"
    venv_bin.mkdir()
    other.mkdir()
    _exe(venv_bin / "mytool")
    _exe(other / "mytool")
    monkeypatch.setattr(tools.sys, "executable", str(venv_bin / "python"))
    monkeypatch.setenv("PATH", str(other))
    assert tools.find_tool("mytool") == str(venv_bin / "mytool")
    (venv_bin / "mytool").unlink()
    assert tools.find_tool("mytool") == str(other / "mytool")
    (venv_bin / "mytool").write_text("not executable")  # a plain file beside python is not a tool
    assert tools.find_tool("mytool") == str(other / "mytool")


@pytest.mark.parametrize("name, hint", [
    ("micropython", "make venv"),
    ("mpy-cross", "make venv"),
    ("ngspice", "hardware/ensure_ngspice.sh"),
    ("no-such-tool", "not found on PATH"),
])
def test_a_missing_tool_is_a_user_error_with_a_hint(tmp_path, monkeypatch, name, hint):
    monkeypatch.setattr(tools.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(WandctlError) as e:
        tools.find_tool(name)
    assert hint in str(e.value) and e.value.tool == name


def test_cli_does_not_hide_a_command_module_that_fails_to_import(tmp_path, monkeypatch):
    """A command module whose own import fails (a missing dependency) is a
    traceback, not a command that silently vanishes from `wandctl --help`."""
    (tmp_path / "wand_cmd_broken.py").write_text("import no_such_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(cli, "COMMAND_MODULES", cli.COMMAND_MODULES + ["wand_cmd_broken"])
    with pytest.raises(ModuleNotFoundError) as e:
        cli.build_parser()
    assert e.value.name == "no_such_dependency_xyz"
    monkeypatch.setattr(cli, "COMMAND_MODULES", cli.COMMAND_MODULES[:-1] + ["wand_cmd_not_there"])
    with pytest.raises(ModuleNotFoundError):
        cli.build_parser()


def test_every_listed_command_module_registers():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert len(sub.choices) >= len(cli.COMMAND_MODULES)
