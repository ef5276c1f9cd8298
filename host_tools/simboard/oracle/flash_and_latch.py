"""Judges what must survive and what must stay latched: SR-10 (the settings
file and the event log are intact after every power cut) and SR-12 (no
current after a fault until a deliberate act).
"""

from __future__ import annotations

import json

from simboard.oracle.spans import bench_spans
from simboard.oracle.trace import _clause, _firmware
from simboard.oracle.view import _View


def _settings_ok(raw, written):
    """The firmware's settings file is valid JSON with valid fields, unless it
    is byte for byte one the scenario itself put there."""
    settings, _, _ = _firmware()
    if raw is None or raw in written:
        return True
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    if not isinstance(data, dict):
        return False
    try:
        for k, val in data.items():
            settings.validate_field(k, val)
    except settings.SettingsError:
        return False
    return True


def _log_ok(files):
    """Every log line the firmware wrote parses; sequence numbers never repeat."""
    _firmware()
    from wand import eventlog

    seqs = []
    for name in eventlog.FILES:
        raw = files.get(name)
        if raw is None:
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return False
        lines = [ln for ln in text.split("\n") if ln]
        recs = [eventlog.parse_line(ln) for ln in lines]
        # a cut may lose the line being written, never corrupt an earlier one
        if any(r is None for r in recs[:-1]):
            return False
        seqs += [r["seq"] for r in recs if r is not None]
    return len(seqs) == len(set(seqs))


def sr10(v: _View):
    tr = v.tr
    bad = []
    snaps = list(tr.cut_files) + [(tr.end_ms, tr.files)]
    n = 0
    from simboard import script

    hostile_log = {a[0] for t, act, a in tr.actions if act == "file" and a and a[0].startswith("log")}
    written = {script.file_bytes(a) for t, act, a in tr.actions if act == "file" and a[0] == "settings.json"}
    if tr.settings_bytes is not None:
        written.add(tr.settings_bytes)
    for t, files in snaps:
        n += 1
        if not _settings_ok(files.get("settings.json"), written):
            bad.append("SR-10: settings.json unreadable or invalid after the cut at %d ms" % t)
        if not hostile_log and not _log_ok(files):
            bad.append("SR-10: the event log is broken after the cut at %d ms" % t)
    return _clause(not bad, n, snapshots=n), bad


def sr12(v: _View):
    """After a fault (or a watchdog reset) no current until a deliberate act:
    a long press of power, a power cycle, or `clear` on the console in bench mode."""
    tr = v.tr
    bad = []
    n = 0
    acts = []
    for t, act, args in tr.actions:
        if act == "press" and args and args[0] == "power" and len(args) > 1 and float(args[1]) >= 1.4:
            acts.append(t)
        elif act == "hold" and args and args[0] == "power":
            acts.append(t)
        elif act in ("power_cut", "power_on"):
            acts.append(t)
    # and the console's `clear` typed in bench mode the user asked for (docs/console.md; a calibration right after
    # it read as current with no deliberate act: fuzz round 68)
    asked = [(a, b) for a, b, why in bench_spans(tr) if why is None]
    acts += [t for t, act, args in tr.actions if act == "line" and tuple(args[:1]) == ("clear",)
             and any(a <= t < b for a, b in asked)]
    acts.sort()
    relatched = 0
    for f in v.faults:
        n += 1
        clear = next((a for a in acts if a >= f), tr.end_ms)
        flow = next((s[0] for s in tr.samples if f + 30 <= s[0] < clear and abs(s[1]) >= 0.5), None)
        if flow is not None:
            bad.append("SR-12: current at %d ms after the fault at %d ms, with no deliberate act" % (flow, f))
        resets = [c for t, c in tr.resets if f < t < clear]
        relatched += len(resets)
    return _clause(not bad, n, faults=n, resets_after_fault=relatched), bad
