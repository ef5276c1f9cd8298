"""The App's parts (wand.controls, wand.entry, wand.diag*) use only the App
interface that app.py's docstring lists, and no module of the firmware reads
or writes another object's private fields (`x._name` where x is not self or
cls). (Not yet the console's command modules con_*.py: each is a piece of
the Console class loaded on demand, and works on the Console's fields.)"""

import ast
import re
from pathlib import Path

WAND = Path(__file__).resolve().parents[2] / "firmware" / "wand"
PARTS = ["controls.py", "entry.py", "diag.py", "diag_cal.py", "diag_test.py", "diag_set.py"]


def _listed():
    doc = ast.get_docstring(ast.parse((WAND / "app.py").read_text()))
    i = doc.index("may use of it, and nothing else:")
    return set(re.findall(r"[a-z_]+", doc[i:])) - {"may", "use", "of", "it", "and", "nothing", "else"}


def _app_uses(path):
    """Attributes read or written on `app` or `self.app`."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute):
            v = node.value
            if (isinstance(v, ast.Name) and v.id == "app") or (
                    isinstance(v, ast.Attribute) and v.attr == "app" and isinstance(v.value, ast.Name)
                    and v.value.id == "self"):
                out.add(node.attr)
    return out


def test_the_parts_use_only_the_interface_app_py_lists():
    listed = _listed()
    for name in ("board", "sup", "session", "note", "output_off", "calibrating", "boot", "run"):
        assert name in listed, name  # the parse found the list
    for f in PARTS:
        used = _app_uses(WAND / f)
        assert used, f  # each part does use the App
        assert used <= listed, (f, sorted(used - listed))


def test_no_firmware_module_touches_another_objects_private_fields():
    bad = []
    for path in sorted(WAND.glob("*.py")):
        if path.name.startswith("con_"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
                bad.append("%s:%d %s" % (path.name, node.lineno, ast.unparse(node)))
    assert not bad, bad
    assert len(list(WAND.glob("*.py"))) > 20  # the firmware was found
