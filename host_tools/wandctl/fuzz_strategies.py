"""The space wandctl fuzz searches: the Hypothesis strategy of scenarios (settings and calibrations the
validator accepts, hostile settings and log files, loads, injections, stalls, flapping inputs, resets and
power cuts, at any instant)."""

from __future__ import annotations

import json

from wandctl.fuzz_judge import Scenario, sim_paths


def strategies():
    """The Hypothesis strategy of scenarios."""
    sim_paths()
    from hypothesis import strategies as st

    from simboard import oracle

    settings, _board, programs = oracle._firmware()

    INT = settings.INT_FIELDS

    def rng_field(name):
        _, lo, hi = INT[name]
        return st.one_of(st.sampled_from([lo, hi, INT[name][0]]), st.integers(lo, hi))

    @st.composite
    def valid_settings(draw):
        d = {}
        if draw(st.booleans()):
            d["program"] = draw(st.sampled_from(programs.names()))
        for name in ("level", "session_min", "cue_s", "user_max_ua", "idle_off_s"):
            if draw(st.integers(0, 3)):
                d[name] = draw(rng_field(name))
        if draw(st.booleans()):
            d["mute"] = draw(st.booleans())
        cal = draw(st.integers(0, 3))
        if cal == 1:  # every calibration the validator accepts, field by field
            for name in ("cal_gain_na", "cal_offset_na", "cal_sense_offset_uv", "cal_sense_uv_per_ua"):
                if draw(st.booleans()):
                    d[name] = draw(rng_field(name))
            if "cal_sense_offset_uv" in d and draw(st.booleans()):
                # most of the range is refused at boot (the idle sense must read within 4 uA
                # by it); offsets around that edge, which run
                d["cal_sense_offset_uv"] = INT["cal_sense_offset_uv"][0] + draw(st.integers(-18000, 18000))
        elif cal == 2:  # a calibration made against a resistor of the wrong value
            f = draw(st.integers(80, 120))
            d["cal_gain_na"] = max(INT["cal_gain_na"][1], min(INT["cal_gain_na"][2], INT["cal_gain_na"][0] * f // 100))
            d["cal_sense_uv_per_ua"] = max(INT["cal_sense_uv_per_ua"][1],
                                           min(INT["cal_sense_uv_per_ua"][2],
                                               INT["cal_sense_uv_per_ua"][0] * f // 100))
        return json.dumps(d).encode()

    junk = st.one_of(st.none(), st.booleans(), st.floats(allow_nan=True), st.text(max_size=8),
                     st.integers(-10**30, 10**30), st.lists(st.integers(), max_size=3))

    @st.composite
    def hostile_settings(draw):
        kind = draw(st.integers(0, 4))
        if kind == 0:
            return draw(st.binary(max_size=200))
        if kind == 1:
            n = draw(st.integers(10, 5000))
            return ("[" * n + "]" * n).encode() if draw(st.booleans()) else ('{"a":' * n + "1" + "}" * n).encode()
        if kind == 2:
            name = draw(st.sampled_from(list(settings.NAMES) + ["bogus"]))
            return json.dumps({name: draw(junk)}).encode()
        if kind == 3:
            return b'{"level": 3, "pad": "' + b"x" * draw(st.integers(1000, 60000)) + b'"}'
        return draw(valid_settings())[: draw(st.integers(0, 40))]  # a torn file

    def t_s(draw, lo, hi):
        # millisecond resolution: anywhere inside a 5 or 10 ms control tick
        return draw(st.integers(int(lo * 1000), int(hi * 1000))) / 1000.0

    @st.composite
    def event(draw, seconds, lo=0.0):
        k = draw(st.sampled_from(("press", "press", "press", "contact", "load", "slide", "inject", "inject",
                                  "usb", "stall", "stalls", "reset", "flap", "file", "console", "held_reset")))
        t = t_s(draw, lo, seconds)
        if k == "press":
            b = draw(st.sampled_from(("power", "level")))
            hold = draw(st.sampled_from((0.05, 0.15, 0.3, 0.9, 1.7, 2.5)))
            return ["%.3f press %s %g" % (t, b, hold)]
        if k == "contact":
            d = draw(st.sampled_from((0.03, 0.08, 0.3, 1.0, 3.0, 12.0)))
            return ["%.3f contact off" % t, "%.3f contact on" % (t + d)]
        if k == "load":
            r = draw(st.sampled_from((100, 199, 250, 500, 2000, 10000, 20000, 47000, 200000, 2000000)))
            back = draw(st.booleans())
            out = ["%.3f load %g" % (t, r)]
            if back:
                out.append("%.3f load skin" % (t + t_s(draw, 0.05, 5)))
            return out
        if k == "slide":
            a = draw(st.sampled_from((500, 2000, 10000)))
            b = draw(st.sampled_from((100, 300, 40000, 100000)))
            n = draw(st.integers(3, 12))
            dt = t_s(draw, 0.1, 1.0)
            return ["%.3f load %g" % (t + i * dt, a + (b - a) * i / (n - 1)) for i in range(n)]
        if k == "inject":
            spec = draw(st.sampled_from(("sense_stuck", "sense_frozen", "sense_open", "short", "short=off",
                                         "battery_low", "battery_critical", "clear", "gain_drift", "sense_gain")))
            if spec in ("gain_drift", "sense_gain"):
                spec += "=%g" % draw(st.sampled_from((0.5, 0.78, 0.9, 1.05, 1.09, 1.15, 1.3, 2.0, 5.0)))
            out = ["%.3f inject %s" % (t, spec)]
            if draw(st.booleans()):
                out.append("%.3f inject clear" % (t + t_s(draw, 0.01, 3)))
            return out
        if k == "usb":
            return ["%.3f usb on" % t, "%.3f usb off" % (t + t_s(draw, 0.01, 5))]
        if k == "stall":
            # the watchdog's edges, and any length: a few ms inside a half, a tick, a cycle (searches with
            # stalls of 3..120 ms found classes these fixed lengths took many rounds to reach)
            ms = draw(st.one_of(st.sampled_from((5, 50, 300, 900, 990, 1100, 1500, 3000)), st.integers(1, 1200)))
            return ["%.3f stall %d" % (t, ms)]
        if k == "stalls":
            # a loop that stalls again and again under the watchdog (22 of 950 ms every 2 s in a session's last
            # minute ran it 2.4 s past 20 minutes): a burst of 2..25, any length, any rhythm
            ms = draw(st.one_of(st.sampled_from((300, 600, 950, 990)), st.integers(30, 999)))
            every = t_s(draw, ms / 1000.0 + 0.05, 6.0)
            return ["%.3f stall %d" % (t + i * every, ms) for i in range(draw(st.integers(2, 25)))]
        if k == "reset":
            r = draw(st.sampled_from(("interrupt", "soft_reset", "power_cut")))
            if r == "power_cut":
                return ["%.3f power_cut" % t, "%.3f power_on" % (t + t_s(draw, 0.01, 2))]
            return ["%.3f %s" % (t, r)]
        if k == "flap":
            what = draw(st.sampled_from(("contact", "usb", "power", "level")))
            return ["%.3f flap %s %d %d" % (t, what, draw(st.integers(1, 25)), draw(st.integers(2, 30)))]
        if k == "console":
            # SR-11: a line on the USB console at any instant (bench commands work only in bench mode; `set` of what
            # the oracle judges by, user_max_ua, session_min, idle_off_s and the calibration, only as the firmware
            # refuses it), or hostile bytes, or a line too long
            kind = draw(st.integers(0, 5))
            if kind == 0:
                return ["%.3f type %s" % (t, draw(st.binary(min_size=1, max_size=200)).hex())]
            if kind == 1:
                return ["%.3f type %s" % (t, (b"x" * draw(st.integers(100, 400)) + b"\n").hex())]
            if kind == 2:
                ohms = draw(st.sampled_from((1000, 2000, 10000, 20000, 999, 47000)))
                out = ["%.3f line calibrate %d" % (t, ohms)]
                if draw(st.booleans()):  # on the resistor it names, or on one of another value
                    out.insert(0, "%.3f load %d" % (max(0.0, t - 0.5), draw(st.sampled_from((ohms, 10000, 2000)))))
                return out
            return ["%.3f line %s" % (t, draw(st.sampled_from(CONSOLE_LINES)))]
        if k == "held_reset":
            # a reset while a button is held (bench mode is a power-up's only; a press going on acknowledges
            # nothing: red team rt6)
            b = draw(st.sampled_from(("level", "power")))
            how = draw(st.sampled_from(("stall 1500", "soft_reset", "interrupt", "stall 3000")))
            return ["%.3f hold %s" % (t, b), "%.3f %s" % (t + t_s(draw, 0.02, 1.0), how),
                    "%.3f release %s" % (t + t_s(draw, 1.2, 4.0), b)]
        data = draw(st.binary(max_size=64))
        name = draw(st.sampled_from(("settings.json", "log0.txt", "log1.txt", "settings.json.tmp")))
        return ["%.3f file %s %s" % (t, name, data.hex() or "-")]

    @st.composite
    def scenario(draw):
        seconds = draw(st.sampled_from((15.0, 30.0, 45.0, 75.0)))
        lines = []
        sfile = draw(st.one_of(valid_settings(), valid_settings(), valid_settings(), hostile_settings()))
        lo = 0.0
        d = _json_object(sfile)
        if d is not None and draw(st.integers(0, 7)) == 0:
            # a session's end (its ramp-down, the timer, the hard limit), which short runs reach only for a
            # 1-minute session: the events in its last 75 s
            d["session_min"] = draw(st.sampled_from((1, 2, 5, 5, 5, 20)))
            sfile = json.dumps(d).encode()
            seconds = d["session_min"] * 60 + 30.0
            lo = seconds - 75.0
        if len(sfile) > 4096:  # a huge file: as a repeat count (the MicroPython runner parses the script)
            lines.append("0 file settings.json 78 %d" % len(sfile))
        elif sfile != b"{}":
            lines.append("0 file settings.json %s" % (sfile.hex() or "-"))
        if draw(st.integers(0, 9)) == 0:
            lines.append("0 file log0.txt %s" % (draw(st.binary(max_size=300)).hex() or "-"))
        if draw(st.integers(0, 7)) == 0:  # bench mode: level held at power-up
            lines.append("0 hold level")
            lines.append("1.5 release level")
            for _ in range(draw(st.integers(0, 3))):  # and the console's bench commands, a calibration most
                t = t_s(draw, 1.2, seconds)
                line = draw(st.sampled_from(("calibrate 10000", "calibrate 10000", "calibrate 2000", "start",
                                             "stop", "level 10", "clear")))
                lines.append("%.3f line %s" % (t, line))
        lines.append("%.3f press power 0.2" % t_s(draw, 0.3, 3.0))
        for ev in draw(st.lists(event(seconds, lo), max_size=6)):
            lines += ev
        load = draw(st.one_of(st.none(), st.none(), st.sampled_from((250.0, 500.0, 2000.0, 10000.0, 47000.0))))
        return Scenario(seed=draw(st.integers(0, 65535)), seconds=seconds, load_ohms=load, lines=lines)

    return scenario()


CONSOLE_LINES = ("status", "get", "get level", "log 5", "faults", "history 3", "selftest", "help", "hello", "start",
                 "stop", "level 10", "level 1", "level 0", "clear", "stream on 50", "stream on", "stream off",
                 "set level 10", "set level 1", "set level 11", "set program pulse", "set program smooth",
                 "set program bogus", "set mute on", "set mute off", "set user_max_ua 600", "set user_max_ua 20",
                 "set session_min 21", "set cal_gain_na 2000", "set idle_off_s 0", "reboot", "repl", "bogus",
                 "calibrate", "calibrate x", "level", "stream on 100000")


def _json_object(data):
    """The settings file's object, or None (hostile bytes, a torn file, nesting deeper than json takes)."""
    try:
        d = json.loads(data)
    except (ValueError, RecursionError):
        return None
    return d if isinstance(d, dict) else None
