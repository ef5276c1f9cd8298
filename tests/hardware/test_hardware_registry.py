"""The hardware check's one registry (hardware/hwcheck/registry.py): every
analysis module is listed there once, each module holds one analysis, and the
report follows the registry. No ngspice needed."""

import importlib
import pkgutil
from pathlib import Path


def _modules(check):
    names = [info.name for info in pkgutil.iter_modules(check.__path__) if info.name != "__main__"]
    return {name: importlib.import_module("hwcheck." + name) for name in names}


def test_every_analysis_module_is_registered_once(check):
    from hwcheck.analysis import Analysis

    declared = {}
    for name, mod in _modules(check).items():
        if name == "registry":
            continue
        own = [v for v in vars(mod).values() if isinstance(v, Analysis)]
        assert len(own) <= 1, "%s holds %d analyses: one per module" % (name, len(own))
        if own:
            assert getattr(mod, "ANALYSIS", None) is own[0], "%s: declare its analysis as ANALYSIS" % name
            declared[name] = own[0]
    registered = list(check.ANALYSES)
    assert len(registered) == len({id(a) for a in registered}), "an analysis is listed twice"
    assert sorted(map(id, registered)) == sorted(map(id, declared.values())), (
        "hwcheck/registry.py ANALYSES must list exactly the modules that declare an ANALYSIS: %s" % sorted(declared)
    )
    names = [a.name for a in registered]
    assert len(names) == len(set(names)), "two analyses share a name"
    raws = [a.raw for a in registered if a.simulate is not None]
    assert len(raws) == len(set(raws)) and "board" not in raws, "two simulations share a raw key"


def test_summary_has_one_line_per_registered_analysis_in_order(check):
    checks = {a.name: {"ok": a.name != "reset"} for a in check.ANALYSES}
    lines = check.summary(checks).splitlines()
    assert [ln.split()[0] for ln in lines] == [a.name for a in check.ANALYSES]
    assert [ln.split()[1] for ln in lines] == ["FAIL" if a.name == "reset" else "ok" for a in check.ANALYSES]


def test_hwcheck_finds_the_checkout_in_one_place(check):
    """Only hwcheck/paths.py knows where the package sits in the checkout."""
    root = Path(check.__file__).parent
    for py in sorted(root.glob("*.py")):
        if py.name == "paths.py":
            continue
        text = py.read_text(encoding="utf-8")
        assert "__file__" not in text, "%s: find the checkout through hwcheck.paths" % py.name
    assert check.BOARD_JSON == root.parent / "board.json"
