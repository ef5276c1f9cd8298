"""The output characterization of docs/safety.md on the simulated board (`wandctl characterize`).

Every program runs at its top level (level 10 with user_max_ua at the hard
ceiling, 500 µA) on a resistive load, and the steady part of the run (after
the ramp) is measured on the load itself by the trace oracle
(simboard/oracle/): one row of figures per program and load, and the
Markdown table of docs/characterization.md.
"""

from __future__ import annotations

import json
from pathlib import Path

from wandctl import paths
from wandctl.errors import WandctlError

DEFAULT_LOADS = (500, 2000, 10000, 47000)
TOP_SETTINGS = {"level": 10, "user_max_ua": 500, "session_min": 5}
SETPOINT_UA = 500
RUN_S = 30.0
START_S = 1.0


def electrode_area_cm2() -> float:
    """The electrode area of hardware/board.json."""
    return json.loads(paths.board_json().read_text())["electrode"]["area_cm2"]


def measure(program: str, load: float, interpreter: str = "cpython", seed: int = 1) -> dict:
    from simboard import simrun

    settings = dict(TOP_SETTINGS, program=program)
    opts = simrun.SimOptions(load_ohms=load, seed=seed, interpreter=interpreter, seconds=RUN_S,
                             script=None, settings=settings)
    opts.injects = []
    res = _run_with_script(simrun, opts, "%g press power 0.2\n" % START_S)
    area = electrode_area_cm2()
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
    """One row of figures per program and load (measure()); an unknown program is a WandctlError."""
    paths.firmware_importable()
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
