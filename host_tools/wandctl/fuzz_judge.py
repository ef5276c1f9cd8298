"""One fuzz scenario: what it is, how it runs on the full simulated board with the real firmware (CPython
in this process, or the MicroPython unix port), and the trace oracle's verdict on it."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from wandctl import paths
from wandctl.errors import WandctlError
from wandctl.paths import FIRMWARE, HOST_TOOLS, ROOT
from wandctl.tools import find_tool

SAMPLE_MS = 10


@dataclass
class Scenario:
    seed: int
    seconds: float
    load_ohms: float | None
    lines: list = field(default_factory=list)  # script lines "<s> <action> [args]"
    note: str = ""

    def script(self) -> str:
        return "\n".join(self.lines) + "\n"

    def key(self):
        return (self.seed, self.seconds, self.load_ohms, tuple(self.lines))


# --- running one scenario ---------------------------------------------------------------

def sim_paths():
    """Make the firmware importable here beside simboard (paths.firmware_importable)."""
    paths.firmware_importable()


def _read_flash(folder):
    out = {}
    for p in Path(folder).iterdir():
        if p.is_file() and p.stat().st_size <= 1 << 20:
            out[p.name] = p.read_bytes()
    return out


def run_cpython(scn: Scenario, firmware=None):
    """The scenario in this process (the firmware's own source, CPython)."""
    sim_paths()
    from simboard import esp32 as sim_esp32
    from simboard import machine as sim_machine
    from simboard import oracle, script, simrun
    from simboard import time as sim_time
    from simboard.runtime import Runner
    from simboard.world import ScriptedSerial, World

    events = script.parse_script(scn.script())
    actions = script.expand(events)
    flash = tempfile.mkdtemp(prefix="wand-fuzz-")
    tr = oracle.Trace(sample_ms=SAMPLE_MS, actions=actions, settings_bytes=simrun.settings_bytes(actions),
                      load_ohms=scn.load_ohms)
    try:
        cfg = {} if scn.load_ohms is None else {"load_ohms": scn.load_ohms}
        w = World(cfg, seed=scn.seed, flash_dir=flash)
        script.schedule(w, events)
        w.set_end(scn.seconds)
        pins = w.P
        leds = (pins["led_green"], pins["led_red"], pins["buzzer"])

        def led(n):
            if n in w.pwm:
                return w.pwm[n][1]
            return 65535 if (w.pmode[n] == 3 and w.pout[n]) else 0

        def sample(world):
            pl = world.plant
            pl.advance(world.now)
            bz = leds[2]
            tone = w.pwm[bz][0] if (bz in w.pwm and w.pwm[bz][1] > 0) else 0
            tr.samples.append((world.now // 1000, pl.load_current() * 1e6, pl.dac_code if pl.dac_on else 0,
                               led(leds[0]), led(leds[1]), tone))

        w.set_sampler(SAMPLE_MS, sample)
        w.plant.on_phase = lambda t0, t1, q: tr.phases.append((t0 // 1000, t1 // 1000, q * 1e6))
        w.plant.on_slot = lambda t_end, pk: tr.slots.append((t_end // 1000, pk * 1e6))
        for t, act, _a in actions:
            if act == "power_cut":
                w.at(t + 1, lambda world: tr.cut_files.append((world.now // 1000, _read_flash(flash))))

        class Rec:
            def event(self, now_ms, kind, *args):
                tr.events.append((w.now // 1000, kind, [str(a) for a in args]))

        def entry(g, obs):
            import wand.app

            wand.app.main(sim_machine, sim_time, sim_esp32, observer=obs, serial=ScriptedSerial(w), fs=w.flashfs(),
                          dac=g.get("BOOT_DAC"))

        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):  # the firmware's prints (maintenance mode)
            res = Runner(w, str(firmware or FIRMWARE), entry=entry, observer=Rec()).run()
        tr.resets = list(res["resets"])
        tr.plant = res["stats"]
        tr.end_ms = res["end_ms"]
        tr.files = _read_flash(flash)
        tr.exceptions = res["exceptions"]
    finally:
        shutil.rmtree(flash, ignore_errors=True)
    return tr


def run_micropython(scn: Scenario, firmware=None):
    """The scenario under the MicroPython unix port (the runner as a subprocess,
    the firmware from .mpy as on the board)."""
    sim_paths()
    from simboard import simrun

    work = Path(tempfile.mkdtemp(prefix="wand-fuzz-mpy-"))
    flash = work / "flash"
    flash.mkdir()
    (work / "s.script").write_text(scn.script())
    args = ["--firmware", str(firmware or FIRMWARE), "--flash", str(flash), "--seconds", "%g" % scn.seconds,
            "--seed", str(scn.seed), "--script", str(work / "s.script"), "--trace-ms", str(SAMPLE_MS)]
    if scn.load_ohms is not None:
        args += ["--load-ohms", "%g" % scn.load_ohms]
    cmd = [find_tool("micropython"), "-X", simrun.MICROPYTHON_HEAP, str(HOST_TOOLS / "simboard" / "runner.py")] + args
    env = paths.micropython_env()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=1800)
        res = simrun.SimResult(options=simrun.SimOptions(interpreter="micropython", load_ohms=scn.load_ohms),
                               script_text=scn.script())
        for line in p.stdout.splitlines():
            simrun._parse_line(res, line)
        if p.returncode != 0 or not res.plant:
            raise WandctlError("the MicroPython run failed (exit %d): %s" % (p.returncode, p.stderr.strip()[-600:]))
        res.files = _read_flash(flash)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    # (the trace `wandctl sim` judges, the plant's 10 ms slots included: built
    # here by hand without them, the oracle's envelope came from the 10 ms
    # samples, and `tone` read 215 uA/s where the plant had 129: fuzz round 35)
    res.sim_s = scn.seconds
    return simrun.trace(res)


def judge(scn: Scenario, interpreter="cpython", firmware=None) -> dict:
    from simboard import oracle

    tr = run_cpython(scn, firmware) if interpreter == "cpython" else run_micropython(scn, firmware)
    v = oracle.judge(tr)
    # an exception that reached the top is a defect of the firmware (SR-11)
    for t, typ, msg in getattr(tr, "exceptions", []):
        if typ not in ("KeyboardInterrupt",):
            v["violations"].append("SR-11: %s reached the top at %d ms: %s" % (typ, t, msg))
            v["ok"] = False
    return v


def violation_classes(verdict):
    from simboard import oracle

    return oracle.violation_classes(verdict)
