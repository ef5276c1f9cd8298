"""`wandctl flash` and real esptool (--no-stub) against the virtual board's ROM loader."""

import grp
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from vbhelpers import assert_user_error, esptool, mpremote, wandctl

from simboard.vboard import VirtualBoard
from wandctl import flash as fl

pytestmark = pytest.mark.slow  # virtual board on a pty


@pytest.fixture
def loader_board(tmp_path):
    with VirtualBoard(tmp_path / "flash", seed=4, bootloader=True) as b:
        yield b


@pytest.fixture
def image(tmp_path):
    path = tmp_path / "ESP32_GENERIC-test.bin"
    path.write_bytes(fl.build_merged_image("esp32", version="v1.29.0", code_size=12000, seed=9))
    return path


def test_real_esptool_detects_writes_verifies_and_reads_back_identical(loader_board, image, tmp_path):
    r = esptool(loader_board.port, "chip-id")
    assert r.returncode == 0 and "ESP32" in r.stdout, r.stdout + r.stderr
    r = esptool(loader_board.port, "write-flash", "0x1000", image)
    assert r.returncode == 0 and "Hash of data verified" in r.stdout, r.stdout + r.stderr
    back = tmp_path / "back.bin"
    r = esptool(loader_board.port, "read-flash", "0x1000", image.stat().st_size, back)
    assert r.returncode == 0, r.stdout + r.stderr
    assert back.read_bytes() == image.read_bytes()
    r = esptool(loader_board.port, "verify-flash", "0x1000", image)
    assert r.returncode == 0 and "Verification successful" in r.stdout
    assert loader_board.spi_flash()[0x1000 : 0x1000 + image.stat().st_size] == image.read_bytes()
    assert loader_board.spi_flash_path.read_bytes()[0x1000:0x1010] == image.read_bytes()[:16]  # kept on disk


def test_wandctl_flash_writes_at_the_offset_and_waits_for_the_banner(loader_board, image):
    (loader_board.files / "keep.txt").write_text("files outside the written sectors stay")
    r = wandctl("flash", "--port", loader_board.port, "--firmware", image, "--no-deploy", timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "image: ESP32 merged image of MicroPython v1.29.0" in r.stderr and "goes at 0x1000" in r.stderr
    assert "MicroPython is up: MicroPython v1.29.0" in r.stderr
    assert "next: wandctl deploy --port %s" % loader_board.port in r.stderr
    assert loader_board.spi_flash()[0x1000 : 0x1000 + image.stat().st_size] == image.read_bytes()
    assert not loader_board.in_bootloader and loader_board.running


def test_esptool_and_the_board_share_the_littlefs_bytes(loader_board, tmp_path):
    """The filesystem is littlefs in the SPI flash image: erasing its superblocks with esptool
    leaves nothing to mount; the chip then formats it (inisetup) and the host reads it back."""
    from simboard.vboard.lfsview import open_image_fs

    (loader_board.files / "main.py").write_text("print('old')\n")
    assert (loader_board.files / "main.py").read_text() == "print('old')\n"
    blank = tmp_path / "blank.bin"
    blank.write_bytes(b"\xff" * 8192)  # littlefs keeps its superblock pair in blocks 0 and 1
    r = esptool(loader_board.port, "write-flash", "0x200000", blank)
    assert r.returncode == 0, r.stdout + r.stderr
    assert list(loader_board.files.iterdir()) == []
    assert not (loader_board.files / "main.py").exists()
    # the same bytes read with esptool and mounted with littlefs-python after the chip formats it
    loader_board.power_cycle()
    r = mpremote(loader_board.port, "exec", "with open('x.txt', 'w') as f: f.write('from the chip')")
    assert r.returncode == 0, r
    loader_board.enter_bootloader()
    image = loader_board.spi_flash()
    back = tmp_path / "sb.bin"  # the superblock pair through the ROM loader (a full read takes minutes)
    r = esptool(loader_board.port, "read-flash", "0x200000", "0x2000", back)
    assert r.returncode == 0, r.stdout + r.stderr
    assert back.read_bytes() == image[0x200000:0x202000]
    fs = open_image_fs(image[0x200000:])
    assert sorted(fs.listdir("/")) == ["boot.py", "x.txt"]
    assert fs.open("x.txt", "r").read() == "from the chip"


def test_flash_errors_not_in_bootloader_and_wrong_chip(tmp_path, image):
    s3 = tmp_path / "ESP32_GENERIC_S3.bin"
    s3.write_bytes(fl.build_merged_image("esp32s3"))
    with VirtualBoard(tmp_path / "running") as board:  # runs MicroPython: no ROM loader answers
        r = wandctl("flash", "--port", board.port, "--firmware", image, "--no-deploy", timeout=180)
        assert_user_error(r, "not in bootloader mode", "--bootloader")
    with VirtualBoard(tmp_path / "loader", bootloader=True) as board:
        r = wandctl("flash", "--port", board.port, "--firmware", s3, "--no-deploy", timeout=180)
        assert_user_error(r, "built for ESP32-S3, but the board is an ESP32", "micropython.org/download")
        assert board.in_bootloader  # nothing was written
        assert board.spi_flash()[0x1000] == 0xE9


def test_flash_errors_for_files_and_ports(tmp_path, image):
    text = tmp_path / "main.py"
    text.write_text("print('this is not an image')\n")
    assert_user_error(
        wandctl("flash", "--port", "/dev/null", "--firmware", text),
        "is not a firmware image",
        ".py files are not flashed",
    )
    other = tmp_path / "blink.bin"
    other.write_bytes(fl.build_app_image("esp32", project="blink"))
    assert_user_error(
        wandctl("flash", "--port", "/dev/null", "--firmware", other), "not MicroPython", "--force"
    )
    assert_user_error(
        wandctl("flash", "--port", "/dev/null", "--firmware", tmp_path / "missing.bin"),
        "does not exist",
        "micropython.org/download",
    )
    assert_user_error(
        wandctl("flash", "--port", "/dev/ttyUSB42", "--firmware", image), "serial port /dev/ttyUSB42 does not exist"
    )
    assert_user_error(
        wandctl("flash", "--port", str(tmp_path), "--firmware", image), "is not a serial device"
    )


def _run_cli_as_nobody(argv):
    """Run wandctl's main() in a forked child that dropped root (root may open any device)."""
    import esptool  # noqa: F401
    import serial  # noqa: F401

    import wandctl.cli as cli
    import wandctl.commands.deploy  # noqa: F401 - loaded before dropping privileges
    import wandctl.commands.flash  # noqa: F401

    cli.build_parser()  # imports every command module now
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 99
        try:
            os.close(r)
            sys.stdout = sys.stderr = os.fdopen(w, "w", buffering=1)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            code = cli.main(argv)
        except BaseException:  # noqa: B036 - shown to the parent
            import traceback

            traceback.print_exc()
        finally:
            os._exit(code)
    os.close(w)
    with os.fdopen(r) as f:
        out = f.read()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to drop to another user")
def test_permission_denied_says_how_to_fix_it(image, tmp_path):
    readable = Path(tempfile.mkdtemp())
    with VirtualBoard(tmp_path / "flash") as board:
        # like /dev/ttyUSB0 on most distributions: root:dialout, rw for the group only
        try:
            gid = grp.getgrnam("dialout").gr_gid
        except KeyError:
            gid = grp.getgrnam("tty").gr_gid
        os.chown(board.port, 0, gid)
        os.chmod(board.port, 0o660)
        readable.chmod(0o755)
        img = readable / "fw.bin"
        img.write_bytes(image.read_bytes())
        img.chmod(0o644)
        for argv in (
            ["flash", "--port", board.port, "--firmware", str(img), "--no-deploy"],
            ["deploy", "--port", board.port],
        ):
            code, out = _run_cli_as_nobody(argv)
            assert code == 1, out
            assert "Traceback" not in out
            assert "wandctl: permission denied on %s" % board.port in out
            assert "group" in out and "usermod -aG" in out
    shutil.rmtree(readable)
