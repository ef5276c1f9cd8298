"""Issue 14's layout rules for the firmware, checked on the source: small
modules (350 lines at most) and no import cycle between them, counting the
imports made inside functions (the console and diagnostics load on demand)."""

import ast
from pathlib import Path

WAND = Path(__file__).resolve().parents[2] / "firmware" / "wand"
MAX_LINES = 350


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
