"""The real App on the simulated board, for the console's tests.

- `SimApp(serial, bench, usb)`: builds a simboard `World`, the real
  `Esp32Board` on the simulated `machine`, arms the watchdog and boots the
  real `App` with `serial` as its console. `tick()` is one iteration of
  `App.run()`'s loop (tick, feed the watchdog when the check passed, one tick
  period on the virtual clock) without its exception net, so a test sees
  anything that would escape the control tick.
- `snapshot()`: the App's state that console input must not change.

The pty end-to-end tests run the firmware on the one simulated board's pty
form (simboard.vboard.VirtualBoard) instead.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref

from simboard import esp32 as sim_esp32
from simboard import machine as sim_machine
from simboard import time as sim_time
from simboard import world as simworld
from simboard.world import World

BENCH_HOLD_MS = 1500  # the level button held this long at power-up: bench mode


def make_world(bench: bool, usb: bool, seed: int = 3) -> World:
    flash = tempfile.mkdtemp(prefix="console-flash-")
    world = World(seed=seed, flash_dir=flash)
    weakref.finalize(world, shutil.rmtree, flash, True)  # the flash goes with its world (or at exit)
    simworld.attach(world)
    world.act_usb(usb)
    if bench:
        world.act_hold("level")
        world.at(BENCH_HOLD_MS, "release", "level")
    return world


class SimApp:
    def __init__(self, serial, bench: bool = False, usb: bool = True, seed: int = 3):
        from wand.app import App
        from wand.atomicfile import OsFs
        from wand.hal import WDT_TIMEOUT_MS, Esp32Board

        self.world = make_world(bench, usb, seed)
        b = Esp32Board(sim_machine, sim_time, sim_esp32)
        b.output_off()
        b.arm_watchdog(WDT_TIMEOUT_MS)
        self.board = b
        self.app = App(b, OsFs(self.world.flash_dir + "/"), serial)
        self.app.boot()
        if bench:
            for _ in range(BENCH_HOLD_MS // 10 + 30):
                self.tick()
            assert self.app.bench, "bench mode did not engage"

    def tick(self) -> None:
        app = self.app
        if app.tick():
            self.board.feed_watchdog()
        sim_time.sleep_ms(app.period_ms())  # the virtual clock moves one tick

    def snapshot(self):
        app, w = self.app, self.world
        st = app.target().status()
        keep = {k: st.get(k) for k in ("state", "program", "level", "setpoint_ua", "limit_ua",
                                        "hard_ceiling_ua", "bench", "fault", "wdt_armed", "planned_s",
                                        "delivered_s")}
        return {
            "status": keep,
            "settings": app.target().settings_get(None),
            "faults": app.target().fault_history(),
            "log": [e for e in app.target().log_tail(32)],
            "output_on": app.sup.output_on,
            "dac": self.board.dac_code(),
            "rtc": w.rtc_mem,
            "resets": list(w.resets),
        }
