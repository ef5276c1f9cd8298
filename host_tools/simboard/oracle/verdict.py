"""The whole verdict on a trace: runs every clause (SR-01, SR-02, SR-04..SR-10,
SR-12) over one shared view and gathers their figures and violations.
"""

from __future__ import annotations

from simboard.oracle.charge_balance import sr04
from simboard.oracle.contact_and_session import sr06, sr07
from simboard.oracle.current_limits import sr01, sr05
from simboard.oracle.cycles import _close_open_phase
from simboard.oracle.flash_and_latch import sr10, sr12
from simboard.oracle.sensor_usb_watchdog import sr02, sr08, sr09
from simboard.oracle.spans import sessions
from simboard.oracle.trace import Trace
from simboard.oracle.view import _View


def judge(tr: Trace) -> dict:
    tr.actions = sorted(tr.actions, key=lambda a: a[0])  # a script may list them in any order
    _close_open_phase(tr)
    v = _View(tr)
    sess = sessions(v)
    out: dict = {}
    bad: list = []
    for name, fn in (("SR-01", sr01), ("SR-02", sr02), ("SR-05", sr05), ("SR-06", sr06), ("SR-08", sr08),
                     ("SR-09", sr09), ("SR-10", sr10), ("SR-12", sr12)):
        c, b = fn(v)
        out[name] = c
        bad += b
    c, b = sr04(v, sess)
    out["SR-04"] = c
    bad += b
    c, b = sr07(v, sess)
    out["SR-07"] = c
    bad += b
    for s in sess:
        if not s["ended_by"]:
            bad.append("sessions: the session started at %d ms ended without a name" % s["start"])
    out["sessions"] = sess
    out["limit_ua"] = v.limit
    out["effective_settings"] = v.eff
    out["violations"] = bad
    out["ok"] = not bad
    return dict(sorted(out.items()))


def violation_classes(verdict) -> list:
    """The SR IDs that failed, e.g. ['SR-01', 'SR-06']."""
    return sorted({b.split(":", 1)[0] for b in verdict["violations"]})
