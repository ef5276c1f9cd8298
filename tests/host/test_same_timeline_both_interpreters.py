"""Issue 3: a session script run on CPython and on the MicroPython unix port
gives the same state timeline (the real firmware on the simulated board)."""

import pytest

from simboard import simrun

pytestmark = pytest.mark.slow  # a session on both interpreters

SCRIPT = """\
1.0   press power 0.2
8.0   press level 0.15
12.0  contact off
15.0  contact on
25.0  press power 2.0
"""


def test_same_state_timeline_on_cpython_and_micropython(tmp_path):
    script = tmp_path / "s.script"
    script.write_text(SCRIPT)
    runs = {}
    for interp in ("cpython", "micropython"):
        opts = simrun.SimOptions(script=str(script), seconds=40, interpreter=interp, seed=3,
                                 settings={"level": 4, "session_min": 1})
        res = simrun.run(opts)
        runs[interp] = res
    timeline = {k: [(t, kind, tuple(a)) for t, kind, a in r.events] for k, r in runs.items()}
    assert timeline["cpython"], "no events"
    assert timeline["cpython"] == timeline["micropython"]
    kinds = [k for _, k, _ in timeline["cpython"]]
    for needed in ("session_start", "level", "contact_lost", "contact_back", "session_end"):
        assert needed in kinds, needed
    # the physics agree too
    a, b = runs["cpython"].plant, runs["micropython"].plant
    assert abs(a["peak_ua"] - b["peak_ua"]) < 0.5 and abs(a["net_charge_uc"] - b["net_charge_uc"]) < 0.5
