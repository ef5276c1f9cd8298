"""The console's `set NAME VALUE`, for wand.diag: imported for one call and
dropped. Validated against the same limits as at load (SR-10)."""

from wand import session as ses
from wand.safety import HARD_CEILING_UA
from wand.settings import USER_NAMES, SettingsError, parse_value


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
