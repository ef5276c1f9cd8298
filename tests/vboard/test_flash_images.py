"""Image checks behind `wandctl flash`: magic, chip id, MicroPython descriptor, offsets (docs/platform.md)."""

import pytest

from wandctl import flash as fl


@pytest.mark.parametrize(
    "chip,offset",
    [
        ("esp32", 0x1000),
        ("esp32s2", 0x1000),
        ("esp32s3", 0x0),
        ("esp32c3", 0x0),
        ("esp32c6", 0x0),
        ("esp32c5", 0x2000),
        ("esp32p4", 0x2000),
    ],
)
def test_merged_micropython_image_goes_at_the_bootloader_offset(chip, offset):
    info = fl.classify_firmware(fl.build_merged_image(chip))
    assert (info.kind, info.chip, info.offset, info.is_micropython) == ("merged", chip, offset, True)


def test_app_image_goes_at_0x10000_and_names_its_project():
    info = fl.classify_firmware(fl.build_app_image("esp32", project="micropython", version="v1.29.0"))
    assert (info.kind, info.offset, info.version, info.is_micropython) == ("app", 0x10000, "v1.29.0", True)
    other = fl.classify_firmware(fl.build_app_image("esp32", project="blink"))
    assert not other.is_micropython and other.project == "blink"


def test_damaged_and_foreign_files_are_refused_with_the_reason():
    image = bytearray(fl.build_merged_image("esp32"))
    with pytest.raises(fl.ImageError, match="magic 0xE9"):
        fl.classify_firmware(b"print('hello')\n" * 10)
    with pytest.raises(fl.ImageError, match="too short"):
        fl.classify_firmware(b"\xe9\x01")
    with pytest.raises(fl.ImageError, match="no application"):
        fl.classify_firmware(bytes(image[:0x8000]))
    image[0x40] ^= 0xFF  # flip a byte inside the bootloader's first segment
    with pytest.raises(fl.ImageError, match="checksum|SHA-256"):
        fl.classify_firmware(bytes(image))
