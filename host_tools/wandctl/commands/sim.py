"""wandctl sim: run the real firmware on the simulated board.

Without options: the default program for a full 5-minute session, in
accelerated time, with a scripted user (start, raise the level twice, lift the
wand for 3 s, let the timer end it). Prints a timeline and a summary.

Script files (--script): one event per line, `<seconds> <action> [args]`, `#`
comments. Actions: `press power|level [hold_s]`, `hold NAME`, `release NAME`,
`contact off|on`, `load OHMS|skin`, `inject SPEC`, `usb on|off`,
`stall [ms]`, `interrupt` (Ctrl-C), `soft_reset`, `power_cut`, `power_on`,
`flap contact|usb|power|level PERIOD_MS COUNT`, `file NAME HEX [COUNT]`.
Every line is checked before the run (a bad one: `script FILE line N: ...`).

Injections (--inject NAME[=VALUE]@SECONDS, repeatable; SPEC in a script is
NAME[=VALUE]): short[=off], sense_stuck, sense_frozen, sense_open,
gain_drift=FACTOR, sense_gain=FACTOR (0.1..10), battery_low, battery_critical,
usb=on|off, load_ohms=OHMS|skin, contact=on|off, clear; on the command line
also contact_off=DURATION_S, stall[=MS], interrupt, soft_reset, power_cut.
"""

from __future__ import annotations

import argparse
import json
import sys

from wandctl.argcheck import image_types, output_file, write_text
from wandctl.errors import WandctlError


def register(sub):
    p = sub.add_parser("sim", help="run the firmware on the simulated board (a session, or --serve)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                       conflict_handler="resolve")
    p.add_argument("--program", help="program to run (default: the stored/default one)")
    p.add_argument("--level", type=int, help="starting level 1..10")
    p.add_argument("--minutes", type=int, help="session length 1..20 minutes (default 5)")
    p.add_argument("--load-ohms", type=float, help="pure resistive load instead of the skin model")
    p.add_argument("--script", help="timed user actions and faults (format above)")
    p.add_argument("--inject", action="append", default=[], metavar="NAME[=VALUE]@SECONDS",
                   help="inject a fault or event (repeatable)")
    p.add_argument("--seed", type=int, default=None, help="simulation seed (default 1)")
    p.add_argument("--seconds", type=float, help="simulated run length, 1..3600 s (default: session + 45 s)")
    p.add_argument("--summary-json", metavar="PATH", help="write the summary as JSON to this file")
    p.add_argument("--plot", metavar="PATH", help="write a plot of the session to this image file "
                   "(.png, .svg or .pdf): the current, its envelope, the states, a zoom on one ramp")
    p.add_argument("--interpreter", choices=("cpython", "micropython"), default="cpython",
                   help="run the simulated board on CPython or on the MicroPython unix port")
    p.add_argument("--json", action="store_true", help="print the summary as JSON only")
    p.add_argument("--serve", action="store_true",
                   help="start a virtual board on a pty instead (like `make board`); the options "
                   "below are for it")
    # the virtual board is part of the package: a failed import (a missing dependency) is an error, never
    # a --help without its options
    from simboard.vboard import add_serve_arguments

    add_serve_arguments(p.add_argument_group("virtual board (--serve)"))
    p.set_defaults(func=run)


def run(args) -> int:
    if args.serve:
        from simboard import vboard

        return vboard.serve(args)
    from simboard import simrun

    if args.seconds is not None and not (1 <= args.seconds <= 3600):
        raise WandctlError("--seconds must be between 1 and 3600")
    if getattr(args, "bench", False) or getattr(args, "deploy", False):
        raise WandctlError("--bench and --deploy are for the virtual board: add --serve")
    # (they were ignored without a word: a helper's audit)
    serve_only = [flag for flag, given in (
        ("--spi-flash", args.spi_flash is not None), ("--flash-size", args.flash_size is not None),
        ("--chip-dir", args.chip_dir is not None), ("--bootloader", args.bootloader),
        ("--heap", args.heap != "200K"), ("--flash", args.flash != "build/vboard/flash")) if given]
    if serve_only:
        raise WandctlError("%s: for the virtual board only: add --serve" % ", ".join(serve_only))
    if args.load_ohms == "open":  # --load-ohms takes R|skin|open (shared with --serve)
        raise WandctlError("--load-ohms open is for --serve; in a session lift the wand with `contact off` "
                           "in --script")
    _check_ranges(args, simrun)
    # Output paths are checked now, not after a run of minutes.
    summary_path = output_file(args.summary_json, "--summary-json", example="summary.json") \
        if args.summary_json is not None else None
    plot_path = output_file(args.plot, "--plot", image_types(), example="session.png") \
        if args.plot is not None else None
    opts = simrun.SimOptions(program=args.program, level=args.level, minutes=args.minutes,
                             load_ohms=None if args.load_ohms == "skin" else args.load_ohms,
                             script=args.script, injects=args.inject,
                             seed=1 if args.seed is None else args.seed, interpreter=args.interpreter,
                             seconds=args.seconds)
    simrun.validate_options(opts)
    simrun.script_lines(opts)
    bar = _progress(not args.json)
    try:
        res = simrun.run(opts, on_progress=bar)
    finally:
        if bar:
            bar.close()
    summ = simrun.summary(res)
    if summary_path is not None:
        write_text(summary_path, json.dumps(summ, indent=2) + "\n", "--summary-json")
    if plot_path is not None:
        from wandctl.simplot import plot

        plot(res, plot_path, "microwand simulated session: program %s, %s"
             % (summ["program"], summ["load"]))
    if args.json:
        print(json.dumps(summ, indent=2))
        return 0
    print("timeline (simulated time mm:ss, %s):" % args.interpreter)
    for line in simrun.timeline(res):
        print(line)
    print()
    print("summary:")
    for k in ("program", "level", "planned_s", "delivered_s", "ended_by", "peak_current_ua",
              "rms_current_ua", "net_charge_uc", "max_phase_charge_uc", "net_per_cycle_max_uc",
              "current_density_ma_cm2", "contact_losses", "faults", "max_ramp_ua_per_s", "resets",
              "sim_speed_x"):
        print("  %-24s %s" % (k, summ[k]))
    for k in ("load_kohm", "contact"):  # the firmware's own load estimate, when the run has one
        if k in summ:
            print("  %-24s %s" % (k, summ[k]))
    if summary_path is not None:
        print("wrote %s" % args.summary_json)
    if plot_path is not None:
        print("wrote %s" % args.plot)
    return 0


def _check_ranges(args, simrun) -> None:
    """--level and --minutes against the firmware's own limits, in the flags' words."""
    fields = simrun._firmware_settings().INT_FIELDS
    for flag, name, what in (("--level", "level", "the level"), ("--minutes", "session_min", "the session length")):
        value = getattr(args, flag[2:])
        _, lo, hi = fields[name]
        if value is not None and not lo <= value <= hi:
            raise WandctlError("%s %d: %s must be from %d to %d%s" % (flag, value, what, lo, hi,
                                                                     " minutes" if name == "session_min" else ""))


class _Bar:
    def __init__(self):
        from tqdm import tqdm

        self._bar = tqdm(total=100, unit="%", desc="simulating", file=sys.stderr, leave=False,
                         bar_format="{desc} {bar} {percentage:3.0f}%")
        self._done = 0

    def __call__(self, t, total):
        pct = min(100, int(100 * t / total))
        if pct > self._done:
            self._bar.update(pct - self._done)
            self._done = pct

    def close(self):
        self._bar.close()


def _progress(enabled):
    if not enabled or not sys.stderr.isatty():
        return None
    return _Bar()
