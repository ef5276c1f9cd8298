"""Issue 14's layout rules, checked on the source: small firmware modules (350
lines at most) and no import cycle between them, counting the imports made
inside functions (the console and diagnostics load on demand); no host tool
file over 500 lines."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WAND = ROOT / "firmware" / "wand"
MAX_LINES = 350
HOST_MAX_LINES = 500


def _imports(path):
    """The wand modules a file imports, anywhere in it."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "wand":
                out.update(a.name for a in node.names if (WAND / (a.name + ".py")).exists())
            elif node.module.startswith("wand."):
                out.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            out.update(a.name.split(".")[1] for a in node.names if a.name.startswith("wand."))
    return out


def test_no_firmware_module_is_over_350_lines():
    long = {p.name: n for p in WAND.glob("*.py") if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, long


def test_no_import_cycle_inside_the_firmware():
    graph = {p.stem: _imports(p) - {p.stem} for p in WAND.glob("*.py")}
    assert "app" in graph and "controls" in graph["app"]  # (the parser sees the imports)
    state = {}

    def visit(m, path):
        state[m] = 1
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path + [m, n]))
            if n not in state:
                visit(n, path + [m])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [])


def test_no_host_tool_file_is_over_500_lines():
    files = list((ROOT / "host_tools").rglob("*.py"))
    assert len(files) > 40  # (the walk sees the packages)
    long = {str(p.relative_to(ROOT)): n for p in files if (n := len(p.read_text().splitlines())) > HOST_MAX_LINES}
    assert not long, long
