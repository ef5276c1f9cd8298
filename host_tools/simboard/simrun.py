"""Run the real firmware on the simulated board and read back what happened.

The same runner (`simboard.runner`) runs under CPython or under the
MicroPython unix port as a subprocess; both print the same line protocol:

    E <t_ms> <kind> <args...>     firmware observer event
    S <t_ms> <load_uA> <dac> <led_g> <led_r> <tone_hz>   physics sample
    R <t_ms> <cause>              chip reset
    X <t_ms> <type> <message>     exception that reached the top
    SUMMARY <json>                true-output accounting of the plant

Everything in the summary is measured on the simulated load (the plant),
never taken from what the firmware claims, except the session's own
bookkeeping (planned and delivered time, why it ended).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from simboard import script
from wandctl import paths
from wandctl.contact_bands import contact_band
from wandctl.errors import WandctlError
from wandctl.paths import BUILD, FIRMWARE, HOST_TOOLS, ROOT
from wandctl.tools import find_tool

BOARD_JSON = paths.BOARD_JSON  # the one board description (read through paths.board_json())

# The scripted user of `make sim`: start, raise the level twice, lift the
# wand for 3 s, let the timer end the session.
DEFAULT_SCRIPT = """\
# scripted user for `wandctl sim` (seconds since power-on)
1.0    press power 0.2     # start
20.0   press level 0.15    # level up
30.0   press level 0.15    # level up again
120.0  contact off         # lift the wand
123.0  contact on          # put it back
"""

# The MicroPython unix port's heap for a simulation of the real firmware: the simulator and the firmware
# (compiled to .mpy by the runner) share it, and in the ESP32-sized `100wK` (README's Heap section) the
# firmware's boot runs out of memory. Heap budgets of the firmware alone are `wandctl bench`'s.
# (2M: a script may flap an input 10000 times, each toggle an event of the
# timeline; 400K ran out at 1200, red team rt4)
MICROPYTHON_HEAP = "heapsize=2M"

# The --inject names that are not simboard injections but script actions (wandctl.simrun.script_lines turns
# them into lines); every other name is one of simboard.script.INJECTIONS, checked there.
SCRIPT_FILE_MAX = 64 * 1024 * 1024  # (a `file` line carries up to 4 MB as hex)
CLI_ACTIONS = {
    "contact_off": "duration",
    "stall": "ms",
    "interrupt": None,
    "soft_reset": None,
    "power_cut": None,
}


@dataclass
class SimOptions:
    program: str | None = None
    level: int | None = None
    minutes: int | None = None
    load_ohms: float | None = None
    script: str | None = None  # path; None: the default scripted user
    injects: list[str] = field(default_factory=list)
    seed: int = 1
    interpreter: str = "cpython"
    seconds: float | None = None  # run length; None: session + margin
    trace_ms: int | None = None
    flash_dir: Path | None = None
    settings: dict = field(default_factory=dict)  # extra settings written before boot


@dataclass
class SimResult:
    options: SimOptions
    events: list = field(default_factory=list)  # (t_ms, kind, args)
    samples: list = field(default_factory=list)  # (t_ms, ua, dac, g, r, tone)
    history: str = ""  # the firmware's session history file (wand/history.py) at the end
    resets: list = field(default_factory=list)
    exceptions: list = field(default_factory=list)
    phase_records: list = field(default_factory=list)  # exact (t0_ms, t1_ms, charge_uC) from the plant
    slot_changes: list = field(default_factory=list)  # (t_end_ms, peak_uA) of each 10 ms slot whose peak changed
    plant: dict = field(default_factory=dict)
    script_text: str = ""  # what the world did (the runner's script)
    settings_bytes: bytes | None = None  # the settings file written before boot
    files: dict = field(default_factory=dict)  # the flash's files at the end
    wall_s: float = 0.0
    sim_s: float = 0.0
    settings: dict = field(default_factory=dict)


# --- options -> runner inputs ---------------------------------------------------------

def _firmware_settings():
    """The firmware's own settings module (one place for the limits)."""
    paths.firmware_importable()
    from wand import settings

    return settings


def validate_options(o: SimOptions) -> dict:
    """Check options against the firmware's own limits; return the settings to write."""
    settings = _firmware_settings()
    values = dict(o.settings)
    if o.program is not None:
        values["program"] = o.program
    if o.level is not None:
        values["level"] = o.level
    if o.minutes is not None:
        values["session_min"] = o.minutes
    for name, value in values.items():
        try:
            settings.validate_field(name, value)
        except settings.SettingsError as e:
            flag = {"session_min": "--minutes", "level": "--level", "program": "--program"}.get(name, name)
            raise WandctlError("%s: %s" % (flag, e)) from None
    if o.load_ohms is not None and not (10 <= o.load_ohms <= 10_000_000):
        raise WandctlError("--load-ohms must be between 10 and 10000000")
    if o.interpreter not in ("cpython", "micropython"):
        raise WandctlError("--interpreter must be cpython or micropython")
    return values


def parse_inject(spec: str) -> tuple[float, str, str | None]:
    """NAME[=VALUE]@SECONDS -> (seconds, name, value). The injections' values are checked by
    simboard.script.check_inject, the same check a script's `inject` line gets."""
    if "@" not in spec:
        raise WandctlError("--inject %r: expected NAME[=VALUE]@SECONDS, e.g. contact_off=3@120" % spec)
    what, _, at = spec.rpartition("@")
    try:
        t = float(at)
    except ValueError:
        raise WandctlError("--inject %r: %r is not a time in seconds" % (spec, at)) from None
    if t < 0 or not math.isfinite(t) or t > script.SCRIPT_MAX_S:
        raise WandctlError("--inject %r: the time must be 0 to %d seconds" % (spec[:60], script.SCRIPT_MAX_S))
    name, eq, value = what.partition("=")
    if name not in CLI_ACTIONS and name not in script.INJECTIONS:
        known = ", ".join(sorted(list(CLI_ACTIONS) + list(script.INJECTIONS)))
        raise WandctlError("--inject %r: unknown fault %r (known: %s)" % (spec, name, known))
    if name not in CLI_ACTIONS:
        problem = script.check_inject(what)
        if problem:
            raise WandctlError("--inject %r: %s" % (spec, problem))
        return t, name, value if eq else None
    kind = CLI_ACTIONS[name]
    if kind is None:
        if eq:
            raise WandctlError("--inject %r: %s takes no value" % (spec, name))
        return t, name, None
    if not value:
        if name == "stall":
            return t, name, "3000"
        raise WandctlError("--inject %r: %s needs a value (%s=...)" % (spec, name, name))
    try:
        v = float(value)
    except ValueError:
        raise WandctlError("--inject %r: %r is not a number" % (spec, value)) from None
    if not math.isfinite(v) or v <= 0:
        raise WandctlError("--inject %r: the value must be a positive number" % spec[:60])
    most = script.SCRIPT_MAX_S - t if kind == "duration" else script.SCRIPT_MAX_S * 1000  # (s; a stall's in ms)
    if v > most:
        raise WandctlError("--inject %r: %s=%s: at most %d %s" % (spec[:60], name, value[:20], most,
                                                                  "s after it" if kind == "duration" else "ms"))
    return t, name, value


def script_lines(o: SimOptions) -> tuple[str, float]:
    """The script for the runner and the last scripted time (s)."""
    if o.script is None:
        text = DEFAULT_SCRIPT
    else:
        from wandctl.argcheck import read_input

        if not o.script.strip():
            raise WandctlError("--script needs a file name, e.g. --script session.script")
        try:
            text = read_input(Path(o.script), "--script", SCRIPT_FILE_MAX).decode("utf-8")
        except UnicodeDecodeError:
            raise WandctlError("--script %s: not a text file" % o.script) from None
        _check_script(text, o.script)
    last = 0.0
    extra = []
    for spec in o.injects:
        t, name, value = parse_inject(spec)
        if name == "contact_off":
            extra.append("%g contact off" % t)
            extra.append("%g contact on" % (t + float(value)))
            last = max(last, t + float(value))
        elif name == "stall":
            extra.append("%g stall %d" % (t, int(float(value))))
        elif name in ("interrupt", "soft_reset", "power_cut"):
            extra.append("%g %s" % (t, name))
            if name == "power_cut":
                extra.append("%g power_on" % (t + 1.0))
        else:
            extra.append("%g inject %s" % (t, name if value is None else "%s=%s" % (name, value)))
        last = max(last, t)
    for line in text.splitlines():
        body = line.split("#", 1)[0].split()
        if body:
            last = max(last, float(body[0]))
    return text + ("\n" if not text.endswith("\n") else "") + "\n".join(extra) + "\n", last


def _check_script(text: str, path: str) -> None:
    """Every line of a script file, by simboard.script (the one check of the vocabulary), before the run."""
    try:
        script.parse_script(text)
    except (script.ScriptError, ValueError) as e:
        raise WandctlError("script %s %s (format: see `wandctl sim --help`)" % (path, e)) from None


# --- running ------------------------------------------------------------------------------

def run(o: SimOptions, on_progress=None) -> SimResult:
    values = validate_options(o)
    script, last = script_lines(o)
    minutes = values.get("session_min", 5)
    seconds = o.seconds if o.seconds is not None else max(minutes * 60 + 45, last + 45)
    flash = o.flash_dir or (BUILD / "sim" / ("flash-%d-%d" % (os.getpid(), o.seed)))
    if flash.exists():
        shutil.rmtree(flash)
    flash.mkdir(parents=True)
    if values:
        (flash / "settings.json").write_text(json.dumps(values))
    script_path = flash.parent / (flash.name + ".script")
    script_path.write_text(script)
    program = values.get("program", "lift")
    trace = o.trace_ms or (5 if program == "smooth" else 10)
    args = ["--firmware", str(FIRMWARE), "--flash", str(flash), "--seconds", "%g" % seconds,
            "--seed", str(o.seed), "--script", str(script_path), "--trace-ms", str(trace)]
    if o.load_ohms is not None:
        args += ["--load-ohms", "%g" % o.load_ohms]
    if o.interpreter == "micropython":
        cmd = [find_tool("micropython"), "-X", MICROPYTHON_HEAP, str(HOST_TOOLS / "simboard" / "runner.py")] + args
        env = paths.micropython_env()
    else:
        cmd = [sys.executable, "-m", "simboard.runner"] + args
        env = dict(os.environ, PYTHONPATH=str(HOST_TOOLS))
    res = SimResult(options=o, settings=values, script_text=script,
                    settings_bytes=json.dumps(values).encode() if values else None)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            text=True, env=env, cwd=str(ROOT))
    assert proc.stdout is not None
    tail = []  # the last lines, for a failure's message (MicroPython prints its traceback here)
    for line in proc.stdout:
        _parse_line(res, line.rstrip("\n"))
        tail = (tail + [line])[-12:] if not line.startswith(("S ", "E ")) else tail
        if on_progress and line.startswith("S ") and len(res.samples) % 500 == 0:
            on_progress(res.samples[-1][0] / 1000.0, seconds)
    err = proc.stderr.read() if proc.stderr else ""
    rc = proc.wait()
    res.wall_s = time.perf_counter() - t0
    res.sim_s = seconds
    res.history = (flash / "history.txt").read_text() if (flash / "history.txt").is_file() else ""
    res.files = {p.name: p.read_bytes() for p in flash.iterdir() if p.is_file() and p.stat().st_size <= 1 << 20}
    shutil.rmtree(flash, ignore_errors=True)
    script_path.unlink(missing_ok=True)
    if rc != 0 or not res.plant:
        raise WandctlError("the simulation failed (%s exit %d): %s"
                           % (o.interpreter, rc, (err.strip() or "".join(tail).strip())[-800:]))
    return res


def _parse_line(res: SimResult, line: str) -> None:
    if line.startswith("S "):
        p = line.split()
        res.samples.append((int(p[1]), float(p[2]), int(p[3]), int(p[4]), int(p[5]), int(p[6])))
    elif line.startswith("E "):
        p = line.split()
        res.events.append((int(p[1]), p[2], [a.strip('"') for a in p[3:]]))
    elif line.startswith("P "):
        p = line.split()
        res.phase_records.append((int(p[1]), int(p[2]), float(p[3])))
    elif line.startswith("L "):
        p = line.split()
        res.slot_changes.append((int(p[1]), float(p[2])))
    elif line.startswith("R "):
        p = line.split()
        res.resets.append((int(p[1]), p[2]))
    elif line.startswith("X "):
        p = line.split(" ", 3)
        res.exceptions.append((int(p[1]), p[2], p[3] if len(p) > 3 else ""))
    elif line.startswith("SUMMARY "):
        res.plant = json.loads(line[len("SUMMARY "):])


# --- analysis --------------------------------------------------------------------------------

def state_spans(res: SimResult) -> list[tuple[int, int, str]]:
    """(start_ms, end_ms, state) from the state events."""
    spans = []
    cur, since = "idle", 0
    for t, kind, args in res.events:
        if kind == "state" and args:
            if args[0] != cur:
                spans.append((since, t, cur))
                cur, since = args[0], t
        elif kind == "fault" and cur != "fault":
            spans.append((since, t, cur))
            cur, since = "fault", t
    end = res.samples[-1][0] if res.samples else since
    spans.append((since, end, cur))
    return [s for s in spans if s[1] > s[0]]


def settings_bytes(actions, raw=None):
    """The settings file the board booted with: the script's own (`file
    settings.json` at 0 s), else raw (what the options wrote)."""
    for t, act, args in actions:
        if act == "file" and args[0] == "settings.json" and t <= 0:
            raw = script.file_bytes(args)
    return raw


def trace(res: SimResult):
    """The run as the trace oracle reads it (simboard/oracle/): the plant's
    samples and exact phase charges, what the world did (the script), resets."""
    from simboard import oracle

    actions = script.expand(script.parse_script(res.script_text)) if res.script_text else []
    raw = settings_bytes(actions, res.settings_bytes)
    dt = (res.samples[1][0] - res.samples[0][0]) if len(res.samples) > 1 else 10
    end = int(res.plant.get("end_ms", res.sim_s * 1000)) if res.plant else int(res.sim_s * 1000)
    slots = []  # every 10 ms slot, from the changes the runner printed
    ch = res.slot_changes
    for i, (t, pk) in enumerate(ch):
        t_next = ch[i + 1][0] if i + 1 < len(ch) else end + 10
        slots.extend((x, pk) for x in range(t, t_next, 10))
    return oracle.Trace(samples=res.samples, phases=res.phase_records, slots=slots, actions=actions, resets=res.resets,
                        events=res.events, settings_bytes=raw, files=res.files, end_ms=end, sample_ms=dt,
                        plant=res.plant, exceptions=res.exceptions,
                        load_ohms=res.options.load_ohms if isinstance(res.options.load_ohms, float | int) else None)


def verdict(res: SimResult) -> dict:
    """Every SR clause's verdict and figures, from the oracle."""
    from simboard import oracle

    return oracle.judge(trace(res))


def summary(res: SimResult) -> dict:
    board = json.loads(paths.board_json().read_text())
    area = board["electrode"]["area_cm2"]
    values = res.settings
    ends = [e for e in res.events if e[1] == "session_end"]
    starts = [e for e in res.events if e[1] == "session_start"]
    levels = [int(e[2][0]) for e in res.events if e[1] == "level" and e[2]]
    level = levels[-1] if levels else int(starts[-1][2][1]) if starts else values.get("level", 3)
    faults = [int(e[2][0]) for e in res.events if e[1] == "fault" and e[2]]
    v = verdict(res)
    sr01, sr04, sr05 = v["SR-01"], v["SR-04"], v["SR-05"]
    sess = v["sessions"]
    pl = res.plant
    peak = sr01["peak_ua"]
    out = {
        "program": starts[-1][2][0] if starts else values.get("program", "lift"),
        "level": level,
        "planned_s": values.get("session_min", 5) * 60,
        "delivered_s": int(ends[-1][2][1]) if ends else None,
        "ended_by": sess[-1]["ended_by"] if sess else "no session",
        "sessions": [{"start_s": round(x["start"] / 1000.0, 2), "end_s": round(x["end"] / 1000.0, 2),
                      "ended_by": x["ended_by"], "current_s": x.get("current_s", 0.0)} for x in sess],
        "peak_current_ua": round(peak, 1),
        "rms_current_ua": round(pl.get("rms_ua", 0.0), 1),
        "net_charge_uc": round(pl.get("net_charge_uc", 0.0), 3),
        "max_phase_charge_uc": round(pl.get("phase_charge_max_uc", 0.0), 2),
        "net_per_cycle_max_uc": round(sr04["net_per_cycle_max_uc"], 4),
        "net_per_cycle_max_ratio": round(sr04["net_per_cycle_max_pct"] / 100.0, 5),
        "cycles": sr04["full_cycles"],
        "interrupted_cycles": sr04["partial_cycles"],
        "contact_losses": sum(1 for e in res.events if e[1] == "contact_lost"),
        "faults": faults,
        "max_ramp_ua_per_s": sr05["max_ramp_ua_per_s"],
        "max_ramp_at_s": round(sr05["max_ramp_at_ms"] / 1000.0, 2),
        "limit_ua": v["limit_ua"],
        "safety": {k: v[k] for k in sorted(v) if k.startswith("SR-")},
        "violations": v["violations"],
        "resets": [[t, c] for t, c in res.resets],
        # r.m.s., as docs/characterization.md and README define it (the peak is peak_current_ua)
        "current_density_ma_cm2": round(pl.get("rms_ua", 0.0) / 1000.0 / area, 4),
        "electrode_area_cm2": area,
        "load": "skin model" if res.options.load_ohms is None else "%g ohm" % res.options.load_ohms,
        "interpreter": res.options.interpreter,
        "seed": res.options.seed,
        "sim_seconds": res.sim_s,
        "wall_seconds": round(res.wall_s, 3),
        "sim_speed_x": round(res.sim_s / res.wall_s, 1) if res.wall_s > 0 else None,
        "exceptions": [list(x) for x in res.exceptions],
    }
    out.update(_contact(res))
    return out


def _contact(res: SimResult) -> dict:
    """The firmware's own load estimate (its session history) in kOhm, with the contact it means."""
    lines = [ln.split(" ") for ln in res.history.splitlines() if ln.count(" ") == 11]
    ohms = None
    if lines:
        try:
            ohms = int(lines[-1][10])
        except ValueError:
            ohms = None
    if ohms is None or ohms < 0:
        if lines and lines[-1][11] == "-":  # wand/history.py: "-" is a session whose end was not written
            # the wand writes its estimate with the session's end: a run that stops first has none
            return {"load_kohm": None, "contact": "not recorded: the session's end was not written (the run "
                                                  "ended first, or a reset or power cut); the wand records its "
                                                  "load estimate when a session ends"}
        return {"load_kohm": None, "contact": "not measured (no current flowed)"}
    return {"load_kohm": round(ohms / 1000.0, 2), "contact": contact_band(ohms)}


def timeline(res: SimResult) -> list[str]:
    """Readable lines: state and level changes, cues (grouped), contact events, faults."""
    lines = []
    cues: list[int] = []

    def stamp(t):
        return "%02d:%05.2f" % (t // 60000, (t % 60000) / 1000.0)

    def flush():
        if cues:
            if len(cues) == 1:
                lines.append("  %s  cue: move the wand" % stamp(cues[0]))
            else:
                gap = (cues[-1] - cues[0]) / max(1, len(cues) - 1) / 1000.0
                lines.append("  %s  cue: move the wand, every %.0f s until %s (%d cues)"
                             % (stamp(cues[0]), gap, stamp(cues[-1]), len(cues)))
            cues.clear()

    text = {
        "session_start": lambda a: "session start: program %s, level %s" % (a[0], a[1]),
        "session_end": lambda a: "session end: by %s after %s s of current" % (a[0], a[1]),
        "state": lambda a: "state -> %s" % a[0],
        "level": lambda a: "level -> %s" % a[0],
        "contact_lost": lambda a: "contact lost: output to zero, timer paused",
        "contact_back": lambda a: "contact back: ramping up from zero",
        "fault": lambda a: "FAULT %s (%s): output cut, latched" % (a[0], a[1] if len(a) > 1 else ""),
        "fault_cleared": lambda a: "fault %s acknowledged (%s)" % (a[0], a[1] if len(a) > 1 else ""),
        "usb": lambda a: "USB power %s" % a[0],
        "usb_refused": lambda a: "start refused: USB power present (not in bench mode)",
        "battery_low": lambda a: "battery low (%s mV)" % a[0],
        "bench": lambda a: "bench mode %s" % a[0],
        "program": lambda a: "program -> %s" % a[0],
    }
    merged = [(t, "E", k, a) for t, k, a in res.events] + [(t, "R", c, []) for t, c in res.resets]
    merged.sort(key=lambda x: x[0])
    for t, src, kind, args in merged:
        if src == "R":
            flush()
            lines.append("  %s  RESET (%s): the chip restarts" % (stamp(t), kind))
            continue
        if kind == "cue":
            cues.append(t)
            continue
        flush()
        f = text.get(kind)
        lines.append("  %s  %s" % (stamp(t), f(args) if f else kind + " " + " ".join(args)))
    flush()
    return lines
