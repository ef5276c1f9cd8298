"""FlashFS: littlefs semantics over a host folder, for power-cut tests."""

import pytest

from simboard.flashfs import FlashFS, PowerCut


def _write(fs, name, text):
    f = fs.open(name, "w")
    f.write(text)
    f.close()


def test_content_is_committed_only_at_close(tmp_path):
    fs = FlashFS(str(tmp_path))
    _write(fs, "s.json", "old")
    f = fs.open("s.json", "w")
    f.write("new")
    assert FlashFS(str(tmp_path)).read_committed("s.json") == b"old"
    f.close()
    assert FlashFS(str(tmp_path)).read_committed("s.json") == b"new"


def test_power_cut_before_close_keeps_old_content(tmp_path):
    fs = FlashFS(str(tmp_path))
    _write(fs, "s.json", "old")
    f = fs.open("s.json", "w")
    fs.cut_after(2)  # write ok, close is cut
    f.write("new content")
    with pytest.raises(PowerCut):
        f.close()
    after = FlashFS(str(tmp_path))
    with after.open("s.json") as g:
        assert g.read() == "old"


def test_new_file_may_survive_a_power_cut_empty(tmp_path):
    fs = FlashFS(str(tmp_path))
    f = fs.open("new.txt", "w")
    fs.cut_after(1)
    with pytest.raises(PowerCut):
        f.write("data")
    after = FlashFS(str(tmp_path))
    assert after.exists("new.txt")
    with after.open("new.txt") as g:
        assert g.read() == ""


def test_rename_is_atomic_and_replaces_the_target(tmp_path):
    fs = FlashFS(str(tmp_path))
    _write(fs, "a", "1")
    _write(fs, "a.tmp", "2")
    fs.rename("a.tmp", "a")
    assert fs.listdir() == ["a"]
    with fs.open("a") as g:
        assert g.read() == "2"


def test_every_later_operation_fails_after_the_cut(tmp_path):
    fs = FlashFS(str(tmp_path))
    fs.cut_after(1)
    with pytest.raises(PowerCut):
        fs.exists("x")
    for op in (lambda: fs.open("x", "w"), lambda: fs.listdir(), lambda: fs.remove("x")):
        with pytest.raises(PowerCut):
            op()


@pytest.mark.parametrize("cut", range(1, 6))
def test_temp_close_rename_survives_a_cut_at_every_step(tmp_path, cut):
    """The pattern wand/atomicfile.py uses: old or new, never broken."""
    root = str(tmp_path)
    _write(FlashFS(root), "set", "old")
    fs = FlashFS(root)
    fs.cut_after(cut)
    try:
        f = fs.open("set.tmp", "w")
        f.write("new")
        f.close()
        fs.rename("set.tmp", "set")
    except PowerCut:
        pass
    with FlashFS(root).open("set") as g:
        assert g.read() in ("old", "new")


def test_remove_and_binary_mode(tmp_path):
    fs = FlashFS(str(tmp_path))
    with fs.open("b.bin", "wb") as f:
        f.write(b"\x00\x01")
    with fs.open("b.bin", "rb") as f:
        assert f.read() == b"\x00\x01"
    fs.remove("b.bin")
    assert not fs.exists("b.bin")
    with pytest.raises(OSError):
        fs.open("b.bin", "rb")


def test_world_power_cut_kills_attached_flashfs_until_power_on(tmp_path):
    from simboard import time as t
    from simboard.world import ChipReset

    from .conftest import make_world

    w = make_world(seed=0, flash_dir=str(tmp_path), end_s=10)
    fs = FlashFS(str(tmp_path))
    w.flash_fs.append(fs)
    f = fs.open("log", "w")
    f.write("pending")
    w.at(100, "power_cut")
    with pytest.raises(ChipReset):
        t.sleep_ms(200)
    with pytest.raises(PowerCut):
        f.close()
    assert FlashFS(str(tmp_path)).read_committed("log") == b""
    w.at(500, "power_on")
    w.reboot(ChipReset("power_cut"))
    assert fs.exists("log")
