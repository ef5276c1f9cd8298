"""The console's `selftest` (output-off checks), for wand.diag: imported for
one call and dropped."""

from wand import faults
from wand.safety import HARD_CEILING_UA


def selftest(app):
    """Output-off checks; refuses while a session runs."""
    if app.session.active() or app.calibrating is not None:
        # (its output_off() cut a calibration at 300 uA, which the next tick wrote again: a review)
        return [["session", False, "stop the session (or wait for the calibration) first"]]
    b = app.board
    app.output_off()
    out = []
    i_uv = b.read_current_uv()
    ua = app.cal.sense_ua(i_uv)
    out.append(["sense_path", i_uv > 100000, "%d mV (zero current reads about %d mV)"
                % (i_uv // 1000, app.cal.sense_offset_uv // 1000)])
    out.append(["sense_zero", -15 <= ua <= 15, "%d uA with the output off" % ua])
    v_mv = app.cal.vload_mv(b.read_vload_uv())
    out.append(["load_sense_zero", v_mv < 500, "%d mV across the probes" % v_mv])
    bat = b.read_battery_uv() // app.power.uv_per_mv
    out.append(["battery", app.power.usb or 3000 <= bat <= 4400, "%d mV" % bat])
    out.append(["dac_off", b.dac_code() == 0, "code %d" % b.dac_code()])
    out.append(["watchdog", b.watchdog_armed(), "armed" if b.watchdog_armed() else "not armed"])
    out.append(["ceiling", app.sup.limit_ua <= HARD_CEILING_UA, "limit %d uA" % app.sup.limit_ua])
    probs = app.settings.problems
    out.append(["settings", not probs, "valid" if not probs else "repaired: " + ",".join(probs)])
    out.append(["fault", not app.sup.fault, faults.name(app.sup.fault)])
    return out
