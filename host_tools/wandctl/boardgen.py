"""Generate firmware/wand/board.py from hardware/board.json.

hardware/board.json is the one description of the board: the firmware, the
simulated board and the hardware checks all read it. The firmware cannot parse
JSON before it has forced the output off, so it gets a generated module of
constants instead. `make check` and the tests fail when the generated file is
out of date (run `wandctl boardgen` to refresh it).
"""

from __future__ import annotations

import json
from pathlib import Path

from wandctl import paths

BOARD_JSON = paths.HARDWARE / "board.json"
BOARD_PY = paths.FIRMWARE / "wand" / "board.py"


def load_board(path: Path = BOARD_JSON) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def derived(board: dict) -> dict:
    """Numbers every consumer derives the same way from the component values."""
    a = board["analog"]
    ua_per_code = a["dac_full_scale_mv"] / 255.0 * a["vi_divider_ratio"] / a["r_set_ohms"] * 1000.0
    return {
        "stage_ua_per_code": round(ua_per_code, 4),
        "compliance_v": round(a["boost_v"] - a["stage_headroom_v"], 3),
        "sense_mv_per_ua": round(a["sense_r_ohms"] * a["sense_gain"] / 1000.0, 4),
    }


def render(board: dict) -> str:
    p = board["pins"]
    a = board["analog"]
    b = board["battery"]
    d = derived(board)
    lines = [
        "# Generated from hardware/board.json by `wandctl boardgen`: do not edit.",
        "# Pin numbers and calibration defaults of the board, as constants.",
        "from micropython import const",
        "",
        "NAME = %r" % board["name"],
        "CHIP = %r" % board["chip"],
        "",
    ]
    for key in sorted(p):
        lines.append("PIN_%s = const(%d)" % (key.upper(), p[key]))
    lines += [
        "",
        "# Voltage-to-current stage: microamps per DAC code (default calibration).",
        "STAGE_UA_PER_CODE = %r" % d["stage_ua_per_code"],
        "COMPLIANCE_MV = const(%d)" % round(d["compliance_v"] * 1000),
        "HW_LIMIT_MAX_UA = const(%d)" % a["hw_limit_max_ua"],
        "# Current sense: ADC millivolts = offset + current * gain.",
        "SENSE_OFFSET_MV = const(%d)" % a["sense_offset_mv"],
        "SENSE_MV_PER_UA = %r" % d["sense_mv_per_ua"],
        "# Load voltage sense: ADC millivolts = offset + |V load| * gain.",
        "VLOAD_OFFSET_MV = const(%d)" % a["vload_offset_mv"],
        "VLOAD_GAIN = %r" % a["vload_gain"],
        "VBAT_DIVIDER = %r" % a["vbat_divider"],
        "",
        "BAT_FULL_MV = const(%d)" % round(b["full_v"] * 1000),
        "BAT_LOW_MV = const(%d)" % round(b["low_v"] * 1000),
        "BAT_CRITICAL_MV = const(%d)" % round(b["critical_v"] * 1000),
        "",
        "ELECTRODE_AREA_CM2 = %r" % board["electrode"]["area_cm2"],
        "",
    ]
    return "\n".join(lines)


def write(check_only: bool = False) -> bool:
    """Write board.py; with check_only, return whether it is up to date."""
    paths.checkout()
    text = render(load_board())
    current = BOARD_PY.read_text(encoding="utf-8") if BOARD_PY.exists() else ""
    if check_only:
        return current == text
    if current != text:
        BOARD_PY.write_text(text, encoding="utf-8")
    return True


if __name__ == "__main__":
    import sys

    if "--check" in sys.argv[1:]:
        if not write(check_only=True):
            print("firmware/wand/board.py is out of date: run `wandctl boardgen`", file=sys.stderr)
            sys.exit(1)
        print("board.py is up to date")
    else:
        write()
