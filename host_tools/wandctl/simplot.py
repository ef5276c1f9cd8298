"""Plot a simulated session: what the skin got, and when.

At 0.5 Hz five minutes of square wave is a solid band, so the plot draws:
- the waveform itself, light, behind;
- its envelope (the peak current of each half period, both signs) and its
  r.m.s. over a sliding window, dark, so ramps, level steps, a lift and the
  timed end can be read;
- the session states as shaded spans (ramp up, running, no contact, paused,
  ramp down, done, fault) and the "move the wand" cues as ticks along the top;
- a zoom panel on the first ramp up, where single phases can be seen;
- the legend below the axes, never on the data; the time axis ends with the
  session (a few seconds after `done`), not with the simulation's tail.
"""

from __future__ import annotations

import math
from pathlib import Path

STATE_COLOURS = {
    "ramp_up": "#74c69d",
    "running": "#d8f3dc",
    "no_contact": "#ffb703",
    "hold": "#bdbdbd",
    "ramp_down": "#8ecae6",
    "done": "#6c757d",
    "fault": "#e63946",
}
STATE_ALPHA = {"done": 0.35, "fault": 0.45, "no_contact": 0.55, "ramp_up": 0.45, "ramp_down": 0.6}
STATE_WORDS = {"ramp_up": "ramp up", "running": "running", "no_contact": "no contact (lifted)", "hold": "paused",
               "ramp_down": "ramp down", "done": "done (session over)", "fault": "fault"}
WAVE = "#9db4c0"
ENVELOPE = "#1d3557"
RMS = "#e76f51"
CUE = "#6a4c93"


def envelope(t_s: list[float], ua: list[float], hold_s: float) -> tuple[list[float], list[float], list[float]]:
    """The peak of each phase, held until the next phase of the same sign (at most `hold_s`):
    a staircase per polarity that neither leads nor smears the ramps. Returns (t, positive, negative)
    sampled at every phase boundary, for a `where="post"` step plot."""
    blocks = []  # (start, end, sign, peak |uA|)
    start, sign, peak = None, 0, 0.0
    for t, v in zip(t_s, ua, strict=True):
        sg = 1 if v > 0.5 else -1 if v < -0.5 else 0
        if sg != sign:
            if sign != 0 and start is not None:
                blocks.append((start, t, sign, peak))
            start, sign, peak = t, sg, 0.0
        if sg:
            peak = max(peak, abs(v))
    if sign != 0 and start is not None and t_s:
        blocks.append((start, t_s[-1], sign, peak))
    points: dict[float, list[float]] = {}

    def series(sg: int) -> list[tuple[float, float]]:
        mine = [b for b in blocks if b[2] == sg]
        out = []
        for i, (b0, b1, _, pk) in enumerate(mine):
            out.append((b0, pk))
            if i + 1 < len(mine):
                if mine[i + 1][0] - b1 > hold_s:  # nothing of this sign for a while: the envelope drops
                    out.append((b1 + hold_s, 0.0))
            elif b1 + hold_s <= t_s[-1]:  # the last phase of this sign: the envelope drops (the timed end)
                out.append((b1 + hold_s, 0.0))
        return out

    for sg, col in ((1, 0), (-1, 1)):
        for tt, pk in series(sg):
            points.setdefault(tt, [None, None])[col] = pk * sg  # type: ignore[index]
    ts = sorted(points)
    hi, lo = [], []
    last_hi, last_lo = 0.0, 0.0
    for tt in ts:
        h, lw = points[tt]
        last_hi = last_hi if h is None else h
        last_lo = last_lo if lw is None else lw
        hi.append(last_hi)
        lo.append(last_lo)
    if t_s:
        ts = [t_s[0]] + ts + [t_s[-1]]
        hi = [0.0] + hi + [hi[-1] if hi else 0.0]
        lo = [0.0] + lo + [lo[-1] if lo else 0.0]
    return ts, hi, lo


def rms(t_s: list[float], ua: list[float], window_s: float) -> tuple[list[float], list[float]]:
    """Sliding r.m.s. over `window_s` (a whole number of periods smooths the square wave)."""
    out_t, out_v = [], []
    acc = 0.0
    j = 0
    for i, (t, v) in enumerate(zip(t_s, ua, strict=True)):
        acc += v * v
        while t - t_s[j] > window_s:
            acc -= ua[j] * ua[j]
            j += 1
        n = i - j + 1
        out_t.append(t)
        out_v.append(math.sqrt(max(acc, 0.0) / n))
    return out_t, out_v


def _cycle_s(res) -> float:
    """One full cycle of the program (both polarities), from the firmware's own table."""
    try:
        from simboard import simrun

        simrun._firmware_settings()
        from wand import programs

        name = next((e[2][0] for e in res.events if e[1] == "session_start" and e[2]), None)
        prog = programs.find(name) if name else None
        if prog:
            return max(0.02, 2 * prog[1] / 1000.0)  # (name, half_ms, period_ms, on_ms)
    except Exception:  # noqa: BLE001 - a plotting detail: fall back to two seconds
        pass
    return 2.0


def session_end_s(res, spans) -> float:
    """Where the time axis ends: a few seconds after the last active state ends."""
    last = max((b for a, b, st in spans if st not in ("idle",)), default=None)
    end_all = res.samples[-1][0] / 1000.0 if res.samples else 1.0
    if last is None:
        return end_all
    return min(end_all, last / 1000.0 + 3.0)


def plot(res, path: Path, title: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from simboard.simrun import state_spans

    spans = list(state_spans(res))
    t = [s[0] / 1000.0 for s in res.samples]
    ua = [s[1] for s in res.samples]
    cycle = _cycle_s(res)
    half = cycle / 2
    et, ehi, elo = envelope(t, ua, cycle * 1.05)
    rt, rv = rms(t, ua, max(2 * cycle, 0.2))
    x_end = session_end_s(res, spans)

    fig = plt.figure(figsize=(13, 5.2), dpi=110)
    grid = fig.add_gridspec(1, 2, width_ratios=[3.2, 1], wspace=0.18, left=0.06, right=0.985, top=0.9,
                            bottom=0.27)
    ax = fig.add_subplot(grid[0, 0])
    zoom = fig.add_subplot(grid[0, 1])
    seen: set = set()
    for a, b, st in spans:
        colour = STATE_COLOURS.get(st)
        if colour:
            for axis in (ax, zoom):
                axis.axvspan(a / 1000.0, b / 1000.0, color=colour, alpha=STATE_ALPHA.get(st, 0.5), lw=0)
            seen.add(st)
    ax.plot(t, ua, lw=0.5, color=WAVE, zorder=2)
    ax.step(et, ehi, where="post", lw=1.4, color=ENVELOPE, zorder=3)
    ax.step(et, elo, where="post", lw=1.4, color=ENVELOPE, zorder=3)
    zoom.plot(t, ua, lw=1.1, color=ENVELOPE, zorder=3)  # close up, the phases themselves
    for axis in (ax, zoom):
        axis.plot(rt, rv, lw=1.2, color=RMS, ls="--", zorder=4)
        axis.axhline(0, color="black", lw=0.5, zorder=1)
    cues = [tm / 1000.0 for tm, kind, _ in res.events if kind == "cue"]
    if cues:
        top = max([abs(v) for v in ua] + [10.0]) * 1.12
        ax.plot(cues, [top] * len(cues), ls="none", marker="v", ms=5, color=CUE, zorder=5, clip_on=False)
    peak = max([abs(v) for v in ua] + [10.0])
    ax.set_ylim(-peak * 1.2, peak * 1.25)
    ax.set_xlim(0, x_end)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("current into the load (µA)")
    ax.set_title(title or "simulated session", fontsize=11)

    ramp = next(((a, b) for a, b, st in spans if st == "ramp_up"), None)
    if ramp:
        z0 = max(0.0, ramp[0] / 1000.0 - 0.5)
        z1 = min(x_end, ramp[1] / 1000.0 + max(2.0, 4 * half))
        zoom.set_xlim(z0, z1)
        inside = [abs(v) for tt, v in zip(t, ua, strict=True) if z0 <= tt <= z1] or [10.0]
        zpk = max(inside + [10.0])
        zoom.set_ylim(-zpk * 1.2, zpk * 1.2)
        zoom.set_title("zoom: the first ramp up, %.1f..%.1f s" % (z0, z1), fontsize=10)
        ax.axvspan(z0, z1, ymin=0.0, ymax=0.03, color="black", alpha=0.8, lw=0)
    else:
        zoom.set_title("zoom: no ramp up in this run", fontsize=10)
    zoom.set_xlabel("time (s)")

    handles = [Line2D([], [], color=WAVE, lw=1.5, label="load current (each phase)"),
               Line2D([], [], color=ENVELOPE, lw=1.8, label="envelope: the peak of each phase (zoom: the current)"),
               Line2D([], [], color=RMS, lw=1.4, ls="--", label="r.m.s. over the last two cycles")]
    if cues:
        handles.append(Line2D([], [], color=CUE, marker="v", ls="none",
                              label="cue: the wand beeps to be moved (%d)" % len(cues)))
    if ramp:
        handles.append(Patch(color="black", alpha=0.8, label="span shown in the zoom"))
    handles += [Patch(color=STATE_COLOURS[st], alpha=STATE_ALPHA.get(st, 0.5), label=STATE_WORDS[st])
                for st in STATE_COLOURS if st in seen]
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=8.5, frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    from wandctl.argcheck import make_parent
    from wandctl.errors import WandctlError

    make_parent(path, "--plot")
    try:
        fig.savefig(path)
    except OSError as e:
        raise WandctlError("--plot %s: cannot write it: %s" % (path, e.strerror or e)) from None
    finally:
        plt.close(fig)
