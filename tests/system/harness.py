"""Run the real firmware (boot.py, then wand.app.main) on a simulated board in
this process, with a recorder of firmware events and a 10 ms sampler of the
true load current and output-stage pins."""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from simboard import esp32 as sim_esp32
from simboard import machine as sim_machine
from simboard import time as sim_time
from simboard.runtime import Runner
from simboard.world import ScriptedSerial, World

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "firmware"
HARD_CEILING_UA = 500


@dataclass
class Sample:
    t: int  # ms
    ua: float  # signed load current
    dac: int
    oe: int
    a: int
    b: int
    wdt: bool
    g: int = 0  # LED and buzzer: what the user is shown
    r: int = 0
    tone: int = 0


@dataclass
class Run:
    world: World
    events: list = field(default_factory=list)  # (t_ms, kind, args)
    phase_records: list = field(default_factory=list)  # exact (t0_ms, t1_ms, charge_uC)
    samples: list = field(default_factory=list)
    result: dict = field(default_factory=dict)
    checks: list = field(default_factory=list)  # what hooks saw
    slots: list = field(default_factory=list)  # exact (t_end_ms, peak |uA|) of every 10 ms slot
    script: list = field(default_factory=list)
    settings: dict | None = None
    load_ohms: object = None  # the starting load given to simulate()

    def kinds(self, kind):
        return [e for e in self.events if e[1] == kind]

    def first(self, kind):
        for e in self.events:
            if e[1] == kind:
                return e
        return None

    def faults(self):
        return [e[2][0] for e in self.events if e[1] == "fault"]

    def states(self):
        return [e[2][0] for e in self.events if e[1] == "state"]

    def current_at(self, t_ms):
        for s in self.samples:
            if s.t >= t_ms:
                return s.ua
        return None

    def stats(self):
        return self.result["stats"]


class Recorder:
    def __init__(self, run):
        self.run = run

    def event(self, now_ms, kind, *args):
        self.run.events.append((self.run.world.now // 1000, kind, args))


def simulate(script=(), seconds=20.0, seed=1, settings=None, load_ohms=None, flash=None,
             before_main=None, config=None, sample_ms=10, entry=None):
    """script: (t_s, action, *args) tuples as World.at takes them (t in seconds)."""
    cfg = dict(config or {})
    if load_ohms is not None:
        cfg["load_ohms"] = load_ohms
    tmp = None
    if flash is None:
        tmp = tempfile.mkdtemp(prefix="wand-flash-")
        flash = tmp
    if settings:
        Path(flash, "settings.json").write_text(json.dumps(settings))
    w = World(cfg, seed=seed, flash_dir=str(flash))
    run = Run(world=w, script=list(script), settings=settings, load_ohms=load_ohms)
    rec = Recorder(run)
    for item in script:
        t, action, *args = item
        w.at(int(t * 1000), action, *args)
    w.set_end(seconds)

    def sample(world):
        pl = world.plant
        pl.advance(world.now)
        P = world.P
        pwm = world.pwm

        def led(n):
            if n in pwm:
                return pwm[n][1]
            return 65535 if (world.pmode[n] == 3 and world.pout[n]) else 0

        bz = P["buzzer"]
        run.samples.append(Sample(world.now // 1000, pl.load_current() * 1e6,
                                  pl.dac_code if pl.dac_on else 0, pl.oe, pl.leg_a, pl.leg_b,
                                  world.wdt_on, led(P["led_green"]), led(P["led_red"]),
                                  pwm[bz][0] if (bz in pwm and pwm[bz][1] > 0) else 0))

    w.set_sampler(sample_ms, sample)
    w.plant.on_phase = lambda t0, t1, q: run.phase_records.append((t0 // 1000, t1 // 1000, q * 1e6))
    w.plant.on_slot = lambda t_end, pk: run.slots.append((t_end // 1000, pk * 1e6))

    def default_entry(g, obs):
        import wand.app

        if before_main is not None:
            before_main(w, run, g)
        wand.app.main(sim_machine, sim_time, sim_esp32, observer=obs, serial=ScriptedSerial(w),
                      dac=g.get("BOOT_DAC"))

    try:
        run.result = Runner(w, str(FIRMWARE), entry=entry or default_entry, observer=rec).run()
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    return run


def hal_board(seed=0):
    """The firmware's own HAL (wand.hal.Esp32Board) on the simulated chip of a fresh
    World, for tests that drive one module (the Supervisor) by hand: (board, world)."""
    import weakref

    from simboard import world as simworld
    from wand.hal import Esp32Board

    flash = tempfile.mkdtemp(prefix="wand-flash-")
    w = World(seed=seed, flash_dir=flash)
    weakref.finalize(w, shutil.rmtree, flash, True)  # the flash goes with its world
    simworld.attach(w)
    return Esp32Board(sim_machine, sim_time, sim_esp32), w


def press(t, name="power", hold=0.2):
    return (t, "press", name, hold)


def max_consecutive_above(samples, limit):
    worst = n = 0
    for s in samples:
        if abs(s.ua) > limit:
            n += 1
            worst = max(worst, n)
        else:
            n = 0
    return worst




def verdict(run, sample_ms=None):
    """The trace oracle's verdict on a Run (simboard/oracle/): every SR clause."""
    from simboard import oracle

    actions = []
    for item in run.script:
        t, action, *args = item
        actions.append((int(t * 1000), action, tuple(str(a) for a in args)))
    actions.sort(key=lambda a: a[0])
    dt = sample_ms or ((run.samples[1].t - run.samples[0].t) if len(run.samples) > 1 else 10)
    tr = oracle.Trace(samples=[(s.t, s.ua, s.dac, s.g, s.r, s.tone) for s in run.samples], slots=run.slots,
                      phases=run.phase_records, actions=actions, resets=list(run.result.get("resets", [])),
                      events=[(t, k, [str(a) for a in args]) for t, k, args in run.events],
                      settings_bytes=json.dumps(run.settings).encode() if run.settings else None,
                      end_ms=run.result.get("end_ms", 0), sample_ms=dt, plant=run.result.get("stats", {}),
                      load_ohms=run.load_ohms if isinstance(run.load_ohms, float | int) else None)
    return oracle.judge(tr)
