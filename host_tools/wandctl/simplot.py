"""Plot a simulated session: load current against time, states shaded."""

from __future__ import annotations

from pathlib import Path

STATE_COLOURS = {
    "ramp_up": "#b7e4c7",
    "running": "#d8f3dc",
    "no_contact": "#ffd6a5",
    "hold": "#e0e0e0",
    "ramp_down": "#bde0fe",
    "done": "#f1f1f1",
    "fault": "#ffadad",
}


def plot(res, path: Path, title: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from wandctl.simrun import state_spans

    t = [s[0] / 1000.0 for s in res.samples]
    ua = [s[1] for s in res.samples]
    fig, ax = plt.subplots(figsize=(12, 4.5), dpi=110)
    seen = set()
    for a, b, st in state_spans(res):
        colour = STATE_COLOURS.get(st)
        if colour:
            ax.axvspan(a / 1000.0, b / 1000.0, color=colour, lw=0,
                       label=st.replace("_", " ") if st not in seen else None)
            seen.add(st)
    ax.plot(t, ua, lw=0.6, color="#1d3557", label="load current")
    for tm, kind, _ in res.events:
        if kind == "cue":
            ax.axvline(tm / 1000.0, color="#457b9d", lw=0.3, alpha=0.5)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("current into the load (µA)")
    ax.set_title(title or "simulated session")
    ax.axhline(0, color="black", lw=0.5)
    ax.legend(loc="upper right", fontsize=8, ncol=4)
    ax.margins(x=0.01)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
