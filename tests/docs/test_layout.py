"""Issue 14's layout rules, checked on the source: small firmware modules (350
lines at most) and no import cycle between them, counting the imports made
inside functions (the console and diagnostics load on demand); no host tool
file over 500 lines; every source file we own named in docs/architecture.md's
layout, with its job."""

import ast
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WAND = ROOT / "firmware" / "wand"
MAX_LINES = 350
HOST_MAX_LINES = 500
SOURCE_DIRS = ("firmware", "host_tools", "hardware", "tools", "web", "bench")
SOURCE_SUFFIXES = (".py", ".mjs", ".js")
NAMED = re.compile(r"[\w./-]*\w\.(?:py|mjs|js)\b")
FOLDER = re.compile(r"[\w.-]+(?:/[\w.-]+)*/")


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


def test_only_the_entry_imports_the_hal():
    """Hardware is injected: the App and its parts get a board, never import
    wand.hal (controls.py once did for one constant, and a bench App without
    the chip's board loaded the HAL's 6 KB with it)."""
    users = sorted(p.name for p in WAND.glob("*.py") if p.stem != "hal" and "hal" in _imports(p))
    assert users == ["entry.py"], users


def test_no_host_tool_file_is_over_500_lines():
    files = list((ROOT / "host_tools").rglob("*.py"))
    assert len(files) > 40  # (the walk sees the packages)
    long = {str(p.relative_to(ROOT)): n for p in files if (n := len(p.read_text().splitlines())) > HOST_MAX_LINES}
    assert not long, long


def _source_files():
    """The source files we own under the source folders: those git tracks or
    would (a new file not added yet counts), not what .gitignore leaves out
    (build/, node_modules, caches)."""
    cmd = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", *SOURCE_DIRS]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, check=True)
    names = {n for n in out.stdout.decode().split("\0") if n}
    return sorted(
        n for n in names if n.endswith(SOURCE_SUFFIXES) and "node_modules/" not in n and (ROOT / n).is_file()
    )


def _layout_names(text):
    """The paths the Layout block of docs/architecture.md names. The block is a
    tree: a line whose first word is `folder/` opens that folder for the lines
    indented deeper than it (continuation lines included), and every file name
    on a line is taken in the innermost open folder (`chip/_link.py` inside
    `vboard/` is host_tools/simboard/vboard/chip/_link.py)."""
    m = re.search(r"^## Layout\n+```\n(.*?)^```", text, re.S | re.M)
    assert m, "docs/architecture.md has no ## Layout code block"
    named = set()
    open_dirs = []  # (indent, path)
    for line in m.group(1).splitlines():
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        while open_dirs and open_dirs[-1][0] >= indent:
            open_dirs.pop()
        here = open_dirs[-1][1] if open_dirs else ""
        first = line.split()[0]
        if FOLDER.fullmatch(first):
            here += first
            open_dirs.append((indent, here))
        named.update(here + name for name in NAMED.findall(line))
    return named


def test_layout_parser_reads_the_tree():
    text = "## Layout\n\n```\na/     x.py\n  b/   y.py, z.mjs\n         c/ w.js\n  v.py\n```\n"
    assert _layout_names(text) == {"a/x.py", "a/b/y.py", "a/b/z.mjs", "a/b/c/w.js", "a/v.py"}


def test_every_source_file_is_named_in_architecture_md():
    """A module added without its line in docs/architecture.md's layout fails here."""
    files = _source_files()
    assert len(files) > 150 and "firmware/wand/app.py" in files  # (git sees the sources)
    named = _layout_names((ROOT / "docs" / "architecture.md").read_text(encoding="utf-8"))
    missing = [f for f in files if f not in named]
    assert not missing, "give each a one-line job in docs/architecture.md's layout: %s" % missing
