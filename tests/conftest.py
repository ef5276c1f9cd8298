"""Test setup shared by every folder: firmware and host_tools on sys.path, and
MicroPython's `micropython` module stand-in on CPython (const() is identity)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT / "firmware", ROOT / "host_tools", ROOT / "tests" / "unit"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

if "micropython" not in sys.modules:
    from simboard import upy

    sys.modules["micropython"] = upy

# Hypothesis: random examples on developers' machines (they keep finding new
# cases); the same examples on every CI run (CI=true), so a landing never
# depends on luck. `HYPOTHESIS_PROFILE=ci` gives the CI behaviour locally.
import os  # noqa: E402

from hypothesis import settings as _hyp_settings  # noqa: E402

_hyp_settings.register_profile("ci", derandomize=True, print_blob=True)
_hyp_settings.register_profile("dev", print_blob=True)
_hyp_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


# `make test` runs two pytest-xdist workers (tools/test.sh: -n 2 --dist
# loadgroup). Tests that run a board on the wall clock (the pty board, real
# subprocess boards, Chromium) stay together on one worker, in file order, so
# they never compete with each other for the CPU; the ngspice run is shared by
# the hardware tests of one worker. Without xdist the marks do nothing.
_WALLCLOCK = (
    "tests/vboard/", "tests/web/", "tests/console/test_console_app_e2e.py",
    "tests/cli/test_console_host_e2e.py", "tests/cli/test_everyday_e2e.py",
    "tests/cli/test_deploy.py", "tests/cli/test_reach.py", "tests/cli/test_console_and_tools.py",
    "tests/cli/test_serve_physics.py", "tests/redteam/test_redteam_sr10_powercut.py",
    "tests/sim/test_shim.py", "tests/sim/test_sr02_leave_rearm.py",
)


# `make test-fast` (-m "not slow") leaves out what takes long; `make test` runs
# everything. Besides the files and tests that carry the mark themselves:
_SLOW = (
    "tests/web/",  # Chromium and an npm install
    "tests/redteam/",  # full-board scenarios, most of them whole sessions
    "tests/system/test_fuzz.py",  # fuzz searches, one on the MicroPython port
    "tests/system/test_fuzz_regressions.py",  # 63 full-board replays of the fuzzer's finds
    "tests/vboard/test_mpremote_first_try.py",  # the real firmware on the pty board
    "tests/vboard/test_orphan_child.py",  # a pty board killed outright
    "tests/cli/test_everyday_e2e.py",  # wandctl against the real firmware in real time
    "tests/cli/test_reach.py",  # wandctl repl/reset on the pty board with the real firmware
    "tests/cli/test_serve_physics.py",  # `wandctl sim --serve`: the pty board with simboard's physics
)
# and, in the folders of the pty board's users, every test that starts one
# (through one of these fixtures)
_PTY_BOARD_DIRS = ("tests/vboard/", "tests/cli/")
_PTY_BOARD_FIXTURES = {"board", "loader_board", "real_board", "wand"}


def pytest_collection_modifyitems(config, items):
    import pytest

    for item in items:
        rel = item.path.relative_to(ROOT).as_posix()
        if rel.startswith(_SLOW) or (
            rel.startswith(_PTY_BOARD_DIRS) and _PTY_BOARD_FIXTURES & set(getattr(item, "fixturenames", ()))
        ):
            item.add_marker(pytest.mark.slow)
        if rel.startswith(_WALLCLOCK):
            item.add_marker(pytest.mark.xdist_group("wallclock"))
        elif rel.startswith("tests/hardware/"):
            item.add_marker(pytest.mark.xdist_group("ngspice"))
