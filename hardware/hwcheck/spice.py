"""The ngspice runner: decks, batch runs, their output, and operating points.

A deck is the netlist (hardware/netlist/microwand.cir) with the scenario's
parameters and a .control block. `run_deck` runs one in ngspice's batch mode
in a temporary directory, fails on any ngspice error or non-convergence, and
returns the `RES key=value` lines the deck echoed and the tables it wrote
(`wrdata`).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

from wandctl.tools import ToolNotFound, find_tool

from .errors import CheckError
from .limits import BODY_FWD_MAX
from .paths import NET, PARAMS_INC

DC_EQ_TOL = 5e-4  # volts across an op-amp pole resistor: 0.5 mV from equilibrium (< 0.5 uA effect)


def ngspice_path() -> str:
    try:
        return find_tool("ngspice")
    except ToolNotFound as e:
        raise CheckError(str(e)) from None


def ngspice_version() -> str:
    try:
        out = subprocess.run([ngspice_path(), "-v"], capture_output=True, text=True, timeout=30).stdout
    except (CheckError, OSError, subprocess.SubprocessError):
        return "unknown version"
    m = re.search(r"ngspice-(\S+)", out)
    return "ngspice-" + m.group(1) if m else "unknown version"


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
def legs(pol: int, v33: float) -> list[str]:
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
    out = ["alter rload %g" % rl, *legs(pol, v33)]
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


def run_ops(scen: dict, loads, pols, v33: float, boost_v: float, temp_c: float, tag: str = "x") -> list[dict]:
    """Operating points of one scenario over loads x polarities, each checked
    for a true DC equilibrium (solved again by powering up when it is not)."""
    out = run_deck(make_deck(scen, op_loop(tag, loads, pols, v33), temp_c))
    rows = out["res"]
    if len(rows) != len(loads) * len(pols):
        raise CheckError("expected %d operating points, got %d" % (len(loads) * len(pols), len(rows)))
    vb = scen["BOOST_V"] if "BOOST_V" in scen else boost_v
    for i, r in enumerate(rows):
        # a false solution: an op-amp not at equilibrium, or a floating node
        # (output disconnected) parked on a forward-biased body diode; solve
        # again by powering the boost up from 0 V, as on the bench
        if r["dq"] > DC_EQ_TOL or max(r["bd%d" % k] for k in range(1, N_BODY + 1)) >= BODY_FWD_MAX:
            ctl = op_point(tag, r["rl"], int(r["pol"]), v33, vb * scen.get("K_VB", 1.0))
            again = run_deck(make_deck(scen, ctl, temp_c))["res"]
            if len(again) != 1 or again[0]["dq"] > DC_EQ_TOL:
                raise CheckError("ngspice found no DC equilibrium for %s" % r)
            rows[i] = r = again[0]
            r["powerup"] = 1
        r["i_ua"] = abs(r["iload"]) * 1e6
        r["ihigh_ua"] = r["ihigh"] * 1e6
        r["body_fwd_v"] = max(r["bd%d" % i] for i in range(1, N_BODY + 1))
    return rows
