"""The console's `set NAME VALUE`, for wand.diag: imported for one call and
dropped. Validated against the same limits as at load (SR-10). (The console's
part of the settings lives here, not in wand.settings, which a session holds.)"""

from wand import session as ses
from wand.safety import HARD_CEILING_UA
from wand.settings import BOOL_FIELDS, INT_FIELDS, SettingsError, validate_field

# Settings the user may change from the console (calibration only via `calibrate`).
USER_NAMES = ("program", "level", "session_min", "cue_s", "user_max_ua", "idle_off_s", "mute")


def parse_value(name, text):
    """Convert console text to a typed value for name (then validate it)."""
    if name in BOOL_FIELDS:
        t = text.lower()
        if t in ("1", "on", "true", "yes"):
            return validate_field(name, True)
        if t in ("0", "off", "false", "no"):
            return validate_field(name, False)
        raise SettingsError("%s must be on or off" % name)
    if name in INT_FIELDS:
        try:
            return int(text)
        except ValueError:
            raise SettingsError("%s must be a whole number" % name)
    return validate_field(name, text)


def settings_set(app, name, value_str):
    if name not in USER_NAMES:
        if name in app.settings.values:
            return "%s is set by `calibrate`, not by hand" % name
        return "unknown setting " + name
    if app.session.active():
        return "stop the session before changing settings"
    try:
        value = parse_value(name, value_str)
    except SettingsError as e:
        return str(e)
    if name == "user_max_ua" and isinstance(value, int) and value > HARD_CEILING_UA:
        return "denied: %d uA is above the hard ceiling of %d uA" % (value, HARD_CEILING_UA)
    if name == "session_min" and isinstance(value, int) and value > ses.MAX_SESSION_MIN:
        return "denied: sessions are limited to %d minutes" % ses.MAX_SESSION_MIN
    try:
        app.settings.set(name, value)
    except SettingsError as e:
        return str(e)
    except OSError:
        return "could not write the settings"
    app.apply_settings()
    app.log_event(app.now, "setting", name, value)
    return None
