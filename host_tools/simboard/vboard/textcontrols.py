"""The one-line text controls (`reset`, `press power`, `status`...): serve's stdin, and tests."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simboard.vboard.board import VirtualBoard


CONTROL_HELP = """controls (one per line on stdin):
  reset               press EN (hard reset, boots the firmware)
  bootloader          EN with GPIO0 low: ROM serial loader (for esptool --before no-reset)
  power-cycle         power off and on
  power-cut           power off (stays off until power-on)
  power-on            power on
  bench               power-cycle with the level button held (bench mode, SR-09)
  press power|level [SECONDS]   press and release a button, with contact bounce
  hold power|level    press and keep pressed (release BUTTON)
  load OHMS|skin|open put the wand on a resistor or on skin, or lift it
  contact on|off      the wand on the skin, or lifted
  inject SPEC         a fault or condition, as `wandctl sim --inject` (gain_drift=1.3, sense_stuck,
                      sense_open, sense_gain=F, short, short=off, battery_low, battery_critical, clear)
  battery VOLTS       battery open-circuit voltage
  usb on|off          USB power sense
  interrupt           Ctrl-C on the UART;  soft_reset: Ctrl-C, Ctrl-D
  current             the true load current now (uA) and the output accounting
  status              chip state
  quit                stop the board
(the scenario actions are simboard's script vocabulary: host_tools/simboard/README.md)"""


def control(board: VirtualBoard, line: str) -> str:
    words = line.split()
    if not words:
        return ""
    cmd, args = words[0], words[1:]
    if cmd == "help":
        return CONTROL_HELP
    if cmd == "reset":
        board.reset()
    elif cmd == "bootloader":
        board.enter_bootloader()
    elif cmd == "power-cycle":
        board.power_cycle()
    elif cmd in ("power-cut", "power_cut"):
        board.power_cut()
    elif cmd in ("power-on", "power_on"):
        board.power_on()
    elif cmd == "bench":
        board.power_up_in_bench_mode()
    elif cmd == "press" and len(args) == 1:
        board.press(args[0])
    elif cmd == "load" and len(args) == 1:
        board.inject(load_ohms=args[0] if args[0] in ("open", "skin") else _ohms(args[0]))
    elif cmd == "battery" and len(args) == 1:
        board.inject(battery_v=float(args[0]))
    elif cmd == "current":
        st = board.stats()
        return json.dumps({"load_ua": round(board.load_current_ua(), 1),
                           **{k: (round(v, 3) if isinstance(v, float) else v) for k, v in st.items()}})
    elif cmd == "status":
        return json.dumps(
            {
                "bootloader": board.in_bootloader,
                "running": board.running,
                "mode": board.mode,
                "wdt_ms": board.wdt_ms,
                "pins": board.pins,
                "dac": board.dac,
                "rtc": board.rtc.hex(),
                "boots": [c for _, c in board.resets],
            }
        )
    elif cmd == "quit":
        return "quit"
    else:
        from simboard.script import ACTIONS

        if cmd not in ACTIONS:
            raise ValueError("unknown control %r (type `help`)" % cmd)
        board.scenario(line)
    return "ok"


def _ohms(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise ValueError("load takes ohms, skin or open, not %r" % text) from None
    if not v > 0:
        raise ValueError("load takes ohms above 0, skin or open")
    return v
