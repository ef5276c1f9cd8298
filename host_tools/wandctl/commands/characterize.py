"""wandctl characterize: the output characterization of docs/safety.md.

Every program runs at its top level (level 10 with user_max_ua at the hard
ceiling, 500 µA) on a resistive load, on the simulated board, and the steady
part of the run (after the ramp) is measured on the load itself:

  peak current (µA) and the largest voltage across the load (V; over the whole
  run, the start ramp included: what the skin may see), phase or
  pulse duration (ms) and frequency (Hz), r.m.s. and average current (µA),
  the largest phase charge and the net charge per cycle (µC), r.m.s. current
  density and average power density over the electrode area of
  hardware/board.json (mA/cm², W/cm²), and regulation error (%): the mean
  phase amplitude against the setpoint.

The default loads are those regulators ask for (500 Ω, 2 kΩ, 10 kΩ) plus
47 kΩ, past the compliance voltage, to show what happens there.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from wandctl import paths
from wandctl.errors import WandctlError

DEFAULT_LOADS = (500, 2000, 10000, 47000)
TOP_SETTINGS = {"level": 10, "user_max_ua": 500, "session_min": 5}
SETPOINT_UA = 500
RUN_S = 30.0
START_S = 1.0


def register(sub):
    p = sub.add_parser("characterize", help="output characterization table (docs/safety.md) on the simulated board",
                       description=__doc__, formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    p.add_argument("--loads", default=",".join(str(x) for x in DEFAULT_LOADS),
                   help="comma-separated resistive loads in ohms (default 500,2000,10000,47000)")
    p.add_argument("--programs", help="comma-separated programs (default: all)")
    p.add_argument("--json", metavar="PATH", help="write the numbers as JSON")
    p.add_argument("--markdown", metavar="PATH", help="write the table as Markdown")
    p.add_argument("--interpreter", choices=("cpython", "micropython"), default="cpython",
                   help="run the simulated board on CPython (default) or on the MicroPython unix port")
    p.add_argument("--seed", type=int, default=1,
                   help="simulation seed of every run (default %(default)s; the table in "
                   "docs/characterization.md uses 1)")
    p.set_defaults(func=run)


def parse_loads(text: str) -> list[float]:
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            v = float(part)
        except ValueError:
            raise WandctlError("--loads: %r is not a number of ohms" % part) from None
        if not math.isfinite(v) or not 10 <= v <= 10_000_000:
            raise WandctlError("--loads: %s is outside 10..10000000 ohm" % part)
        out.append(v)
    if not out:
        raise WandctlError("--loads: give at least one load, e.g. --loads 500,2000")
    return out


def measure(program: str, load: float, interpreter: str = "cpython", seed: int = 1) -> dict:
    from wandctl import simrun

    settings = dict(TOP_SETTINGS, program=program)
    opts = simrun.SimOptions(load_ohms=load, seed=seed, interpreter=interpreter, seconds=RUN_S,
                             script=None, settings=settings)
    opts.injects = []
    res = _run_with_script(simrun, opts, "%g press power 0.2\n" % START_S)
    board = json.loads(simrun.BOARD_JSON.read_text())
    area = board["electrode"]["area_cm2"]
    # steady window: from the end of the ramp to the end of the run, whole
    # cycles only; every figure from the trace oracle (simboard/oracle/)
    ramped = [t for t, k, a in res.events if k == "state" and a and a[0] == "running"]
    t0 = int((ramped[0] if ramped else START_S * 1000) + 500)
    t1 = int(RUN_S * 1000 - 500)
    verdict = simrun.verdict(res)
    from simboard import oracle

    fig = oracle.output_figures(simrun.trace(res), t0, t1)
    faults = [e[2] for e in res.events if e[1] == "fault"]
    contact = [e for e in res.events if e[1] == "contact_lost"]
    row = {"program": program, "load_ohms": load, "setpoint_ua": SETPOINT_UA,
           "faults": [a[1] if len(a) > 1 else a[0] for a in faults],
           "no_contact": bool(contact)}
    amp = fig["mean_on_ua"]
    from wand import programs as progmod

    prog = progmod.find(program)
    # what a resistive load of `load` ohms is driven with: the largest voltage
    # across it (the plant's), and the mean power I_rms^2 R over the electrode
    vmax = res.plant.get("max_vload_v", fig["peak_ua"] * load / 1e6)
    row.update(
        peak_ua=round(fig["peak_ua"], 1),
        max_voltage_v=round(vmax, 2),
        rms_ua=round(fig["rms_ua"], 1),
        mean_ua=round(fig["mean_abs_ua"], 1),
        phase_ms=prog[progmod.ON_MS] if prog[progmod.ON_MS] < prog[progmod.PERIOD_MS] else prog[progmod.HALF_MS],
        frequency_hz=round(progmod.frequency_mhz(prog) / 1000.0, 3),
        measured_cycles_per_s=round(fig["frequency_hz"], 3),
        phase_charge_uc=round(fig["phase_charge_uc"], 3),
        net_charge_per_cycle_uc=round(fig["net_charge_per_cycle_uc"], 4),
        density_ma_cm2=round(fig["rms_ua"] / 1000.0 / area, 4),
        power_density_w_cm2=float("%.3g" % ((fig["rms_ua"] / 1e6) ** 2 * load / area)),
        regulation_error_pct=round((amp - SETPOINT_UA) / SETPOINT_UA * 100.0, 2),
        cycles=fig["cycles"],
        violations=verdict["violations"],
    )
    return row


def _run_with_script(simrun, opts, script_text):
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".script", delete=False) as f:
        f.write(script_text)
        path = f.name
    try:
        opts.script = path
        return simrun.run(opts)
    finally:
        Path(path).unlink(missing_ok=True)


def characterize(loads, programs=None, interpreter="cpython", seed=1, progress=None) -> list[dict]:
    sys.path.insert(0, str(paths.FIRMWARE))
    from wandctl.simrun import _firmware_settings

    _firmware_settings()
    from wand import programs as progmod

    names = programs or progmod.names()
    for n in names:
        if progmod.find(n) is None:
            raise WandctlError("--programs: unknown program %r (known: %s)" % (n, ", ".join(progmod.names())))
    rows = []
    total = len(names) * len(loads)
    for name in names:
        for load in loads:
            rows.append(measure(name, load, interpreter, seed))
            if progress:
                progress(len(rows), total)
    return rows


def markdown(rows: list[dict], area_cm2: float) -> str:
    lines = [
        "| program | load | peak (µA) | max voltage (V) | phase (ms) | frequency (Hz) | r.m.s. (µA) "
        "| average (µA) | phase charge (µC) | net charge/cycle (µC) | density r.m.s. (mA/cm²) "
        "| power density (W/cm²) | regulation error (%) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        load = r["load_ohms"]
        load_s = "%g kΩ" % (load / 1000) if load >= 1000 else "%g Ω" % load
        note = ""
        if r.get("faults"):
            note = " (fault: %s)" % ",".join(str(f) for f in r["faults"])
        elif r.get("no_contact"):
            note = " (no contact)"
        lines.append("| %s | %s%s | %.1f | %.2f | %g | %g | %.1f | %.1f | %.3f | %.4f | %.4f | %.2e | %+.2f |" % (
            r["program"], load_s, note, r["peak_ua"], r["max_voltage_v"], r["phase_ms"], r["frequency_hz"],
            r["rms_ua"], r["mean_ua"], r["phase_charge_uc"], r["net_charge_per_cycle_uc"], r["density_ma_cm2"],
            r["power_density_w_cm2"], r["regulation_error_pct"]))
    lines.append("")
    lines.append("Top level: level 10 with user_max_ua = 500 µA (the hard ceiling). Electrode area "
                 "%g cm² (hardware/board.json). Measured on the simulated load after the ramp; the max voltage "
                 "over the whole run, the start ramp included." % area_cm2)
    return "\n".join(lines) + "\n"


def run(args) -> int:
    from wandctl.argcheck import output_file, write_text

    loads = parse_loads(args.loads)
    programs = [p.strip() for p in args.programs.split(",") if p.strip()] if args.programs else None
    # everything a user can get wrong is checked before minutes of simulation
    json_path = output_file(args.json, "--json", example="characterization.json") if args.json else None
    md_path = output_file(args.markdown, "--markdown", example="characterization.md") if args.markdown else None
    bar = None
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=(len(programs) if programs else 4) * len(loads), desc="characterizing",
                   file=sys.stderr, leave=False)

    def progress(done, total):
        if bar:
            bar.total = total
            bar.update(done - bar.n)

    try:
        rows = characterize(loads, programs, args.interpreter, args.seed, progress)
    finally:
        if bar:
            bar.close()
    from wandctl import simrun

    area = json.loads(simrun.BOARD_JSON.read_text())["electrode"]["area_cm2"]
    table = markdown(rows, area)
    if json_path is not None:
        write_text(json_path, json.dumps(rows, indent=2) + "\n", "--json")
    if md_path is not None:
        write_text(md_path, table, "--markdown")
    print(table, end="")
    return 0
