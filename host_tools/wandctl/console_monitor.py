"""wandctl monitor: stream the wand's telemetry as a live plot in a terminal or as text lines, optionally
recorded to CSV."""

from __future__ import annotations

import csv
import sys
import time

from wandctl.argcheck import output_file
from wandctl.console_client import ConsoleClient, Sample
from wandctl.console_connect import connect
from wandctl.contact_bands import contact_band, contact_word
from wandctl.errors import WandctlError


def _kohm(s: Sample) -> str:
    return "-" if s.load_ohms is None else "%.1f" % (s.load_ohms / 1000.0)


def run_monitor(args) -> int:
    writer = None
    csv_file = None
    if args.csv is not None:
        path = output_file(args.csv, "--csv", example="monitor.csv")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            csv_file = open(path, "w", newline="")
        except OSError as e:
            raise WandctlError("--csv %s: cannot write it: %s" % (path, e.strerror or e)) from None
        writer = csv.writer(csv_file)
        writer.writerow(["t_ms", "setpoint_ua", "measured_ua", "state", "load_ohms"])
    plot = sys.stdout.isatty() and not args.text
    count = 0
    try:
        with connect(args) as client:
            if plot:
                count = _monitor_plot(client, args, writer)
            else:
                print("t_ms setpoint_ua measured_ua state load_kohm contact", flush=True)
                for s in client.stream(args.hz, args.seconds):
                    count += 1
                    if writer:
                        writer.writerow([s.t_ms, s.setpoint_ua, s.measured_ua, s.state,
                                         "" if s.load_ohms is None else s.load_ohms])
                    print("%d %d %d %s %s %s" % (s.t_ms, s.setpoint_ua, s.measured_ua, s.state, _kohm(s),
                                                 contact_word(s.load_ohms, s.state)), flush=True)
    finally:
        if csv_file:
            csv_file.close()
    if args.csv is not None:
        print("wrote %d samples to %s" % (count, args.csv), file=sys.stderr)
    return 0


def _monitor_plot(client: ConsoleClient, args, writer) -> int:
    import plotext as plt

    window_ms = args.window * 1000
    samples: list[Sample] = []
    count = 0
    last_draw = 0.0
    for s in client.stream(args.hz, args.seconds):
        count += 1
        samples.append(s)
        if writer:
            writer.writerow([s.t_ms, s.setpoint_ua, s.measured_ua, s.state,
                             "" if s.load_ohms is None else s.load_ohms])
        while samples and s.t_ms - samples[0].t_ms > window_ms:
            samples.pop(0)
        now = time.monotonic()
        if now - last_draw < 0.2:
            continue
        last_draw = now
        t0 = samples[-1].t_ms
        xs = [(x.t_ms - t0) / 1000.0 for x in samples]
        plt.clear_figure()
        plt.plot(xs, [x.setpoint_ua for x in samples], label="setpoint")
        plt.plot(xs, [x.measured_ua for x in samples], label="measured")
        top = max([x.setpoint_ua for x in samples] + [x.measured_ua for x in samples] + [50])
        plt.ylim(0, top * 1.1)  # zero stays on the axis: a small current looks small
        load = "-" if s.load_ohms is None else "%.1f kOhm, %s" % (s.load_ohms / 1000.0,
                                                                   contact_band(s.load_ohms).split(":")[0])
        plt.title("%s: measured %d uA, setpoint %d uA, load %s" % (s.state, s.measured_ua, s.setpoint_ua, load))
        plt.xlabel("seconds (%s; Ctrl-C stops)" % client.port)
        plt.ylabel("uA")
        plt.clear_terminal()
        plt.show()
    return count
