"""Write the synthetic MicroPython ESP32 download the tests use, for `make image` / `make web` on a clean clone.

    python tools/synthetic_micropython.py OUT.bin [--version v1.29.0]

It has real headers, checksums, SHA-256, a MicroPython app descriptor and a
1.26+ partition table (wandctl.flash.build_merged_image), but no working code:
it does NOT boot on a real board. Images and pages built from it are for
testing the tools; `make image MICROPYTHON=ESP32_GENERIC-....bin` builds real ones.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "host_tools"))

from wandctl.flash import build_merged_image  # noqa: E402

SYNTHETIC_MARK = "SYNTHETIC-TEST"  # in the file name: web/build.py flags pages built from it


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out", help="file to write (its name should contain %s)" % SYNTHETIC_MARK)
    p.add_argument("--version", default="v1.29.0", help="MicroPython version in the app descriptor")
    a = p.parse_args()
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(build_merged_image("esp32", version=a.version, code_size=12000, seed=9))
    print("%s: synthetic MicroPython %s for the ESP32 (tests only: it does not boot a real board)" % (out, a.version))
    return 0


if __name__ == "__main__":
    sys.exit(main())
