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

from wandctl.errors import WandctlError
from wandctl.tools import find_tool

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "firmware"
HOST_TOOLS = ROOT / "host_tools"
BOARD_JSON = ROOT / "hardware" / "board.json"

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

INJECT_NAMES = {
    "contact_off": "duration",
    "short": None,
    "sense_stuck": None,
    "sense_frozen": None,
    "sense_open": None,
    "gain_drift": "factor",
    "sense_gain": "factor",
    "stall": "ms",
    "battery_low": None,
    "battery_critical": None,
    "usb": "onoff",
    "load_ohms": "number",
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
    plant: dict = field(default_factory=dict)
    wall_s: float = 0.0
    sim_s: float = 0.0
    settings: dict = field(default_factory=dict)


# --- options -> runner inputs ---------------------------------------------------------

def _firmware_settings():
    """The firmware's own settings module (one place for the limits)."""
    for p in (str(FIRMWARE), str(HOST_TOOLS)):
        if p not in sys.path:
            sys.path.insert(0, p)
    if "micropython" not in sys.modules:
        from simboard import upy

        sys.modules["micropython"] = upy
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
    """NAME[=VALUE]@SECONDS -> (seconds, name, value)."""
    if "@" not in spec:
        raise WandctlError("--inject %r: expected NAME[=VALUE]@SECONDS, e.g. contact_off=3@120" % spec)
    what, _, at = spec.rpartition("@")
    try:
        t = float(at)
    except ValueError:
        raise WandctlError("--inject %r: %r is not a time in seconds" % (spec, at)) from None
    if t < 0 or not math.isfinite(t):
        raise WandctlError("--inject %r: the time must be 0 or more seconds" % spec)
    name, _, value = what.partition("=")
    if name not in INJECT_NAMES:
        known = ", ".join(INJECT_NAMES)
        raise WandctlError("--inject %r: unknown fault %r (known: %s)" % (spec, name, known))
    kind = INJECT_NAMES[name]
    if kind is None:
        if value and name != "short":
            raise WandctlError("--inject %r: %s takes no value" % (spec, name))
        return t, name, value or None
    if not value:
        if name == "stall":
            return t, name, "3000"
        raise WandctlError("--inject %r: %s needs a value (%s=...)" % (spec, name, name))
    if kind == "onoff":
        if value not in ("on", "off"):
            raise WandctlError("--inject %r: usb=on or usb=off" % spec)
    else:
        try:
            v = float(value)
        except ValueError:
            raise WandctlError("--inject %r: %r is not a number" % (spec, value)) from None
        if not math.isfinite(v) or v <= 0:
            raise WandctlError("--inject %r: the value must be a positive number" % spec)
        if kind == "factor" and not 0.1 <= v <= 10:
            raise WandctlError("--inject %r: the factor must be between 0.1 and 10" % spec)
    return t, name, value


def script_lines(o: SimOptions) -> tuple[str, float]:
    """The script for the runner and the last scripted time (s)."""
    if o.script is None:
        text = DEFAULT_SCRIPT
    else:
        try:
            text = Path(o.script).read_text(encoding="utf-8")
        except OSError as e:
            raise WandctlError("--script %s: %s" % (o.script, e.strerror or e)) from None
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
    sys.path.insert(0, str(HOST_TOOLS)) if str(HOST_TOOLS) not in sys.path else None
    from simboard.script import ScriptError, parse_script

    try:
        parse_script(text)
    except (ScriptError, ValueError) as e:
        raise WandctlError("--script %s: %s (format: see `wandctl sim --help`)" % (path, e)) from None


# --- running ------------------------------------------------------------------------------

def run(o: SimOptions, on_progress=None) -> SimResult:
    values = validate_options(o)
    script, last = script_lines(o)
    minutes = values.get("session_min", 5)
    seconds = o.seconds if o.seconds is not None else max(minutes * 60 + 45, last + 45)
    flash = o.flash_dir or (ROOT / "build" / "sim" / ("flash-%d-%d" % (os.getpid(), o.seed)))
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
        cmd = [find_tool("micropython"), "-X", "heapsize=400K", str(HOST_TOOLS / "simboard" / "runner.py")] + args
        env = dict(os.environ, MICROPYPATH=str(HOST_TOOLS) + ":.frozen")
    else:
        cmd = [sys.executable, "-m", "simboard.runner"] + args
        env = dict(os.environ, PYTHONPATH=str(HOST_TOOLS))
    res = SimResult(options=o, settings=values)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            text=True, env=env, cwd=str(ROOT))
    assert proc.stdout is not None
    for line in proc.stdout:
        _parse_line(res, line.rstrip("\n"))
        if on_progress and line.startswith("S ") and len(res.samples) % 500 == 0:
            on_progress(res.samples[-1][0] / 1000.0, seconds)
    err = proc.stderr.read() if proc.stderr else ""
    rc = proc.wait()
    res.wall_s = time.perf_counter() - t0
    res.sim_s = seconds
    res.history = (flash / "history.txt").read_text() if (flash / "history.txt").is_file() else ""
    shutil.rmtree(flash, ignore_errors=True)
    script_path.unlink(missing_ok=True)
    if rc != 0 or not res.plant:
        raise WandctlError("the simulation failed (%s exit %d): %s" % (o.interpreter, rc, err.strip()[-800:]))
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


def phases(res: SimResult) -> list[tuple[int, int, int, float, float]]:
    """Split the sampled current into phases: (start, end, sign, mean |uA|, charge uC).
    (uA * ms / 1000 = uC)"""
    out = []
    cur = None
    dt = (res.samples[1][0] - res.samples[0][0]) if len(res.samples) > 1 else 10
    for t, ua, *_ in res.samples:
        sign = 1 if ua > 0.5 else (-1 if ua < -0.5 else 0)
        if cur is not None and sign == cur[2]:
            cur[1] = t + dt
            cur[3] += abs(ua)
            cur[4] += 1
        else:
            if cur is not None and cur[2] != 0:
                out.append((cur[0], cur[1], cur[2], cur[3] / cur[4], cur[2] * cur[3] * dt / 1e3))
            cur = [t, t + dt, sign, abs(ua), 1]
    if cur is not None and cur[2] != 0:
        out.append((cur[0], cur[1], cur[2], cur[3] / cur[4], cur[2] * cur[3] * dt / 1e3))
    return out


def _blocks(res: SimResult) -> list:
    """Polarity blocks: [start, end, sign, charge_uC, on_ms] (a phase of a
    biphasic wave, or a train of same-polarity pulses)."""
    blocks: list = []
    for a, b, sign, _mean, q in phases(res):
        if blocks and blocks[-1][2] == sign and a - blocks[-1][1] < 1000:
            blocks[-1][1] = b
            blocks[-1][3] += q
            blocks[-1][4] += b - a
        else:
            blocks.append([a, b, sign, q, b - a])
    return blocks


def _excluder(res: SimResult):
    marks = [t for t, k, _ in res.events if k in ("contact_lost", "contact_back", "fault")]
    bad = [(a, b) for a, b, st in state_spans(res) if st in ("no_contact", "fault")]

    def excluded(a, b):
        if any(a - 150 <= t <= b + 150 for t in marks):
            return True
        return any(not (b <= x or a >= y) for x, y in bad)

    return excluded


def max_ramp(res: SimResult) -> tuple[float, int]:
    """Largest rate of change of the amplitude (uA/s) and when (ms).

    The amplitude of a charge-balanced wave is that of a whole cycle (a
    positive block and the negative one that pays it back): its charge over
    its on-time. The rate compares each cycle with the first one whose centre
    is at least 100 ms later (so one DAC step on a 10 ms cycle is not read as
    a ramp). Within a phase, the change of |I| over any 100 ms counts too.
    Excluded: cycles touching a contact change or a fault (the load, not the
    firmware, moved the current), and the contact probe while paused.
    """
    excluded = _excluder(res)
    cycles = []
    bl = _blocks(res)
    i = 0
    while i + 1 < len(bl):
        p, q = bl[i], bl[i + 1]
        if p[2] == 1 and q[2] == -1:
            on = p[4] + q[4]
            if on > 0 and not excluded(p[0], q[1]):
                amp = (abs(p[3]) + abs(q[3])) * 1000.0 / on  # uC / ms -> uA
                cycles.append(((p[0] + q[1]) / 2.0, amp, p[0]))
            i += 2
        else:
            i += 1
    best, at = 0.0, 0
    j = 0
    for k in range(len(cycles)):
        if j <= k:
            j = k + 1
        while j < len(cycles) and cycles[j][0] - cycles[k][0] < 100:
            j += 1
        if j >= len(cycles):
            break
        dt = cycles[j][0] - cycles[k][0]
        if dt > 3000:  # a pause (hold) between them, not a ramp
            continue
        rate = abs(cycles[j][1] - cycles[k][1]) * 1000.0 / dt
        if rate > best:
            best, at = rate, int(cycles[k][2])
    # within phases
    win = 100
    s = res.samples
    j = 0
    for i in range(len(s)):
        while j < len(s) and s[j][0] - s[i][0] < win:
            j += 1
        if j >= len(s):
            break
        a, b = s[i], s[j]
        if (a[1] > 0) != (b[1] > 0) or abs(a[1]) < 0.5 or abs(b[1]) < 0.5:
            continue
        if any(x[1] * a[1] <= 0 for x in s[i:j + 1]):
            continue  # a polarity reversal or a gap inside the window
        if excluded(a[0], b[0]):
            continue
        rate = abs(abs(b[1]) - abs(a[1])) * 1000.0 / (b[0] - a[0])
        if rate > best:
            best, at = rate, a[0]
    return best, at


def cycle_stats(res: SimResult) -> dict:
    """SR-04 per cycle, measured on the load: each polarity block (a phase of a
    biphasic wave, or a train of same-polarity pulses) paired with the next one
    of opposite polarity. Charges are the plant's exact integrals when the run
    printed them (P lines), else sums of the samples. Cycles that span a contact loss or a fault are
    counted apart as interrupted (no current can flow into an open load; the
    firmware pays that charge back once contact returns)."""
    if res.phase_records:  # exact charges from the plant
        blocks = [[a, b, 1 if q > 0 else -1, q, b - a] for a, b, q in res.phase_records if q != 0]
    else:
        blocks = _blocks(res)
        if blocks and res.samples and blocks[-1][1] >= res.samples[-1][0]:
            blocks.pop()  # the end of the run cut it short
    excluded = _excluder(res)
    backs = [t for t, k, _ in res.events if k == "contact_back"]
    after: set = set()
    worst, worst_ratio, n, interrupted = 0.0, 0.0, 0, 0
    i = 0
    while i + 1 < len(blocks):
        p, q = blocks[i], blocks[i + 1]
        if p[2] != 1 or q[2] != -1:
            i += 1
            continue
        # the cycle lasts until the next block starts (a pulse train's negative
        # half is cut short by a lift in one of its gaps, seen at the next pulse)
        end = blocks[i + 2][0] if i + 2 < len(blocks) else q[1]
        if excluded(p[0], end) or any(p[0] - 1000 <= t <= p[0] + 50 for t in backs) or p[0] in after:
            # a cycle cut by a contact loss or a fault, and the one after
            # contact returns (it also pays the interrupted cycle's rest)
            interrupted += 1
            if excluded(p[0], end) and i + 2 < len(blocks):
                after.add(blocks[i + 2][0])
            i += 2
            continue
        net = p[3] + q[3]
        phase = max(abs(p[3]), abs(q[3]))
        n += 1
        worst = max(worst, abs(net))
        if phase > 0:
            worst_ratio = max(worst_ratio, abs(net) / phase)
        i += 2
    return {"cycles": n, "interrupted_cycles": interrupted, "net_per_cycle_max_uc": worst,
            "net_per_cycle_max_ratio": worst_ratio}


def summary(res: SimResult) -> dict:
    board = json.loads(BOARD_JSON.read_text())
    area = board["electrode"]["area_cm2"]
    values = res.settings
    ends = [e for e in res.events if e[1] == "session_end"]
    starts = [e for e in res.events if e[1] == "session_start"]
    levels = [int(e[2][0]) for e in res.events if e[1] == "level" and e[2]]
    level = levels[-1] if levels else int(starts[-1][2][1]) if starts else values.get("level", 3)
    faults = [int(e[2][0]) for e in res.events if e[1] == "fault" and e[2]]
    ramp, ramp_at = max_ramp(res)
    cyc = cycle_stats(res)
    pl = res.plant
    peak = pl.get("peak_ua", 0.0)
    out = {
        "program": starts[-1][2][0] if starts else values.get("program", "lift"),
        "level": level,
        "planned_s": values.get("session_min", 5) * 60,
        "delivered_s": int(ends[-1][2][1]) if ends else None,
        "ended_by": ends[-1][2][0] if ends else None,
        "peak_current_ua": round(peak, 1),
        "rms_current_ua": round(pl.get("rms_ua", 0.0), 1),
        "net_charge_uc": round(pl.get("net_charge_uc", 0.0), 3),
        "max_phase_charge_uc": round(pl.get("phase_charge_max_uc", 0.0), 2),
        "net_per_cycle_max_uc": round(cyc["net_per_cycle_max_uc"], 4),
        "net_per_cycle_max_ratio": round(cyc["net_per_cycle_max_ratio"], 5),
        "cycles": cyc["cycles"],
        "interrupted_cycles": cyc["interrupted_cycles"],
        "contact_losses": sum(1 for e in res.events if e[1] == "contact_lost"),
        "faults": faults,
        "max_ramp_ua_per_s": round(ramp, 1),
        "max_ramp_at_s": round(ramp_at / 1000.0, 2),
        "resets": [[t, c] for t, c in res.resets],
        "current_density_ma_cm2": round(peak / 1000.0 / area, 4),
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
    from wandctl.cmd_console import contact_band

    lines = [ln.split(" ") for ln in res.history.splitlines() if ln.count(" ") == 11]
    ohms = None
    if lines:
        try:
            ohms = int(lines[-1][10])
        except ValueError:
            ohms = None
    if ohms is None or ohms < 0:
        return {"load_kohm": None, "contact": "not measured"}
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
