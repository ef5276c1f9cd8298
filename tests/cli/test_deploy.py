"""`wandctl deploy` against the virtual board with real mpremote (its SerialTransport) and mpy-cross."""

import json
import random
import subprocess
import sys
import time

import pytest
from vbhelpers import REPO, make_firmware, wandctl

from simboard.vboard import WDT_RESET, VirtualBoard
from wandctl.deploy import bench_deploy, wait_hello

pytestmark = pytest.mark.slow  # virtual board on a pty


def deploy_json(port, fw):
    proc = wandctl("deploy", "--port", port, "--firmware", fw, "--json", check=True)
    return json.loads(proc.stdout)


def test_full_deploy_then_unchanged_redeploy_copies_nothing(board, fw_v1):
    first = deploy_json(board.port, fw_v1)
    assert first["hello"]["fw"] == "fixture-1" and first["switched"]
    assert first["mpy_version"] == "6.3" and first["arch"] == "x64"  # asked from the board
    # every module as .mpy, boot.py and main.py as source: the whole firmware
    modules = {"wand/%s.mpy" % f.stem for f in (fw_v1 / "wand").glob("*.py")}
    assert set(first["files_copied"]) == modules | {"boot.py", "main.py"}
    assert (board.files / "wand" / "app.mpy").exists()  # .mpy, in the /wand slot
    # boot.py and main.py stay source
    assert (board.files / "main.py").read_bytes() == (fw_v1 / "main.py").read_bytes()
    assert not (board.files / ".stage").exists()
    again = deploy_json(board.port, fw_v1)
    assert again["files_copied"] == [] and again["bytes_copied"] == 0 and not again["switched"]
    assert again["hello"]["fw"] == "fixture-1"


def test_deploy_while_the_watchdog_is_armed(board, fw_v1, tmp_path):
    deploy_json(board.port, fw_v1)
    # the firmware arms a 1 s WDT and feeds it from its loop: an mpremote session that does not
    # get rid of it is reset within a second
    time.sleep(1.5)
    assert board.wdt_ms == 1000
    v2 = make_firmware(tmp_path / "fw2", "fixture-2", pad_kb=16)
    result = deploy_json(board.port, v2)
    assert result["hello"]["fw"] == "fixture-2" and result["sessions"] == 1
    assert "wand/__init__.mpy" in result["files_copied"] and "wand/app.mpy" not in result["files_copied"]
    assert WDT_RESET not in [cause for _, cause in board.resets]
    assert (board.files / "lib" / "wand" / "pad03.mpy").exists()  # the other slot now
    assert not (board.files / "wand").exists()


@pytest.mark.parametrize("how", ["kill-deploy", "power-cut"])
def test_deploy_cut_off_midway_boots_old_or_new_firmware(tmp_path, fw_v1, how):
    v2 = make_firmware(tmp_path / "fw2", "fixture-2", pad_kb=40)
    v3 = make_firmware(tmp_path / "fw3", "fixture-3", pad_kb=40)
    rng = random.Random(5 if how == "kill-deploy" else 6)
    with VirtualBoard(tmp_path / "flash", seed=2) as board:
        deploy_json(board.port, fw_v1)
        old = "fixture-1"
        for i in range(5):
            new_fw, new = (v2, "fixture-2") if i % 2 == 0 else (v3, "fixture-3")
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "wandctl",
                    "deploy",
                    "--port",
                    board.port,
                    "--firmware",
                    str(new_fw),
                    "--no-progress",
                ],
                cwd=REPO,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                time.sleep(rng.uniform(0.3, 1.6))
                if how == "power-cut":
                    board.power_cut()
                proc.kill()
            finally:
                proc.wait(30)
            if how == "kill-deploy":
                board.power_cut()
            board.power_on()
            board.wait_ready()
            hello = wait_hello(board.port, timeout=20)
            assert hello["fw"] in (old, new), (i, hello)
            old = hello["fw"]
        # and the next deploy finishes the job from whatever was left
        assert deploy_json(board.port, v2)["hello"]["fw"] == "fixture-2"


def test_real_firmware_deploys_and_answers_hello(board):
    result = deploy_json(board.port, REPO / "firmware")
    assert result["hello"]["product"] == "microwand" and result["hello"]["protocol"] == 1
    assert all(f.endswith(".mpy") for f in result["files_copied"] if f.startswith("wand/"))
    # Unchanged: no reset, the firmware runs again. It was once resumed from the raw REPL,
    # left back into it, and the third deploy found a raw `>` it could not leave.
    resets = len(board.resets)
    for _ in range(2):
        again = deploy_json(board.port, REPO / "firmware")
        assert again["files_copied"] == [] and again["hello"]["product"] == "microwand"
    assert len(board.resets) == resets, board.resets[resets:]


def test_bench_deploy_reports_full_and_unchanged_times(tmp_path, fw_v1):
    figures = bench_deploy(lambda: VirtualBoard(tmp_path / "bench-flash"), fw_v1)
    assert figures["deploy_full_s"] > 0 and figures["deploy_unchanged_s"] > 0
    assert figures["bytes_full"] > 0 and figures["bytes_unchanged"] == 0


def test_deploy_user_errors(tmp_path, board):
    p = wandctl("deploy", "--port", "/dev/ttyUSB99")
    from vbhelpers import assert_user_error

    assert_user_error(p, "serial port /dev/ttyUSB99 does not exist", "doctor")
    p = wandctl("deploy", "--port", board.port, "--firmware", tmp_path / "nope")
    assert_user_error(p, "does not exist")
    broken = make_firmware(tmp_path / "broken", "x")
    (broken / "wand" / "bad.py").write_text("def f(:\n")
    p = wandctl("deploy", "--port", board.port, "--firmware", broken)
    assert_user_error(p, "mpy-cross could not compile", "bad.py", "SyntaxError")
    assert board.resets[-1][1] == 1  # the board was not touched: no reset into the REPL
    # boot.py and main.py stay source, but must compile (a broken main.py left the board at the REPL, a binary
    # one panicked it: a helper's audit), and a file name with a space failed the board's check every time
    for name, body in (("main.py", b"import wand.app\ndef oops(:\n"), ("boot.py", bytes(range(256)))):
        bad = make_firmware(tmp_path / ("bad_" + name), "x")
        (bad / name).write_bytes(body)
        p = wandctl("deploy", "--port", board.port, "--firmware", bad)
        assert_user_error(p, name, "does not compile")
    spaced = make_firmware(tmp_path / "spaced", "x")
    (spaced / "wand" / "ph oto.jpg").write_bytes(b"\xff\xd8")
    p = wandctl("deploy", "--port", board.port, "--firmware", spaced)
    assert_user_error(p, "a file name with a space cannot be deployed")
    assert board.resets[-1][1] == 1


def test_deploy_resumes_when_a_watchdog_armed_at_the_repl_resets_the_board(tmp_path):
    """A WDT armed at the REPL survives Ctrl-C and resets the board mid-deploy: a new session resumes."""
    # 8 s of watchdog and about 30 s of copying at 115200 baud (the firmware's 50 KB of
    # .mpy and 208 KB of padding): the reset lands in the copy however slow the host is
    # in starting the deploy
    fw = make_firmware(tmp_path / "fw", "fixture-1", pad_kb=208)
    from wandctl.deploy import build, mpy_cross_version

    for arch in (None, "x64"):  # compiled before the watchdog is armed: the copy itself is cut
        build(fw, *mpy_cross_version(), arch)
    with VirtualBoard(tmp_path / "flash", uart_baud=115200) as board:  # slow enough to be cut
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "mpremote",
                "connect",
                board.port,
                "exec",
                "import machine; machine.WDT(0, 8000)",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert r.returncode == 0, r
        result = deploy_json(board.port, fw)
        assert result["sessions"] >= 2 and result["hello"]["fw"] == "fixture-1"
        assert WDT_RESET in [cause for _, cause in board.resets]


def test_py_sources_on_the_board_are_warned_about_with_the_heap_figure(board, fw_v1):
    """Sources copied by hand would be imported before the .mpy and compiled on the
    chip (issue 11: about 100 KB of heap): the deploy says so and replaces them."""
    deploy_json(board.port, fw_v1)
    (board.files / "wand" / "app.py").write_bytes((fw_v1 / "wand" / "app.py").read_bytes())  # by hand
    proc = wandctl("deploy", "--port", board.port, "--firmware", fw_v1, "--json", check=True)
    assert "holds .py sources (app.py)" in proc.stderr and "100 KB of heap" in proc.stderr
    live = board.files / "wand"
    if not live.exists():
        live = board.files / "lib" / "wand"  # the other slot
    assert (live / "app.mpy").exists() and not (live / "app.py").exists()
    assert json.loads(proc.stdout)["hello"]["fw"] == "fixture-1"
