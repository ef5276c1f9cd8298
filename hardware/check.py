#!/usr/bin/env python3
"""Simulate the microwand analog path in ngspice and check it against docs/safety.md.

`make hardware-check` runs this file. It

1. writes hardware/netlist/board_params.inc from hardware/board.json (the one
   description of the board: every component value that the firmware also
   depends on is computed from it here, and nowhere else),
2. runs the netlist hardware/netlist/microwand.cir in ngspice (batch mode) over
   DAC codes, loads, polarities, tolerance/temperature corners and single
   faults,
3. checks the results (current tracking, compliance, SR-01 layer 3, SR-04,
   ADC ranges, USB and battery sense),
4. prints a report, rewrites the results table in hardware/README.md between
   the markers, optionally dumps the raw numbers (--json PATH), and exits
   non-zero when a check fails.

Every number in the table comes from an ngspice run of this invocation.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HW = ROOT / "hardware"
NET = HW / "netlist"
README = HW / "README.md"
BOARD_JSON = HW / "board.json"
PARAMS_INC = NET / "board_params.inc"
BEGIN = "<!-- BEGIN hardware-check -->"
END = "<!-- END hardware-check -->"

sys.path.insert(0, str(ROOT / "host_tools"))
from wandctl.boardgen import derived, load_board  # noqa: E402

# ---------------------------------------------------------------------------
# Design choices that are not in board.json (they set impedance levels, not
# any number the firmware relies on). The BOM lists the same parts.
# ---------------------------------------------------------------------------
R_DIV_BOT = 10e3  # DAC divider bottom leg
R_SA_IN = 1.02e6  # current-sense difference amplifier input resistors
R_OFF_BOT = 1.0e3  # offset divider bottom legs (200 mV references)
R_VL_IN = 22e6  # load-voltage sense inputs (one per electrode)
VL_NOISE_GAIN = 2.2  # load-voltage amplifier noise gain (keeps its inputs < 2.2 V)
R_VL_GT = 1e6  # Thevenin resistance of its (+) network
VL_DIODE_COMP_V = 0.0135  # load-voltage sense: mean BAT54 residue taken off the offset
R_BAT_BOT = 1e6  # battery divider bottom leg
R_USB_TOP = 47e3  # USB VBUS divider top leg
ESP32_VIH_FRAC = 0.75  # ESP32 input high threshold, fraction of VDD
ESP32_VIL_FRAC = 0.25
R_D2 = 88.7e3  # limiter reference divider, lower leg
R_Z = 100e3  # bias of the limiter's floating LM4040 supply
R_MD1, R_MD2 = 47e3, 21.5e3  # steering switch gate divider: 7.5 V, well under the cascodes' 9.6 V
R_MDX = 4.7e3  # steering switch gate pull-down resistor
C_MD = 100e-12  # steering switch gate capacitor
R_DL, C_DL = 220e3, 1e-9  # steering switch turn-off delay after a leg rises (~100 us)
R_HSG = 1e6  # high-side gate divider (each leg): slow, current-limited gate drive
R_LVG = 220e3  # level-shifter gate resistors: the drains swing 24 V in microseconds, not ns
R_LSG = 1e6  # low-side gate resistors: slow edges, no kick into the electrodes
C_MILLER = 47e-12  # high-side gate-drain capacitor: electrode slew rate ~0.4 V/us
C_V10 = 100e-9  # decoupling of the 9.6 V low-side gate rail
ADC_LINEAR_MV = (150.0, 2450.0)  # ESP32 ADC at 11 dB (PLATFORM.md)
GPIO_R = 50.0  # ESP32 pin output resistance

# Tolerances of the check.
TRACK_TOL_PCT = 2.0
TRACK_TOL_UA = 2.0
RESET_MAX_UA = 1.0  # load current with the ESP32 in reset
CHARGE_BALANCE_PCT = 1.0  # SR-04
DEAD_TIME_S = 20e-6  # both legs low at a polarity change (transient run)
# Supervisor.apply() at a reversal (firmware/wand/safety.py): DAC 0, leg off,
# other leg on, DAC code; about one pin write (PIN_WRITE_S) apart on the ESP32.
PIN_WRITE_S = 20e-6
DAC_EDGE_S = 2e-6  # the ESP32 DAC settles in a few microseconds
REV_HALF_S = 6e-3  # reversal runs: 6 ms per phase (4 time constants of the skin model: charged)
REV_TMAX_S = 1e-6  # their largest time step
REV_OVERSHOOT_PCT, REV_OVERSHOOT_UA = 1.0, 2.0  # firmware sequence: peak within steady + 1 % + 2 uA
POLARITY_TOL_UA = 0.5
POLARITY_TOL_PCT = 0.5
SENSE_TOL_MV = 10.0
SENSE_TOL_PCT = 1.0
VLOAD_TOL_MV = 20.0
FAULT_LOADS = (500.0, 2e3, 10e3, 47e3)
TRACK_LOADS = (500.0, 2e3, 10e3, 47e3)
CORNER_LOADS = (500.0, 2e3, 10e3)

# Part tolerances applied at the limiter corners (datasheet limits of the parts
# in bom.csv): LM4040B 0.2 % and 100 ppm/K, 0.1 % 25 ppm/K resistors,
# MCP6041 offset 3 mV max (+1.5 uV/K), boost +/-5 %, 3.3 V rail +/-2 %.
REF_TOL, REF_TC = 0.002, 100e-6
RES_TOL, RES_TC = 0.001, 25e-6
VOS_MAX, VOS_TC = 3e-3, 1.5e-6
BOOST_TOL, V33_TOL = 0.05, 0.02
TEMPS_C = (0.0, 45.0)

DC_EQ_TOL = 5e-4  # volts across an op-amp pole resistor: 0.5 mV from equilibrium (< 0.5 uA effect)
BODY_FWD_MAX = 0.3  # a body diode below this forward voltage carries no current

SHORT = 10e-3
ABSENT = 1e12


class CheckError(RuntimeError):
    """ngspice missing or a simulation that did not run."""


# ---------------------------------------------------------------------------
# board.json -> component values
# ---------------------------------------------------------------------------
def design_values(board: dict) -> dict[str, float]:
    """Every component value of the netlist that derives from board.json."""
    a = board["analog"]
    v33 = a["dac_full_scale_mv"] / 1000.0
    ratio = a["vi_divider_ratio"]
    gain = a["sense_gain"]
    g_vl = a["vload_gain"]
    v_off_i = a["sense_offset_mv"] / 1000.0
    v_off_v = a["vload_offset_mv"] / 1000.0
    r_lim = a["limiter_r_ohms"]
    v_ref = a["limiter_ref_v"]
    v_lim = a["hw_limit_ua"] * 1e-6 * r_lim
    # load-voltage amplifier: Vout = NG*V(+) - g*(V(ea)+V(eb)), V(+) from vh,
    # voff_v and ground so that NG*V(+) = 2*g*V(vh) + V_OFF_V.
    r_vl_fb = g_vl * R_VL_IN
    ng = VL_NOISE_GAIN
    r_vl_gm = r_vl_fb / (ng - 1.0 - 2.0 * g_vl)
    ga = 2.0 * g_vl / ng / R_VL_GT
    # the high electrode sits one BAT54 drop below the (+) taps' diode cathodes
    # plus the drop's rise with current (see microwand.cir): VL_DIODE_COMP_V of
    # that residue, the middle of its 3..550 uA range, comes off the offset
    gb = (v_off_v - VL_DIODE_COMP_V) / v_off_v / ng / R_VL_GT
    gc = 1.0 / R_VL_GT - ga - gb
    k_usb = ESP32_VIH_FRAC * v33 / a["usb_threshold_v"]
    return {
        "V33": v33,
        "DAC_FS": v33,
        "BOOST_V": a["boost_v"],
        "R_BOOST_OUT": a["boost_rout_ohms"],
        "R_DIV_BOT": R_DIV_BOT,
        "R_DIV_TOP": R_DIV_BOT * (1.0 - ratio) / ratio,
        "R_SET": a["r_set_ohms"],
        "R_SENSE": a["sense_r_ohms"],
        "R_SA_IN": R_SA_IN,
        "R_SA_FB": R_SA_IN * gain,
        "R_OFF_BOT": R_OFF_BOT,
        "R_OFF_TOP_I": R_OFF_BOT * (v33 - v_off_i) / v_off_i,
        "R_OFF_TOP_V": R_OFF_BOT * (v33 - v_off_v) / v_off_v,
        "R_LIM": r_lim,
        "LIM_REF_V": v_ref,
        "R_D2": R_D2,
        "R_D1": R_D2 * v_lim / (v_ref - v_lim),
        "R_Z": R_Z,
        "R_MD1": R_MD1,
        "R_MD2": R_MD2,
        "R_MDX": R_MDX,
        "C_MD": C_MD,
        "R_DL": R_DL,
        "C_DL": C_DL,
        "R_HSG": R_HSG,
        "R_LSG": R_LSG,
        "R_LVG": R_LVG,
        "C_MILLER": C_MILLER,
        "C_V10": C_V10,
        "R_VL_IN": R_VL_IN,
        "R_VL_FB": r_vl_fb,
        "R_VL_GM": r_vl_gm,
        "R_VL_A": 1.0 / ga,
        "R_VL_B": 1.0 / gb,
        "R_VL_C": 1.0 / gc,
        "R_BAT_BOT": R_BAT_BOT,
        "R_BAT_TOP": R_BAT_BOT * (1.0 - a["vbat_divider"]) / a["vbat_divider"],
        "R_USB_TOP": R_USB_TOP,
        "R_USB_BOT": R_USB_TOP * k_usb / (1.0 - k_usb),
    }


def render_params(board: dict) -> str:
    vals = design_values(board)
    lines = [
        "* GENERATED from hardware/board.json by hardware/check.py: do not edit.",
        "* Component values of the microwand analog path (ohms, volts).",
    ]
    lines += [".param %s=%.9g" % (k, v) for k, v in vals.items()]
    return "\n".join(lines) + "\n"


def write_params(board: dict, path: Path = PARAMS_INC) -> None:
    text = render_params(board)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------
# scenarios
# ---------------------------------------------------------------------------
def base_scenario(board: dict) -> dict[str, float]:
    v33 = board["analog"]["dac_full_scale_mv"] / 1000.0
    return {
        "VDAC": 0.0,
        "RLOAD": 10e3,
        "LEGA": v33,
        "LEGB": 0.0,
        "OE": v33,
        "RGPIO": GPIO_R,
        "VBUS": 0.0,
        "VBAT": board["battery"]["nominal_v"],
        "K_VB": 1.0,
        "K_V33": 1.0,
        "K_REF": 1.0,
        "K_RLIM": 1.0,
        "K_RD1": 1.0,
        "K_RD2": 1.0,
        "VOS_U3": 0.0,
        "F_U1A": 0,
        "F_U1B": 0,
        "F_U3": 0,
        "F_RSENSE": ABSENT,
        "F_RSET": ABSENT,
        "F_Q1": ABSENT,
        "F_OE": ABSENT,
        "F_RLIM": ABSENT,
        "F_BODY": ABSENT,
        "SKIN_RS": ABSENT,  # skin model in parallel with RLOAD (absent by default)
        "SKIN_RP": ABSENT,
        "SKIN_CP": 1e-15,
        # deliberate mismatch between the bridge legs (threshold shifts, volts):
        # SR-04 must hold although the two polarities use different switches.
        "VT_PA": 0.0,
        "VT_PB": -0.3,
        "VT_NA": 0.0,
        "VT_NB": 0.3,
    }


def corner(kind: str, temp_c: float) -> dict[str, float]:
    """Part tolerances pushed all one way. kind 'max' raises the limiter's
    current (and the stage's), 'min' lowers it."""
    if kind == "nom":
        return {"TEMP": 25.0}
    s = 1.0 if kind == "max" else -1.0
    dt = abs(temp_c - 25.0)
    return {
        "TEMP": temp_c,
        "K_REF": 1.0 + s * (REF_TOL + REF_TC * dt),
        "K_RLIM": 1.0 - s * (RES_TOL + RES_TC * dt),
        "K_RD1": 1.0 + s * (RES_TOL + RES_TC * dt),
        "K_RD2": 1.0 - s * (RES_TOL + RES_TC * dt),
        "VOS_U3": -s * (VOS_MAX + VOS_TC * dt),
        "K_VB": 1.0 + s * BOOST_TOL,
        "K_V33": 1.0 + s * V33_TOL,
    }


CORNERS = [("nom", 25.0)] + [(k, t) for k in ("max", "min") for t in TEMPS_C]


def corner_name(kind: str, temp_c: float) -> str:
    return "nominal 25 C" if kind == "nom" else "%s %g C" % (kind, temp_c)


# Single faults: (name, scenario overrides). The DAC is at full scale in all.
FAULTS = [
    ("none (DAC at full scale)", {}),
    ("sense resistor shorted", {"F_RSENSE": SHORT}),
    ("r_set shorted", {"F_RSET": SHORT}),
    ("stage amplifier output at +rail", {"F_U1A": 1}),
    ("stage amplifier output at -rail", {"F_U1A": -1}),
    ("sense amplifier output at +rail", {"F_U1B": 1}),
    ("sense amplifier output at -rail", {"F_U1B": -1}),
    ("stage transistor drain-source short", {"F_Q1": SHORT}),
    ("enable stuck on", {"F_OE": SHORT}),
    ("limiter amplifier output at -rail (limiter bypassed)", {"F_U3": -1}),
    ("limiter amplifier output at +rail", {"F_U3": 1}),
    ("limiter sense resistor shorted", {"F_RLIM": SHORT}),
    ("electrode A to ground through the body (500 ohm)", {"F_BODY": 500.0}),
    ("ESP32 in reset (all pins high-Z)", {"RGPIO": ABSENT}),
    ("ESP32 in reset and enable stuck on", {"RGPIO": ABSENT, "F_OE": SHORT}),
]
FAULT_CORNERS = [("nom", 25.0), ("max", 0.0), ("max", 45.0)]


# ---------------------------------------------------------------------------
# ngspice
# ---------------------------------------------------------------------------
def ngspice_path() -> str:
    path = shutil.which("ngspice")
    if not path:
        raise CheckError("ngspice not found: run `bash hardware/ensure_ngspice.sh` (installs Debian's ngspice)")
    return path


def make_deck(params: dict[str, float], control: list[str], temp_c: float = 25.0) -> str:
    lines = [
        "* microwand hardware-check deck (generated)",
        ".include %s" % (NET / "models.lib"),
        ".include %s" % PARAMS_INC,
    ]
    lines += [".param %s=%.9g" % (k, v) for k, v in params.items() if k != "TEMP"]
    lines += [
        ".options TEMP=%g TNOM=25 ITL2=200" % temp_c,
        ".include %s" % (NET / "microwand.cir"),
        ".control",
        "set wr_singlescale",
        "set wr_vecnames",
        "option numdgt=9",
        # last-resort operating point by transient: run long enough for the
        # slowest pole (MCP6041, ~0.1 s) to settle, not ngspice's default 10 us
        "optran 1 1 1 1e-3 5 0",
        *control,
        "quit 0",
        ".endc",
        ".end",
    ]
    return "\n".join(lines) + "\n"


_RES = re.compile(r"^RES (.*)$")


def run_deck(deck: str, outputs: tuple[str, ...] = ()) -> dict:
    """Run one deck; return {'res': [dict per RES line], 'files': {name: table}}."""
    exe = ngspice_path()
    with tempfile.TemporaryDirectory(prefix="wandspice-") as tmp:
        path = Path(tmp) / "deck.cir"
        path.write_text(deck, encoding="utf-8")
        proc = subprocess.run([exe, "-b", str(path)], cwd=tmp, capture_output=True, text=True, timeout=300)
        text = proc.stdout + proc.stderr
        bad = [ln for ln in text.splitlines() if re.search(r"\berror\b|singular|no convergence|aborted", ln, re.I)]
        if proc.returncode != 0 or bad:  # "quit 0" ends a clean run with 0
            raise CheckError("ngspice failed:\n" + "\n".join((bad or text.splitlines()[-20:])[:15]))
        res = []
        for ln in text.splitlines():
            m = _RES.match(ln.strip())
            if m:
                row = {}
                for item in m.group(1).split():
                    k, _, v = item.partition("=")
                    try:
                        row[k] = float(v)
                    except ValueError:
                        row[k] = v
                res.append(row)
        files = {}
        for name in outputs:
            fp = Path(tmp) / name
            if not fp.exists():
                raise CheckError("ngspice wrote no %s" % name)
            files[name] = read_wrdata(fp)
        return {"res": res, "files": files}


def read_wrdata(path: Path) -> dict[str, list[float]]:
    lines = path.read_text().split("\n")
    header = lines[0].split()
    cols: dict[str, list[float]] = {h: [] for h in header}
    for ln in lines[1:]:
        parts = ln.split()
        if len(parts) != len(header):
            continue
        for h, v in zip(header, parts, strict=True):
            cols[h].append(float(v))
    return cols


# .control snippets ----------------------------------------------------------
def _legs(pol: int, v33: float) -> list[str]:
    a = v33 if pol > 0 else 0.0
    b = 0.0 if pol > 0 else v33
    return ["alter vlega %g" % a, "alter vlegb %g" % b]


# forward voltage each (unmodelled) body diode would see: P-MOSFETs drain-source,
# N-MOSFETs source-drain
BODY_EXPRS = [
    "v(vl)-v(ls)",
    "v(vho)-v(vl)",
    "v(t)-v(k)",
    "0-v(gmdx)",
]
# the op-amp pole nodes agree at a true DC solution
DQ_EXPR = "+".join("abs(v(%s.x1.nq))" % u for u in ("xu1a", "xu1b", "xu2", "xu3"))
SWEEP_EXTRA = " ".join(BODY_EXPRS + [DQ_EXPR])


def sweep_health(t: dict) -> float:
    """Raise on a non-equilibrium point; return the largest body-diode forward voltage."""
    dq = max(t[DQ_EXPR])
    if dq > DC_EQ_TOL:
        raise CheckError("ngspice sweep contains a non-equilibrium point (%.3g V)" % dq)
    return max(max(t[e]) for e in BODY_EXPRS)


OP_VALUES = {
    "iload": "i(vmeas)",
    "ihigh": "i(vmh)",
    "vadi": "v(adc_i)",
    "vadv": "v(adc_v)",
    "vld": "v(ea)-v(eb)",
    "dq": DQ_EXPR,
}
OP_VALUES.update({"bd%d" % (i + 1): e for i, e in enumerate(BODY_EXPRS)})
N_BODY = len(BODY_EXPRS)


def op_point(tag: str, rl: float, pol: int, v33: float, powerup_v: float | None) -> list[str]:
    """One operating point. powerup_v: reach it by sweeping the boost up from 0 V
    (continuation from the all-off state, as on the bench) instead of a plain
    .op; used when the plain .op lands on a false solution."""
    out = ["alter rload %g" % rl, *_legs(pol, v33)]
    if powerup_v is None:
        out.append("op")
    else:
        out.append("dc vboost 0 %.9g %.9g" % (powerup_v, powerup_v / 24))
        out.append("let n = length(i(vmh)) - 1")
    items = []
    for k, expr in OP_VALUES.items():
        terms = expr if powerup_v is None else re.sub(r"([vi]\([\w.#]+\))", r"\1[n]", expr)
        out.append("let %s = %s" % (k, terms))
        items.append("%s=$&%s" % (k, k))
    out.append('echo "RES tag=%s rl=%g pol=%d %s"' % (tag, rl, pol, " ".join(items)))
    return out


def op_loop(tag: str, loads, pols, v33: float) -> list[str]:
    out = []
    for rl in loads:
        for pol in pols:
            out += op_point(tag, rl, pol, v33, None)
    return out


# ---------------------------------------------------------------------------
# the analyses
# ---------------------------------------------------------------------------
class Ctx:
    def __init__(self, board: dict):
        self.board = board
        self.a = board["analog"]
        self.d = derived(board)
        self.v33 = self.a["dac_full_scale_mv"] / 1000.0
        self.ua_per_code = (
            self.a["dac_full_scale_mv"] / 255.0 * self.a["vi_divider_ratio"] / self.a["r_set_ohms"] * 1000.0
        )
        self.compliance = self.d["compliance_v"]
        self.mv_per_ua = self.d["sense_mv_per_ua"]
        self.base = base_scenario(board)

    def scen(self, **over) -> dict[str, float]:
        s = dict(self.base)
        s.update(over)
        return s


def _tracking_deck(ctx: Ctx, rl: float, pol: int) -> dict:
    step = ctx.v33 / 255.0
    name = "trk.dat"
    control = [
        "alter rload %g" % rl,
        *_legs(pol, ctx.v33),
        "dc vdacs 0 %.9g %.9g" % (ctx.v33 + step / 4, step),
        "wrdata %s i(vmeas) i(vmh) v(adc_i) v(adc_v) v(ea) v(eb) v(vh) %s" % (name, SWEEP_EXTRA),
    ]
    return run_deck(make_deck(ctx.scen(), control), (name,))["files"][name]


def sim_tracking(ctx: Ctx, pool: ThreadPoolExecutor | None = None) -> dict:
    """DC sweep of the DAC over 0..255 codes for each load and polarity (one
    ngspice process per sweep: a sweep that starts from a fresh operating
    point converges faster than one continued after `alter`)."""
    step = ctx.v33 / 255.0
    jobs = {}
    for rl in TRACK_LOADS:
        for pol in (1, -1):
            if pool is None:
                jobs[(rl, pol)] = _tracking_deck(ctx, rl, pol)
            else:
                jobs[(rl, pol)] = pool.submit(_tracking_deck, ctx, rl, pol)
    out = {"files": {}}
    for (rl, pol), job in jobs.items():
        out["files"]["trk_%d_%s.dat" % (rl, "p" if pol > 0 else "n")] = job if pool is None else job.result()
    runs = []
    for rl in TRACK_LOADS:
        for pol in (1, -1):
            t = out["files"]["trk_%d_%s.dat" % (rl, "p" if pol > 0 else "n")]
            vd = t["v-sweep"]
            rows = []
            for i, v in enumerate(vd):
                code = int(round(v / step))
                if code > 255:
                    continue
                rows.append(
                    {
                        "code": code,
                        "iset_ua": code * ctx.ua_per_code,
                        "i_ua": abs(t["i(vmeas)"][i]) * 1e6,
                        "i_signed_ua": t["i(vmeas)"][i] * 1e6,
                        "ihigh_ua": t["i(vmh)"][i] * 1e6,
                        "vadc_i_mv": t["v(adc_i)"][i] * 1e3,
                        "vadc_v_mv": t["v(adc_v)"][i] * 1e3,
                        "vload_v": abs(t["v(ea)"][i] - t["v(eb)"][i]),
                    }
                )
            runs.append({"load": rl, "pol": pol, "rows": rows, "body_fwd_v": sweep_health(t)})
    return {"runs": runs}


def sim_sense_transfer(ctx: Ctx) -> dict:
    """Sense amplifier over 0..600 uA: DAC swept past full scale to 600 uA,
    limiter bypassed (bench characterization, not a use case)."""
    i_max = ctx.a["hw_limit_max_ua"] * 1e-6
    v_end = i_max * ctx.a["r_set_ohms"] / ctx.a["vi_divider_ratio"]
    control = [
        "alter rload 2000",
        *_legs(1, ctx.v33),
        "dc vdacs 0 %.9g %.9g" % (v_end * 1.0001, v_end / 120),
        "wrdata sense.dat i(vmeas) v(adc_i) %s" % SWEEP_EXTRA,
    ]
    out = run_deck(make_deck(ctx.scen(F_U3=-1), control), ("sense.dat",))
    t = out["files"]["sense.dat"]
    body = sweep_health(t)
    rows = [{"i_ua": abs(i) * 1e6, "vadc_mv": v * 1e3} for i, v in zip(t["i(vmeas)"], t["v(adc_i)"], strict=True)]
    return {"rows": rows, "body_fwd_v": body}


def sim_compliance(ctx: Ctx) -> dict:
    """Sweep the load at fixed setpoints; compliance = load voltage where the
    current first falls 2 % below the setpoint."""
    codes = [255, int(round(500.0 / ctx.ua_per_code))]
    control = []
    names = []
    for code in codes:
        name = "comp_%d.dat" % code
        names.append(name)
        control += [
            "alter vdacs %.9g" % (code * ctx.v33 / 255.0),
            "dc rload 20000 70000 100",
            "wrdata %s i(vmeas) v(ea) v(eb) %s" % (name, SWEEP_EXTRA),
        ]
    out = run_deck(make_deck(ctx.scen(), control), tuple(names))
    res = []
    for code in codes:
        t = out["files"]["comp_%d.dat" % code]
        body = sweep_health(t)
        iset = code * ctx.ua_per_code
        vmax = 0.0
        for i, va, vb in zip(t["i(vmeas)"], t["v(ea)"], t["v(eb)"], strict=True):
            if abs(i) * 1e6 >= 0.98 * iset:
                vmax = max(vmax, abs(va - vb))
        res.append({"code": code, "iset_ua": iset, "compliance_v": vmax, "body_fwd_v": body})
    return {"points": res}


def _run_ops(ctx: Ctx, scen: dict, loads, pols, temp_c: float, tag: str = "x") -> list[dict]:
    out = run_deck(make_deck(scen, op_loop(tag, loads, pols, ctx.v33), temp_c))
    rows = out["res"]
    if len(rows) != len(loads) * len(pols):
        raise CheckError("expected %d operating points, got %d" % (len(loads) * len(pols), len(rows)))
    vb = scen["BOOST_V"] if "BOOST_V" in scen else ctx.a["boost_v"]
    for i, r in enumerate(rows):
        # a false solution: an op-amp not at equilibrium, or a floating node
        # (output disconnected) parked on a forward-biased body diode; solve
        # again by powering the boost up from 0 V, as on the bench
        if r["dq"] > DC_EQ_TOL or max(r["bd%d" % k] for k in range(1, N_BODY + 1)) >= BODY_FWD_MAX:
            ctl = op_point(tag, r["rl"], int(r["pol"]), ctx.v33, vb * scen.get("K_VB", 1.0))
            again = run_deck(make_deck(scen, ctl, temp_c))["res"]
            if len(again) != 1 or again[0]["dq"] > DC_EQ_TOL:
                raise CheckError("ngspice found no DC equilibrium for %s" % r)
            rows[i] = r = again[0]
            r["powerup"] = 1
        r["i_ua"] = abs(r["iload"]) * 1e6
        r["ihigh_ua"] = r["ihigh"] * 1e6
        r["body_fwd_v"] = max(r["bd%d" % i] for i in range(1, N_BODY + 1))
    return rows


def sim_limiter_corners(ctx: Ctx, pool: ThreadPoolExecutor) -> dict:
    """Stage amplifier railed high (the stage asks for ~1 mA): the limiter alone
    sets the current, at every tolerance/temperature corner."""
    jobs = []
    for kind, t in CORNERS:
        c = corner(kind, t)
        temp = c.pop("TEMP")
        dac = ctx.v33 * c.get("K_V33", 1.0)
        scen = ctx.scen(VDAC=dac, F_U1A=1, **c)
        jobs.append((kind, t, pool.submit(_run_ops, ctx, scen, CORNER_LOADS, (1, -1), temp)))
    res = []
    for kind, t, fut in jobs:
        rows = fut.result()
        res.append(
            {
                "corner": corner_name(kind, t),
                "kind": kind,
                "min_ua": min(r["i_ua"] for r in rows),
                "max_ua": max(r["ihigh_ua"] for r in rows),
                "body_fwd_v": max(r["body_fwd_v"] for r in rows),
            }
        )
    return {"corners": res}


def sim_faults(ctx: Ctx, pool: ThreadPoolExecutor) -> dict:
    jobs = []
    for name, over in FAULTS:
        for kind, t in FAULT_CORNERS:
            c = corner(kind, t)
            temp = c.pop("TEMP")
            dac = ctx.v33 * c.get("K_V33", 1.0)
            scen = ctx.scen(VDAC=dac, **c)
            scen.update(over)
            jobs.append((name, kind, t, pool.submit(_run_ops, ctx, scen, FAULT_LOADS, (1, -1), temp)))
    by_fault: dict[str, dict] = {}
    for name, kind, t, fut in jobs:
        rows = fut.result()
        f = by_fault.setdefault(
            name,
            {
                "fault": name,
                "max_ua": 0.0,
                "max_load_ua": 0.0,
                "worst_corner": "",
                "vadc_i_mv": [],
                "body_fwd_v": -99.0,
            },
        )
        f["body_fwd_v"] = max(f["body_fwd_v"], max(r["body_fwd_v"] for r in rows))
        # delivered current: through the load, and out of the high side (every
        # path to the electrodes starts there, so it bounds any body current)
        worst = max(max(r["i_ua"], r["ihigh_ua"]) for r in rows)
        if worst >= f["max_ua"]:
            f["max_ua"] = worst
            f["worst_corner"] = corner_name(kind, t)
        f["max_load_ua"] = max(f["max_load_ua"], max(r["i_ua"] for r in rows))
        f["vadc_i_mv"] += [r["vadi"] * 1e3 for r in rows]
    return {"faults": [by_fault[n] for n, _ in FAULTS]}


def sim_supervision(ctx: Ctx) -> dict:
    """USB VBUS sense (GPIO35) and battery divider (GPIO34)."""
    b = ctx.board["battery"]
    control = []
    cases = [("usb", v) for v in (0.0, ctx.a["usb_threshold_v"], 5.0, 5.25)]
    cases += [("bat", v) for v in (b["critical_v"], b["low_v"], b["nominal_v"], b["full_v"], 4.2)]
    for kind, v in cases:
        src = "vbuss" if kind == "usb" else "vbats"
        control += [
            "alter %s %g" % (src, v),
            "op",
            'echo "RES kind=%s v=%g usb=$&v(usb35) bat=$&v(adc_bat)"' % (kind, v),
        ]
    out = run_deck(make_deck(ctx.scen(), control))
    return {"points": out["res"]}


def reversal_stimulus(v33: float, vdac: float, half: float, dac_to_zero: bool) -> list[str]:
    """Legs and DAC as the firmware drives them (Supervisor.apply): leg A high
    from t=0; at each reversal (every `half`, from t=half) the DAC goes to 0,
    one pin write later the active leg drops, one later the other rises, one
    later the DAC gets its code back. dac_to_zero=False: the DAC stays at its
    code throughout (a DAC stuck at full scale, or firmware without the step)."""
    w, e = PIN_WRITE_S, 1e-6
    ctl = [
        "alter @vlega[pulse] = [ %g 0 %g %g %g %g %g ]" % (v33, half + w, e, e, half + w - e, 2 * half),
        "alter @vlegb[pulse] = [ 0 %g %g %g %g %g %g ]" % (v33, half + 2 * w, e, e, half - w - e, 2 * half),
    ]
    if dac_to_zero:
        ctl.append(
            "alter @vdacs[pulse] = [ %g 0 %g %g %g %g %g ]"
            % (vdac, half, DAC_EDGE_S, DAC_EDGE_S, 3 * w - DAC_EDGE_S, half)
        )
    return ctl


def sim_biphasic(ctx: Ctx) -> dict:
    """Transient: a 10 Hz square biphasic program into board.json's skin model
    (series R, then R || C), driven as the firmware drives it (DAC to 0 around
    the break-before-make gap). Net charge per cycle (SR-04)."""
    sk = ctx.board["skin_default"]
    period = 0.1
    cycles = 4
    out = []
    for ua in (200.0, 500.0):
        code = int(round(ua / ctx.ua_per_code))
        vdac = code * ctx.v33 / 255.0
        scen = ctx.scen(
            VDAC=vdac,
            RLOAD=ABSENT,
            SKIN_RS=sk["series_ohms"],
            SKIN_RP=sk["parallel_ohms"],
            SKIN_CP=sk["parallel_nf"] * 1e-9,
        )
        name = "bip_%d.dat" % code
        ctl = reversal_stimulus(ctx.v33, vdac, period / 2, True) + [
            "tran 20u %g 0 50u" % (period * cycles),
            "wrdata %s i(vmeas) i(vmh)" % name,
        ]
        t = run_deck(make_deck(scen, ctl), (name,))["files"][name]
        ts, il = t["time"], t["i(vmeas)"]
        nets, phases = [], []
        for k in range(1, cycles):  # the first cycle starts from rest
            q = qpos = 0.0
            for j in range(1, len(ts)):
                if k * period <= ts[j - 1] and ts[j] <= (k + 1) * period:
                    dt = ts[j] - ts[j - 1]
                    q += 0.5 * (il[j] + il[j - 1]) * dt
                    qpos += 0.5 * (max(il[j], 0.0) + max(il[j - 1], 0.0)) * dt
            nets.append(q * 1e6)
            phases.append(qpos * 1e6)
        out.append({"code": code, "iset_ua": code * ctx.ua_per_code, "net_uc": nets, "phase_uc": phases})
    return {"runs": out, "period_s": period}


# Polarity reversals (SR-01 at every instant). (name, setpoint uA or None for
# the DAC at full scale, load, DAC to 0 around the gap?, corner, fault overrides)
REVERSALS = [
    (None, 200.0, "skin", True, ("nom", 25.0), {}),
    (None, 500.0, "skin", True, ("nom", 25.0), {}),
    (None, 200.0, 500.0, True, ("nom", 25.0), {}),
    (None, 500.0, 500.0, True, ("nom", 25.0), {}),
    (None, 200.0, 10e3, True, ("nom", 25.0), {}),
    (None, 500.0, 10e3, True, ("nom", 25.0), {}),
    ("DAC at full scale, no DAC-0 step", None, "skin", False, ("nom", 25.0), {}),
    ("DAC at full scale, no DAC-0 step", None, 500.0, False, ("nom", 25.0), {}),
    ("DAC at full scale, no DAC-0 step", None, 10e3, False, ("nom", 25.0), {}),
    ("DAC at full scale, no DAC-0 step", None, "skin", False, ("max", 0.0), {}),
    ("DAC at full scale, no DAC-0 step", None, "skin", False, ("max", 45.0), {}),
    ("stage amplifier output at +rail", None, "skin", False, ("max", 0.0), {"F_U1A": 1}),
    ("limiter amplifier output at -rail (limiter bypassed)", None, "skin", False, ("max", 0.0), {"F_U3": -1}),
    ("enable stuck on", None, "skin", False, ("max", 0.0), {"F_OE": SHORT}),
    ("electrode A to ground through the body (500 ohm)", None, "skin", False, ("max", 0.0), {"F_BODY": 500.0}),
]


def _reversal_run(ctx: Ctx, case) -> dict:
    fault, ua, load, dac0, (kind, temp), over = case
    c = corner(kind, temp)
    temp_c = c.pop("TEMP")
    v33 = ctx.v33 * c.get("K_V33", 1.0)
    code = 255 if ua is None else int(round(ua / ctx.ua_per_code))
    vdac = code * v33 / 255.0
    s = dict(c, VDAC=vdac)
    if load == "skin":
        sk = ctx.board["skin_default"]
        s.update(RLOAD=ABSENT, SKIN_RS=sk["series_ohms"], SKIN_RP=sk["parallel_ohms"], SKIN_CP=sk["parallel_nf"] * 1e-9)
    else:
        s["RLOAD"] = load
    s.update(over)
    half = REV_HALF_S
    name = "rev.dat"
    ctl = reversal_stimulus(v33, vdac, half, dac0) + [
        "tran %g %g 0 %g" % (REV_TMAX_S, 2.5 * half, REV_TMAX_S),
        "wrdata %s i(vmeas) i(vmh) v(ea)" % name,
    ]
    t = run_deck(make_deck(ctx.scen(**s), ctl, temp_c), (name,))["files"][name]
    ts, il, ih = t["time"], t["i(vmeas)"], t["i(vmh)"]
    r_body = over.get("F_BODY")
    # current through the person: the load, plus the body path when it exists
    person = [abs(x) + (abs(v) / r_body if r_body else 0.0) for x, v in zip(il, t["v(ea)"], strict=True)]
    steady = [j for j in range(len(ts)) if half - 1e-3 <= ts[j] < half]
    revs = []
    for tr in (half, 2 * half):
        idx = [j for j in range(1, len(ts)) if tr <= ts[j] <= tr + 2e-3]
        jp = max(idx, key=lambda j: person[j])
        revs.append(
            {
                "peak_ua": person[jp] * 1e6,
                "at_us": (ts[jp] - tr) * 1e6,
                "high_side_peak_ua": max(abs(ih[j]) for j in idx) * 1e6,
            }
        )
    return {
        "fault": fault or "none",
        "iset_ua": None if ua is None else code * ctx.ua_per_code,
        "code": code,
        "load": load,
        "dac_to_zero": dac0,
        "corner": corner_name(kind, temp),
        "steady_ua": max(person[j] for j in steady) * 1e6,
        "peak_ua": max(r["peak_ua"] for r in revs),
        "peak_at_us": max(revs, key=lambda r: r["peak_ua"])["at_us"],
        "high_side_peak_ua": max(r["high_side_peak_ua"] for r in revs),
        "reversals": revs,
    }


def sim_reversals(ctx: Ctx, pool: ThreadPoolExecutor) -> dict:
    """Transient: two polarity reversals (A->B, B->A) after 6 ms phases, the
    legs and DAC switched as Supervisor.apply() does, into the skin model and
    resistors, and with the DAC at full scale under single faults. The peak is
    the largest instantaneous current through the person in the 2 ms after
    each reversal (load current; plus the body path in the body fault)."""
    futs = [pool.submit(_reversal_run, ctx, case) for case in REVERSALS]
    return {"runs": [f.result() for f in futs], "half_s": REV_HALF_S}


def simulate(board: dict | None = None) -> dict:
    board = board or load_board(BOARD_JSON)
    write_params(board)
    ctx = Ctx(board)
    workers = max(2, os.cpu_count() or 2)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        trk = sim_tracking(ctx, pool)
        f_sense = pool.submit(sim_sense_transfer, ctx)
        f_comp = pool.submit(sim_compliance, ctx)
        f_sup = pool.submit(sim_supervision, ctx)
        f_bip = pool.submit(sim_biphasic, ctx)
        rev = sim_reversals(ctx, pool)
        lim = sim_limiter_corners(ctx, pool)
        faults = sim_faults(ctx, pool)
        raw = {
            "tracking": trk,
            "sense": f_sense.result(),
            "compliance": f_comp.result(),
            "supervision": f_sup.result(),
            "biphasic": f_bip.result(),
            "reversals": rev,
            "limiter": lim,
            "faults": faults,
        }
    raw["board"] = {
        "ua_per_code": ctx.ua_per_code,
        "compliance_v": ctx.compliance,
        "sense_mv_per_ua": ctx.mv_per_ua,
        "sense_offset_mv": ctx.a["sense_offset_mv"],
        "vload_gain": ctx.a["vload_gain"],
        "vload_offset_mv": ctx.a["vload_offset_mv"],
        "hw_limit_ua": ctx.a["hw_limit_ua"],
        "hw_limit_max_ua": ctx.a["hw_limit_max_ua"],
        "electrode_area_cm2": board["electrode"]["area_cm2"],
        "usb_threshold_v": ctx.a["usb_threshold_v"],
        "vih_v": ESP32_VIH_FRAC * ctx.v33,
        "vil_v": ESP32_VIL_FRAC * ctx.v33,
    }
    return raw


# ---------------------------------------------------------------------------
# checks on the simulated numbers
# ---------------------------------------------------------------------------
def check_tracking(raw: dict) -> dict:
    """Per load: worst error where the setpoint is reachable (I*R <= compliance),
    and no overshoot anywhere (past compliance the current may only fall short)."""
    b = raw["board"]

    def tol(r):
        return TRACK_TOL_PCT / 100.0 * r["iset_ua"] + TRACK_TOL_UA

    out = []
    for load in TRACK_LOADS:
        rows = [r for run in raw["tracking"]["runs"] if run["load"] == load for r in run["rows"]]
        inside = [r for r in rows if r["iset_ua"] * 1e-6 * load <= b["compliance_v"]]
        worst = max(abs(r["i_ua"] - r["iset_ua"]) for r in inside)
        tracks = all(abs(r["i_ua"] - r["iset_ua"]) <= tol(r) for r in inside)
        no_overshoot = all(r["i_ua"] - r["iset_ua"] <= tol(r) for r in rows)
        out.append(
            {
                "load": load,
                "codes_in_compliance": len({r["code"] for r in inside}),
                "max_err_ua": worst,
                "i_code255_ua": max(r["i_ua"] for r in rows if r["code"] == 255),
                "no_overshoot": no_overshoot,
                "ok": tracks and no_overshoot and len(inside) > 0,
            }
        )
    return {"loads": out, "ok": all(x["ok"] for x in out)}


def check_polarity(raw: dict) -> dict:
    """SR-04: the same magnitude in both polarities, and really opposite signs
    (leg A drives electrode A positive, leg B electrode B)."""
    worst = 0.0
    worst_pct = 0.0
    ok = True
    wrong_sign = 0
    runs = raw["tracking"]["runs"]
    for load in TRACK_LOADS:
        pos = next(r for r in runs if r["load"] == load and r["pol"] > 0)["rows"]
        neg = next(r for r in runs if r["load"] == load and r["pol"] < 0)["rows"]
        for p, n in zip(pos, neg, strict=True):
            if p["code"] > 0 and not (p["i_signed_ua"] > 0 > n["i_signed_ua"]):
                wrong_sign += 1
            d = abs(p["i_ua"] - n["i_ua"])
            worst = max(worst, d)
            if p["i_ua"] > 10:
                worst_pct = max(worst_pct, d / p["i_ua"] * 100)
            if d > POLARITY_TOL_UA + POLARITY_TOL_PCT / 100 * p["i_ua"]:
                ok = False
    return {
        "max_diff_ua": worst,
        "max_diff_pct": worst_pct,
        "wrong_sign": wrong_sign,
        "ok": ok and wrong_sign == 0,
    }


def check_limiter(raw: dict) -> dict:
    b = raw["board"]
    corners = raw["limiter"]["corners"]
    hi = max(c["max_ua"] for c in corners)
    lo = min(c["min_ua"] for c in corners)
    stage_fs = 255 * b["ua_per_code"]
    nominal = next(c for c in corners if c["kind"] == "nom")
    return {
        "max_ua": hi,
        "min_ua": lo,
        "nominal_ua": nominal["min_ua"],
        "stage_full_scale_ua": stage_fs,
        "ok": hi <= b["hw_limit_max_ua"] and lo > stage_fs,
    }


def check_faults(raw: dict) -> dict:
    lim = raw["board"]["hw_limit_max_ua"]
    rows = raw["faults"]["faults"]
    return {
        "faults": rows,
        "max_ua": max(f["max_ua"] for f in rows),
        "ok": all(f["max_ua"] <= lim for f in rows),
    }


def check_reset(raw: dict) -> dict:
    rows = [f for f in raw["faults"]["faults"] if f["fault"].startswith("ESP32 in reset")]
    worst = max(f["max_load_ua"] for f in rows)
    return {"max_load_ua": worst, "ok": worst < RESET_MAX_UA}


def check_sense(raw: dict) -> dict:
    b = raw["board"]
    lo, hi = ADC_LINEAR_MV
    rows = raw["sense"]["rows"]
    worst = 0.0
    ok_map = True
    for r in rows:
        want = b["sense_offset_mv"] + b["sense_mv_per_ua"] * r["i_ua"]
        e = abs(r["vadc_mv"] - want)
        worst = max(worst, e)
        if e > SENSE_TOL_MV + SENSE_TOL_PCT / 100 * want:
            ok_map = False
    # over every operating point of the tracking sweeps as well
    all_mv = [r["vadc_mv"] for r in rows]
    for run in raw["tracking"]["runs"]:
        all_mv += [r["vadc_i_mv"] for r in run["rows"]]
    # and in the fault runs where the sense amplifier itself is healthy
    for f in raw["faults"]["faults"]:
        if "sense amplifier" not in f["fault"]:
            all_mv += f["vadc_i_mv"]
    v0 = rows[0]["vadc_mv"]
    vmax_i = rows[-1]["i_ua"]
    vmax = rows[-1]["vadc_mv"]
    in_range = min(all_mv) >= lo and max(all_mv) <= hi
    return {
        "v_at_0ua_mv": v0,
        "i_top_ua": vmax_i,
        "v_at_top_mv": vmax,
        "min_mv": min(all_mv),
        "max_mv": max(all_mv),
        "max_map_err_mv": worst,
        "ok": ok_map and in_range and v0 >= lo,
    }


def check_vload(raw: dict) -> dict:
    b = raw["board"]
    worst = 0.0
    vmax = 0.0
    for run in raw["tracking"]["runs"]:
        for r in run["rows"]:
            if r["code"] == 0:
                continue  # no current, bridge idle: the reading is not used
            want = b["vload_offset_mv"] + r["vload_v"] * b["vload_gain"] * 1000.0
            worst = max(worst, abs(r["vadc_v_mv"] - want))
            vmax = max(vmax, r["vadc_v_mv"])
    return {"max_err_mv": worst, "max_mv": vmax, "ok": worst <= VLOAD_TOL_MV and vmax <= ADC_LINEAR_MV[1]}


def check_compliance(raw: dict) -> dict:
    pts = raw["compliance"]["points"]
    need = raw["board"]["compliance_v"]
    return {
        "points": pts,
        "min_v": min(p["compliance_v"] for p in pts),
        "ok": all(p["compliance_v"] >= need for p in pts),
    }


def check_supervision(raw: dict) -> dict:
    b = raw["board"]
    usb = {p["v"]: p["usb"] for p in raw["supervision"]["points"] if p["kind"] == "usb"}
    bat = {p["v"]: p["bat"] for p in raw["supervision"]["points"] if p["kind"] == "bat"}
    v5 = usb[5.0]
    ok_usb = usb[0.0] <= b["vil_v"] and v5 >= b["vih_v"] and max(usb.values()) <= 3.6
    lo, hi = ADC_LINEAR_MV
    ok_bat = all(lo <= v * 1000 <= hi for v in bat.values())
    return {"usb": usb, "bat": bat, "ok_usb": ok_usb, "ok_bat": ok_bat, "ok": ok_usb and ok_bat}


def check_charge_balance(raw: dict) -> dict:
    """SR-04: net charge per cycle at most 1 % of the phase charge."""
    worst = 0.0
    for r in raw["biphasic"]["runs"]:
        for net, phase in zip(r["net_uc"], r["phase_uc"], strict=True):
            worst = max(worst, abs(net) / phase * 100.0)
    return {"max_net_pct": worst, "ok": worst <= CHARGE_BALANCE_PCT}


def check_body_diodes(raw: dict) -> dict:
    """The netlist omits the MOSFET body diodes (see models.lib): prove none
    would conduct at any simulated point."""
    vals = [r["body_fwd_v"] for r in raw["tracking"]["runs"]]
    vals.append(raw["sense"]["body_fwd_v"])
    vals += [p["body_fwd_v"] for p in raw["compliance"]["points"]]
    vals += [c["body_fwd_v"] for c in raw["limiter"]["corners"]]
    vals += [f["body_fwd_v"] for f in raw["faults"]["faults"]]
    worst = max(vals)
    return {"max_fwd_v": worst, "points": len(vals), "ok": worst < BODY_FWD_MAX}


def check_reversals(raw: dict) -> dict:
    """SR-01 at every instant: no polarity reversal pushes the current through
    the person above the hardware ceiling; with the firmware's DAC-0 step the
    peak is not above the steady current either (no overshoot at all)."""
    lim = raw["board"]["hw_limit_max_ua"]
    runs = raw["reversals"]["runs"]
    worst = max(r["peak_ua"] for r in runs)
    fw = [r for r in runs if r["dac_to_zero"]]
    over = max(r["peak_ua"] - r["steady_ua"] for r in fw)
    ok_fw = all(r["peak_ua"] <= r["steady_ua"] * (1 + REV_OVERSHOOT_PCT / 100) + REV_OVERSHOOT_UA for r in fw)
    return {"max_peak_ua": worst, "max_fw_overshoot_ua": over, "ok": worst <= lim and ok_fw}


def evaluate(raw: dict) -> dict:
    checks = {
        "tracking": check_tracking(raw),
        "compliance": check_compliance(raw),
        "polarity": check_polarity(raw),
        "limiter": check_limiter(raw),
        "faults": check_faults(raw),
        "reset": check_reset(raw),
        "sense": check_sense(raw),
        "vload": check_vload(raw),
        "supervision": check_supervision(raw),
        "body_diodes": check_body_diodes(raw),
        "charge_balance": check_charge_balance(raw),
        "reversals": check_reversals(raw),
    }
    checks["ok"] = all(c["ok"] for c in checks.values())
    return checks


def run_all(board: dict | None = None) -> tuple[dict, dict]:
    raw = simulate(board)
    return raw, evaluate(raw)


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------
def _pf(ok: bool) -> str:
    return "pass" if ok else "**FAIL**"


def render_table(raw: dict, checks: dict) -> str:
    b = raw["board"]
    lim_max = b["hw_limit_max_ua"]
    L = []
    L.append("Generated by `make hardware-check` (ngspice, %s). Do not edit by hand." % ngspice_version())
    L.append("")
    L.append("| Check | Condition | Result | Limit | |")
    L.append("|---|---|---|---|---|")
    for t in checks["tracking"]["loads"]:
        L.append(
            "| Current tracks setpoint | %s, codes 0..255, both polarities; %d codes within compliance"
            " | max error %.2f µA; %.1f µA at code 255 | ±(%g %% + %g µA), no overshoot | %s |"
            % (
                _ohms(t["load"]),
                t["codes_in_compliance"],
                t["max_err_ua"],
                t["i_code255_ua"],
                TRACK_TOL_PCT,
                TRACK_TOL_UA,
                _pf(t["ok"]),
            )
        )
    for p in checks["compliance"]["points"]:
        L.append(
            "| Compliance voltage | %.0f µA (code %d), load swept 20..70 kΩ | %.2f V | ≥ %.1f V | %s |"
            % (
                p["iset_ua"],
                p["code"],
                p["compliance_v"],
                b["compliance_v"],
                _pf(p["compliance_v"] >= b["compliance_v"]),
            )
        )
    pol = checks["polarity"]
    L.append(
        "| SR-04 both polarities equal | 4 loads × 256 codes, bridge legs mismatched (ΔVth 0.3 V) "
        "| max ∣I₊−I₋∣ %.3f µA (%.3f %%) | %g µA + %g %% | %s |"
        % (pol["max_diff_ua"], pol["max_diff_pct"], POLARITY_TOL_UA, POLARITY_TOL_PCT, _pf(pol["ok"]))
    )
    for c in raw["limiter"]["corners"]:
        L.append(
            "| SR-01 hardware limiter | stage amplifier railed, %s, loads 500 Ω..10 kΩ | %.1f .."
            " %.1f µA | ≤ %d µA | %s |" % (c["corner"], c["min_ua"], c["max_ua"], lim_max, _pf(c["max_ua"] <= lim_max))
        )
    lim = checks["limiter"]
    L.append(
        "| Limiter leaves normal range free | lowest limiter corner vs stage full scale | %.1f µA >"
        " %.1f µA | > full scale | %s |"
        % (lim["min_ua"], lim["stage_full_scale_ua"], _pf(lim["min_ua"] > lim["stage_full_scale_ua"]))
    )
    for f in checks["faults"]["faults"]:
        L.append(
            "| SR-01 single fault, DAC full scale | %s; 4 loads, both polarities, worst at %s | %.1f"
            " µA (load %.1f µA) | ≤ %d µA | %s |"
            % (
                f["fault"],
                f["worst_corner"],
                f["max_ua"],
                f["max_load_ua"],
                lim_max,
                _pf(f["max_ua"] <= lim_max),
            )
        )
    s = checks["sense"]
    L.append(
        "| Sense amplifier transfer | 0..%.0f µA vs %g mV + %g mV/µA | %.1f mV at 0 µA, %.1f mV at"
        " %.0f µA, max error %.2f mV "
        "| ±(%g mV + %g %%) | %s |"
        % (
            s["i_top_ua"],
            b["sense_offset_mv"],
            b["sense_mv_per_ua"],
            s["v_at_0ua_mv"],
            s["v_at_top_mv"],
            s["i_top_ua"],
            s["max_map_err_mv"],
            SENSE_TOL_MV,
            SENSE_TOL_PCT,
            _pf(s["ok"]),
        )
    )
    L.append(
        "| Sense output in ADC linear range | every simulated point (sweeps and faults with a"
        " healthy sense amp) "
        "| %.1f .. %.1f mV | %g .. %g mV | %s |"
        % (
            s["min_mv"],
            s["max_mv"],
            ADC_LINEAR_MV[0],
            ADC_LINEAR_MV[1],
            _pf(ADC_LINEAR_MV[0] <= s["min_mv"] and s["max_mv"] <= ADC_LINEAR_MV[1]),
        )
    )
    v = checks["vload"]
    L.append(
        "| Load-voltage sense (GPIO39) | all tracking points vs %g mV + %g·∣V_load∣ | max error %.2f"
        " mV, max %.0f mV | ±%g mV, ≤ %g mV | %s |"
        % (
            b["vload_offset_mv"],
            b["vload_gain"],
            v["max_err_mv"],
            v["max_mv"],
            VLOAD_TOL_MV,
            ADC_LINEAR_MV[1],
            _pf(v["ok"]),
        )
    )
    sup = checks["supervision"]
    u = sup["usb"]
    L.append(
        "| USB sense (GPIO35) | VBUS 0 / %.1f / 5.0 / 5.25 V | %.2f / %.2f / %.2f / %.2f V | low ≤"
        " %.3f V, high ≥ %.3f V, ≤ 3.6 V | %s |"
        % (
            b["usb_threshold_v"],
            u[0.0],
            u[b["usb_threshold_v"]],
            u[5.0],
            u[5.25],
            b["vil_v"],
            b["vih_v"],
            _pf(sup["ok_usb"]),
        )
    )
    bat = sup["bat"]
    L.append(
        "| Battery sense (GPIO34) | cell %s V | %s V | %g .. %g mV | %s |"
        % (
            " / ".join("%.2f" % k for k in bat),
            " / ".join("%.3f" % bat[k] for k in bat),
            ADC_LINEAR_MV[0],
            ADC_LINEAR_MV[1],
            _pf(sup["ok_bat"]),
        )
    )
    for r in raw["biphasic"]["runs"]:
        worst = max(abs(n) / p * 100 for n, p in zip(r["net_uc"], r["phase_uc"], strict=True))
        L.append(
            "| SR-04 net charge per cycle | %.0f µA, 10 Hz square biphasic, skin model of board.json, "
            "20 µs dead time (transient) | phase %.2f µC, net ≤ %.4f µC (%.3f %%) | ≤ %g %% | %s |"
            % (
                r["iset_ua"],
                min(r["phase_uc"]),
                max(abs(n) for n in r["net_uc"]),
                worst,
                CHARGE_BALANCE_PCT,
                _pf(worst <= CHARGE_BALANCE_PCT),
            )
        )
    for r in raw["reversals"]["runs"]:
        load = "skin model" if r["load"] == "skin" else _ohms(r["load"])
        if r["dac_to_zero"]:
            cond = "%.0f µA, %s, firmware sequence (DAC 0 around the 20 µs gap)" % (r["iset_ua"], load)
            limit = "≤ steady + 1 %%, ≤ %d µA" % lim_max
            ok = r["peak_ua"] <= min(lim_max, r["steady_ua"] * (1 + REV_OVERSHOOT_PCT / 100) + REV_OVERSHOOT_UA)
        else:
            cond = "%s, %s, %s" % (r["fault"], load, r["corner"])
            limit = "≤ %d µA" % lim_max
            ok = r["peak_ua"] <= lim_max
        L.append(
            "| SR-01 polarity reversal (transient) | %s | peak %.1f µA (steady %.1f µA) | %s | %s |"
            % (cond, r["peak_ua"], r["steady_ua"], limit, _pf(ok))
        )
    bd = checks["body_diodes"]
    L.append(
        "| Unblocked MOSFET body diodes stay off | XMLIM, XMOE, Q1, XDA/XDB at every DC point (the bridge's"
        " and XMD's are in series with an opposed diode) "
        "| max forward %.3f V | < %g V | %s |" % (bd["max_fwd_v"], BODY_FWD_MAX, _pf(bd["ok"]))
    )
    area = b["electrode_area_cm2"]
    worst = checks["faults"]["max_ua"]
    L.append("")
    L.append(
        "Current density at the %g cm² electrodes: %.3f mA/cm² at the firmware ceiling (500 µA), "
        "%.3f mA/cm² at the worst simulated single fault (%.1f µA), steady state; %.3f mA/cm² at the "
        "largest instant of any simulated polarity reversal (%.1f µA)."
        % (
            area,
            0.5 / area,
            worst / 1000.0 / area,
            worst,
            checks["reversals"]["max_peak_ua"] / 1000.0 / area,
            checks["reversals"]["max_peak_ua"],
        )
    )
    L.append("")
    L.append("Overall: %s" % ("PASS" if checks["ok"] else "FAIL"))
    return "\n".join(L)


def _ohms(r: float) -> str:
    return "%g kΩ" % (r / 1000) if r >= 1000 else "%g Ω" % r


def ngspice_version() -> str:
    try:
        out = subprocess.run([ngspice_path(), "-v"], capture_output=True, text=True, timeout=30).stdout
    except (CheckError, OSError, subprocess.SubprocessError):
        return "unknown version"
    m = re.search(r"ngspice-(\S+)", out)
    return "ngspice-" + m.group(1) if m else "unknown version"


def write_readme_table(table: str, path: Path = README) -> None:
    text = path.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise CheckError("%s has no %s / %s markers" % (path, BEGIN, END))
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    path.write_text(head + BEGIN + "\n" + table + "\n" + END + tail, encoding="utf-8")


def report(checks: dict) -> str:
    lines = []
    for name in (
        "tracking",
        "compliance",
        "polarity",
        "limiter",
        "faults",
        "reset",
        "sense",
        "vload",
        "supervision",
        "body_diodes",
        "charge_balance",
        "reversals",
    ):
        lines.append("%-12s %s" % (name, "ok" if checks[name]["ok"] else "FAIL"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", metavar="PATH", help="write the raw numbers and the check results as JSON")
    ap.add_argument("--no-readme", action="store_true", help="do not rewrite the table in hardware/README.md")
    args = ap.parse_args(argv)
    try:
        raw, checks = run_all()
    except CheckError as e:
        print("hardware-check: %s" % e, file=sys.stderr)
        return 2
    table = render_table(raw, checks)
    print(table)
    print()
    print(report(checks))
    if not args.no_readme:
        write_readme_table(table)
        print("results table written to %s" % README.relative_to(ROOT))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"raw": raw, "checks": checks}, f, indent=1, default=_json_default)
    return 0 if checks["ok"] else 1


def _json_default(o):
    if isinstance(o, float) and not math.isfinite(o):
        return None
    raise TypeError(type(o))


if __name__ == "__main__":
    sys.exit(main())
