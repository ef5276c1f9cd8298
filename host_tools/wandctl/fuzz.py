"""wandctl fuzz: search the space the firmware accepts for safety violations.

Hypothesis generates scenarios (settings and calibrations the validator
accepts, hostile settings and log files, loads from a short to open, steps
and slides, every injection at any instant and in combination, stalls below
and above the watchdog timeout, inputs flapping faster than their debounce,
every kind of reset and power cut), runs each on the full simulated board
with the real firmware, and judges it with the trace oracle
(simboard/oracle.py). A violation is shrunk to a minimal scenario and written
to --out as a `wandctl sim --script` file (its first lines give the exact
command that replays it). The run ends with `fuzz: N scenarios, M violations`
and exits 1 when M > 0.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from wandctl.errors import WandctlError
from wandctl.tools import find_tool

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "firmware"
HOST_TOOLS = ROOT / "host_tools"
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

def _paths():
    for p in (str(HOST_TOOLS), str(FIRMWARE)):
        if p not in sys.path:
            sys.path.insert(0, p)


def _actions(scn: Scenario):
    _paths()
    from simboard import script

    return script.expand(script.parse_script(scn.script()))


def _settings_bytes(actions):
    from simboard import script

    raw = None
    for t, act, args in actions:
        if act == "file" and args[0] == "settings.json" and t <= 0:
            raw = script.file_bytes(args)
    return raw


def _read_flash(folder):
    out = {}
    for p in Path(folder).iterdir():
        if p.is_file() and p.stat().st_size <= 1 << 20:
            out[p.name] = p.read_bytes()
    return out


def run_cpython(scn: Scenario, firmware=None):
    """The scenario in this process (the firmware's own source, CPython)."""
    _paths()
    from simboard import esp32 as sim_esp32
    from simboard import machine as sim_machine
    from simboard import oracle, script
    from simboard import time as sim_time
    from simboard.runtime import Runner
    from simboard.world import World

    events = script.parse_script(scn.script())
    actions = script.expand(events)
    flash = tempfile.mkdtemp(prefix="wand-fuzz-")
    tr = oracle.Trace(sample_ms=SAMPLE_MS, actions=actions, settings_bytes=_settings_bytes(actions),
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

        class Null:
            def read_into(self, buf):
                return 0

            def write(self, s):
                pass

        def entry(g, obs):
            import wand.app

            wand.app.main(sim_machine, sim_time, sim_esp32, observer=obs, serial=Null(), fs=w.flashfs(),
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
    _paths()
    from simboard import oracle
    from wandctl import simrun

    actions = _actions(scn)
    work = Path(tempfile.mkdtemp(prefix="wand-fuzz-mpy-"))
    flash = work / "flash"
    flash.mkdir()
    (work / "s.script").write_text(scn.script())
    args = ["--firmware", str(firmware or FIRMWARE), "--flash", str(flash), "--seconds", "%g" % scn.seconds,
            "--seed", str(scn.seed), "--script", str(work / "s.script"), "--trace-ms", str(SAMPLE_MS)]
    if scn.load_ohms is not None:
        args += ["--load-ohms", "%g" % scn.load_ohms]
    cmd = [find_tool("micropython"), "-X", "heapsize=400K", str(HOST_TOOLS / "simboard" / "runner.py")] + args
    env = dict(os.environ, MICROPYPATH=str(HOST_TOOLS) + ":.frozen")
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=1800)
        res = simrun.SimResult(options=simrun.SimOptions(interpreter="micropython"))
        for line in p.stdout.splitlines():
            simrun._parse_line(res, line)
        if p.returncode != 0 or not res.plant:
            raise WandctlError("the MicroPython run failed (exit %d): %s" % (p.returncode, p.stderr.strip()[-600:]))
        files = _read_flash(flash)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    tr = oracle.Trace(samples=res.samples, phases=res.phase_records, actions=actions, resets=res.resets,
                      events=res.events, settings_bytes=_settings_bytes(actions), files=files,
                      end_ms=int(res.plant.get("end_ms", scn.seconds * 1000)), sample_ms=SAMPLE_MS, plant=res.plant,
                      load_ohms=scn.load_ohms)
    tr.exceptions = res.exceptions
    return tr


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


# --- the space ----------------------------------------------------------------------------

def strategies():
    """The Hypothesis strategy of scenarios."""
    _paths()
    from hypothesis import strategies as st

    from simboard import oracle

    settings, _board, programs = oracle._firmware()

    INT = settings.INT_FIELDS

    def rng_field(name):
        _, lo, hi = INT[name]
        return st.one_of(st.sampled_from([lo, hi, INT[name][0]]), st.integers(lo, hi))

    @st.composite
    def valid_settings(draw):
        d = {}
        if draw(st.booleans()):
            d["program"] = draw(st.sampled_from(programs.names()))
        for name in ("level", "session_min", "cue_s", "user_max_ua", "idle_off_s"):
            if draw(st.integers(0, 3)):
                d[name] = draw(rng_field(name))
        if draw(st.booleans()):
            d["mute"] = draw(st.booleans())
        cal = draw(st.integers(0, 3))
        if cal == 1:  # every calibration the validator accepts, field by field
            for name in ("cal_gain_na", "cal_offset_na", "cal_sense_offset_uv", "cal_sense_uv_per_ua"):
                if draw(st.booleans()):
                    d[name] = draw(rng_field(name))
        elif cal == 2:  # a calibration made against a resistor of the wrong value
            f = draw(st.integers(80, 120))
            d["cal_gain_na"] = max(INT["cal_gain_na"][1], min(INT["cal_gain_na"][2], INT["cal_gain_na"][0] * f // 100))
            d["cal_sense_uv_per_ua"] = max(INT["cal_sense_uv_per_ua"][1],
                                           min(INT["cal_sense_uv_per_ua"][2],
                                               INT["cal_sense_uv_per_ua"][0] * f // 100))
        return json.dumps(d).encode()

    junk = st.one_of(st.none(), st.booleans(), st.floats(allow_nan=True), st.text(max_size=8),
                     st.integers(-10**30, 10**30), st.lists(st.integers(), max_size=3))

    @st.composite
    def hostile_settings(draw):
        kind = draw(st.integers(0, 4))
        if kind == 0:
            return draw(st.binary(max_size=200))
        if kind == 1:
            n = draw(st.integers(10, 5000))
            return ("[" * n + "]" * n).encode() if draw(st.booleans()) else ('{"a":' * n + "1" + "}" * n).encode()
        if kind == 2:
            name = draw(st.sampled_from(list(settings.NAMES) + ["bogus"]))
            return json.dumps({name: draw(junk)}).encode()
        if kind == 3:
            return b'{"level": 3, "pad": "' + b"x" * draw(st.integers(1000, 60000)) + b'"}'
        return draw(valid_settings())[: draw(st.integers(0, 40))]  # a torn file

    def t_s(draw, lo, hi):
        # millisecond resolution: anywhere inside a 5 or 10 ms control tick
        return draw(st.integers(int(lo * 1000), int(hi * 1000))) / 1000.0

    @st.composite
    def event(draw, seconds):
        k = draw(st.sampled_from(("press", "press", "press", "contact", "load", "slide", "inject", "inject",
                                  "usb", "stall", "reset", "flap", "file")))
        t = t_s(draw, 0.0, seconds)
        if k == "press":
            b = draw(st.sampled_from(("power", "level")))
            hold = draw(st.sampled_from((0.05, 0.15, 0.3, 0.9, 1.7, 2.5)))
            return ["%.3f press %s %g" % (t, b, hold)]
        if k == "contact":
            d = draw(st.sampled_from((0.03, 0.08, 0.3, 1.0, 3.0, 12.0)))
            return ["%.3f contact off" % t, "%.3f contact on" % (t + d)]
        if k == "load":
            r = draw(st.sampled_from((100, 199, 250, 500, 2000, 10000, 20000, 47000, 200000, 2000000)))
            back = draw(st.booleans())
            out = ["%.3f load %g" % (t, r)]
            if back:
                out.append("%.3f load skin" % (t + t_s(draw, 0.05, 5)))
            return out
        if k == "slide":
            a = draw(st.sampled_from((500, 2000, 10000)))
            b = draw(st.sampled_from((100, 300, 40000, 100000)))
            n = draw(st.integers(3, 12))
            dt = t_s(draw, 0.1, 1.0)
            return ["%.3f load %g" % (t + i * dt, a + (b - a) * i / (n - 1)) for i in range(n)]
        if k == "inject":
            spec = draw(st.sampled_from(("sense_stuck", "sense_frozen", "sense_open", "short", "short=off",
                                         "battery_low", "battery_critical", "clear", "gain_drift", "sense_gain")))
            if spec in ("gain_drift", "sense_gain"):
                spec += "=%g" % draw(st.sampled_from((0.5, 0.78, 0.9, 1.05, 1.09, 1.15, 1.3, 2.0, 5.0)))
            out = ["%.3f inject %s" % (t, spec)]
            if draw(st.booleans()):
                out.append("%.3f inject clear" % (t + t_s(draw, 0.01, 3)))
            return out
        if k == "usb":
            return ["%.3f usb on" % t, "%.3f usb off" % (t + t_s(draw, 0.01, 5))]
        if k == "stall":
            return ["%.3f stall %d" % (t, draw(st.sampled_from((5, 50, 300, 900, 990, 1100, 1500, 3000))))]
        if k == "reset":
            r = draw(st.sampled_from(("interrupt", "soft_reset", "power_cut")))
            if r == "power_cut":
                return ["%.3f power_cut" % t, "%.3f power_on" % (t + t_s(draw, 0.01, 2))]
            return ["%.3f %s" % (t, r)]
        if k == "flap":
            what = draw(st.sampled_from(("contact", "usb", "power", "level")))
            return ["%.3f flap %s %d %d" % (t, what, draw(st.integers(1, 25)), draw(st.integers(2, 30)))]
        data = draw(st.binary(max_size=64))
        name = draw(st.sampled_from(("settings.json", "log0.txt", "log1.txt", "settings.json.tmp")))
        return ["%.3f file %s %s" % (t, name, data.hex() or "-")]

    @st.composite
    def scenario(draw):
        seconds = draw(st.sampled_from((15.0, 30.0, 45.0, 75.0)))
        lines = []
        sfile = draw(st.one_of(valid_settings(), valid_settings(), valid_settings(), hostile_settings()))
        if len(sfile) > 4096:  # a huge file: as a repeat count (the MicroPython runner parses the script)
            lines.append("0 file settings.json 78 %d" % len(sfile))
        elif sfile != b"{}":
            lines.append("0 file settings.json %s" % (sfile.hex() or "-"))
        if draw(st.integers(0, 9)) == 0:
            lines.append("0 file log0.txt %s" % (draw(st.binary(max_size=300)).hex() or "-"))
        if draw(st.integers(0, 7)) == 0:  # bench mode: level held at power-up
            lines.append("0 hold level")
            lines.append("1.5 release level")
        lines.append("%.3f press power 0.2" % t_s(draw, 0.3, 3.0))
        for ev in draw(st.lists(event(seconds), max_size=6)):
            lines += ev
        load = draw(st.one_of(st.none(), st.none(), st.sampled_from((250.0, 500.0, 2000.0, 10000.0, 47000.0))))
        return Scenario(seed=draw(st.integers(0, 65535)), seconds=seconds, load_ohms=load, lines=lines)

    return scenario()


# --- the search ------------------------------------------------------------------------------

def write_case(out: Path, scn: Scenario, verdict: dict, interpreter: str, n: int) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    classes = "-".join(c.lower().replace("-", "") for c in _classes(verdict)) or "violation"
    path = out / ("%s-%03d.script" % (classes, n))
    cmd = "wandctl sim --script %s --seed %d --seconds %g" % (path.name, scn.seed, scn.seconds)
    if scn.load_ohms is not None:
        cmd += " --load-ohms %g" % scn.load_ohms
    if interpreter != "cpython":
        cmd += " --interpreter " + interpreter
    head = ["# found by wandctl fuzz (%s); replay: %s" % (interpreter, cmd)]
    head += ["# " + v for v in verdict["violations"][:10]]
    path.write_text("\n".join(head) + "\n" + scn.script())
    return path


def _classes(verdict):
    from simboard import oracle

    return oracle.violation_classes(verdict)


def fuzz(budget_s: float, seed: int, interpreter: str, out: Path | None, log=print, batch=25,
         max_scenarios=None, firmware=None, shrink_s=None) -> dict:
    """Run scenarios until the budget is spent (or max_scenarios were tried);
    shrink and write every violation. firmware: another firmware folder (the
    tests use a deliberately broken copy to show the search finds it)."""
    _paths()
    from hypothesis import HealthCheck, Phase, given
    from hypothesis import seed as hseed
    from hypothesis import settings as hsettings

    strat = strategies()
    t_end = time.monotonic() + budget_s
    counts = {"scenarios": 0, "violations": 0, "classes": {}, "files": [], "runs": 0}
    cache: dict = {}
    found_keys: set = set()
    failing: dict = {}
    shrink_until = [0.0]
    shrink_budget = shrink_s if shrink_s is not None else min(120.0, max(30.0, budget_s * 0.25))

    def check(scn):
        k = scn.key()
        if not failing and (time.monotonic() > t_end or (
                max_scenarios is not None and counts["scenarios"] >= max_scenarios)):
            return  # the budget is spent: the rest of this batch is not run
        if k in cache:
            v = cache[k]
        else:
            if time.monotonic() > shrink_until[0] and failing:
                v = {"ok": True, "violations": []}  # out of shrink time: no new runs
            else:
                try:
                    v = judge(scn, interpreter, firmware)
                except WandctlError as e:  # the simulator itself failed: say so, keep the case, go on
                    counts["tool_errors"] = counts.get("tool_errors", 0) + 1
                    where = ""
                    if out is not None:
                        failed = {"violations": ["tool-error: " + str(e)[:300].replace("\n", " ")]}
                        where = " -> %s" % write_case(out, scn, failed, interpreter,
                                                      1000 + counts["tool_errors"]).name
                    log("fuzz: scenario not run%s: %s" % (where, str(e)[:200]))
                    v = {"ok": True, "violations": []}
                counts["runs"] += 1
                cache[k] = v
        if not failing:
            counts["scenarios"] += 1
        if not v["ok"]:
            cls = tuple(_classes(v))
            if "cls" in failing and failing["cls"] != cls:
                return  # shrinking must keep the same class of violation
            if "cls" not in failing:
                shrink_until[0] = time.monotonic() + shrink_budget
            failing["cls"] = cls
            failing["scn"] = scn
            failing["v"] = v
            raise AssertionError("; ".join(v["violations"][:3]))

    rnd = random.Random(seed)
    b = 0
    while time.monotonic() < t_end:
        b += 1
        failing.clear()
        cache.clear()
        test = hsettings(max_examples=batch, deadline=None, database=None, derandomize=False,
                         suppress_health_check=list(HealthCheck),
                         phases=[Phase.generate, Phase.shrink])(given(strat)(check))
        test = hseed(rnd.getrandbits(32))(test)
        n0 = counts["scenarios"]
        try:
            test()
        except AssertionError:
            pass
        except Exception as e:  # hypothesis' own complaints (e.g. flaky) end this batch only
            if not failing:
                import traceback

                traceback.print_exc()
                raise WandctlError("fuzz: %s: %s" % (type(e).__name__, e)) from None
        if failing:
            scn, v = failing["scn"], failing["v"]
            key = (failing["cls"], tuple(v["violations"][:1]))
            counts["violations"] += 1
            for c in failing["cls"]:
                counts["classes"][c] = counts["classes"].get(c, 0) + 1
            if key not in found_keys and out is not None:
                p = write_case(out, scn, v, interpreter, counts["violations"])
                counts["files"].append(str(p))
                log("fuzz: violation %s -> %s" % (",".join(failing["cls"]), p))
            else:
                log("fuzz: violation %s" % ",".join(failing["cls"]))
            for line in v["violations"][:3]:
                log("  " + line)
            found_keys.add(key)
        elif counts["scenarios"] == n0:
            break
        if max_scenarios is not None and counts["scenarios"] >= max_scenarios:
            break
    return counts


# --- the command -------------------------------------------------------------------------------

def register(sub):
    p = sub.add_parser("fuzz", help="search random scenarios on the simulated board for safety violations",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--budget", type=float, default=60.0, metavar="SECONDS",
                   help="wall-clock seconds to search (default 60); shrinking a violation may add up to a quarter")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the search (default: a random one, printed)")
    p.add_argument("--interpreter", choices=("cpython", "micropython"), default="cpython",
                   help="run the firmware under CPython in this process (fast) or the MicroPython unix port")
    p.add_argument("--out", metavar="DIR", default="build/fuzz",
                   help="where shrunk violations go as `wandctl sim --script` files (default build/fuzz)")
    p.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    if not args.budget > 0 or args.budget > 7 * 86400:
        raise WandctlError("--budget must be between 0 and 604800 seconds")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    if seed < 0:
        raise WandctlError("--seed must be 0 or more")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise WandctlError("--out %s: not a folder" % out)
    if args.interpreter == "micropython":
        find_tool("micropython")  # a clear error now, not after the first scenario
    print("fuzz: seed %d, budget %g s, %s" % (seed, args.budget, args.interpreter), flush=True)
    t0 = time.monotonic()
    counts = fuzz(args.budget, seed, args.interpreter, out, log=lambda s: print(s, flush=True))
    counts["seed"] = seed
    counts["interpreter"] = args.interpreter
    counts["wall_s"] = round(time.monotonic() - t0, 1)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(counts, indent=2) + "\n")
    print("fuzz: %d scenarios, %d violations" % (counts["scenarios"], counts["violations"]))
    return 1 if counts["violations"] else 0
