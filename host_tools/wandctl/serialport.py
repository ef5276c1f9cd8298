"""Serial ports: open them with errors that say what to do, list them with their bridge chip."""

from __future__ import annotations

import errno
import fcntl
import grp
import os
import stat
import struct
import termios

from wandctl.errors import WandctlError

# USB VID:PID -> the USB-serial bridge on ESP32 boards.
BRIDGES = {
    (0x10C4, 0xEA60): "CP210x (Silicon Labs)",
    (0x10C4, 0xEA70): "CP2105 (Silicon Labs)",
    (0x1A86, 0x7523): "CH340 (WCH)",
    (0x1A86, 0x7522): "CH340K (WCH)",
    (0x1A86, 0x55D4): "CH9102 (WCH)",
    (0x1A86, 0x55D3): "CH343 (WCH)",
    (0x0403, 0x6001): "FT232R (FTDI)",
    (0x0403, 0x6010): "FT2232 (FTDI)",
    (0x0403, 0x6014): "FT232H (FTDI)",
    (0x0403, 0x6015): "FT231X (FTDI)",
    (0x303A, 0x1001): "native USB Serial/JTAG (Espressif ESP32-S3/C3/C6)",
    (0x303A, 0x0002): "native USB CDC (Espressif ESP32-S2/S3, TinyUSB)",
    (0x303A, 0x4001): "native USB CDC (Espressif, MicroPython)",
}


def bridge_name(vid: int | None, pid: int | None) -> str:
    if vid is None:
        return "no USB (virtual or built-in serial)"
    name = BRIDGES.get((vid, pid))
    if name:
        return name
    if vid == 0x303A:
        return "native USB (Espressif)"
    if vid == 0x0403:
        return "FTDI"
    if vid == 0x1A86:
        return "WCH (CH34x)"
    if vid == 0x10C4:
        return "Silicon Labs (CP210x)"
    return "unknown USB device"


def _known_ports() -> list[str]:
    try:
        from serial.tools import list_ports
    except ImportError:  # pragma: no cover - pyserial is a dependency
        return []
    return [p.device for p in list_ports.comports()]


def permission_hint(port: str) -> str:
    group = None
    try:
        group = grp.getgrgid(os.stat(port).st_gid).gr_name
    except (OSError, KeyError):
        pass
    if group and group != "root":
        return (
            "add your user to the `%s` group (`sudo usermod -aG %s $USER`, then log out and back in), "
            "or for this session only `sudo chmod a+rw %s`" % (group, group, port)
        )
    return "run `sudo chmod a+rw %s`, or add a udev rule that gives your user access to it" % port


def not_serial(port: str) -> WandctlError:
    """The one wording for a path that is no serial port (a file, a folder, /dev/null)."""
    return WandctlError(
        "%s is not a serial device (a character device such as /dev/ttyUSB0 or /dev/ttyACM0 is "
        "needed; `wandctl doctor` lists them)" % port
    )


def no_such_port(port: str) -> WandctlError:
    found = _known_ports()
    listing = ", ".join(found) if found else "none found"
    return WandctlError(
        "serial port %s does not exist (serial ports here: %s): check the cable (a charge-only USB "
        "cable has no data lines) and run `wandctl doctor`" % (port, listing)
    )


def permission_denied(port: str) -> WandctlError:
    return WandctlError("permission denied on %s: %s" % (port, permission_hint(port)))


def busy(port: str) -> WandctlError:
    return WandctlError(
        "serial port %s is busy: another program has it open (a serial monitor, mpremote, the "
        "Arduino IDE or another wandctl); close it and retry" % port
    )


NO_PORT = ("no serial port given: pass --port PORT (or --port auto, or set WANDCTL_PORT); "
           "`wandctl doctor` lists the ports")

# The help text of every --port option.
PORT_HELP = ("serial port of the wand, e.g. /dev/ttyUSB0, or `auto` for the one attached board "
             "(default: $WANDCTL_PORT)")


def resolve_port(port: str | None) -> str:
    """The port to use: --port, else $WANDCTL_PORT; `auto` picks the one attached board."""
    if not port:
        port = os.environ.get("WANDCTL_PORT", "").strip()
    if not port:
        raise WandctlError(NO_PORT)
    if port == "auto":
        return auto_port()
    return port


def auto_port() -> str:
    """The single attached ESP32 board (like mpremote's `connect auto`, USB ports only)."""
    usb = [p for p in list_serial_ports() if p["vid"] is not None]
    boards = [p for p in usb if (p["vid"], p["pid"]) in BRIDGES or p["vid"] == 0x303A]
    if not boards:
        seen = ", ".join("%s (%s)" % (p["device"], p["vid_pid"]) for p in usb) or "none"
        raise WandctlError(
            "--port auto: no board found (USB serial ports: %s). Check that the board is plugged in "
            "with a data USB cable and powered, and run `wandctl doctor`; a virtual board has no USB: "
            "pass its /dev/pts/N with --port" % seen
        )
    if len(boards) > 1:
        raise WandctlError(
            "--port auto: %d boards are attached (%s): pick one with --port"
            % (len(boards), ", ".join("%s %s" % (p["device"], p["bridge"]) for p in boards))
        )
    return boards[0]["device"]


def check_port(port: str) -> None:
    """Raise WandctlError unless `port` is a character device we may read and write."""
    if not port:
        raise WandctlError(NO_PORT)
    if port.startswith(("rfc2217://", "socket://", "loop://")):
        return
    try:
        st = os.stat(port)
    except FileNotFoundError:
        raise no_such_port(port) from None
    except NotADirectoryError:
        raise no_such_port(port) from None
    except PermissionError:
        raise permission_denied(port) from None
    # major 1: /dev/null, /dev/zero, /dev/random...: character devices, but no serial
    if not stat.S_ISCHR(st.st_mode) or os.major(st.st_rdev) == 1:
        raise not_serial(port)
    if not os.access(port, os.R_OK | os.W_OK):
        raise permission_denied(port)


def open_serial(port: str, baudrate: int = 115200, timeout: float = 0.1, exclusive: bool = True,
                write_timeout: float | None = None):
    """pyserial Serial on `port`, with every failure turned into a WandctlError.

    Every wandctl command opens its port here, or mpremote's transport with open_transport()
    (or checks it with check_port() before handing it to esptool), so a port error reads the
    same everywhere.
    """
    import serial

    check_port(port)
    try:
        return serial.Serial(port, baudrate, timeout=timeout, write_timeout=write_timeout,
                             exclusive=exclusive)
    except serial.SerialException as e:
        raise translate_open_error(port, e) from None
    except OSError as e:
        raise translate_open_error(port, e) from None
    except ValueError as e:
        raise WandctlError("cannot open %s: %s" % (port, e)) from None


def open_transport(port: str, baudrate: int = 115200):
    """mpremote's SerialTransport (raw REPL) on `port`, with the same checks and messages as open_serial()."""
    from mpremote.transport import TransportError
    from mpremote.transport_serial import SerialTransport

    check_port(port)
    try:
        return SerialTransport(port, baudrate=baudrate)
    except TransportError as e:
        raise translate_open_error(port, OSError(str(e))) from None
    except OSError as e:
        raise translate_open_error(port, e) from None


def translate_open_error(port: str, e: BaseException) -> WandctlError:
    text = str(e)
    code = getattr(e, "errno", None)
    if code == errno.EACCES or "Permission denied" in text:
        return permission_denied(port)
    if code == errno.ENOENT or "No such file" in text:
        return no_such_port(port)
    if code in (errno.EBUSY, errno.EAGAIN) or "exclusively lock" in text or "busy" in text.lower():
        return busy(port)
    if code in (errno.ENOTTY, errno.EINVAL) or "Inappropriate ioctl" in text or "Could not configure" in text:
        return not_serial(port)
    if code in (errno.ENXIO, errno.ENODEV, errno.EIO):
        return WandctlError(
            "serial port %s is not usable (%s): unplug the wand, plug it in, and retry" % (port, text)
        )
    return WandctlError("cannot open serial port %s: %s" % (port, text))


def has_modem_lines(port_or_fd) -> bool:
    """True when the port has DTR/RTS (a USB-serial bridge), False for a pty (the virtual board)."""
    fd = port_or_fd
    opened = False
    if isinstance(port_or_fd, str):
        fd = os.open(port_or_fd, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        opened = True
    try:
        fcntl.ioctl(fd, termios.TIOCMGET, struct.pack("I", 0))
        return True
    except OSError:
        return False
    finally:
        if opened:
            os.close(fd)


def is_pty(port: str) -> bool:
    try:
        st = os.stat(port)
    except OSError:
        return False
    return stat.S_ISCHR(st.st_mode) and os.major(st.st_rdev) in range(136, 144)


def list_serial_ports() -> list[dict]:
    """Every serial port pyserial sees, with VID:PID, bridge chip and access."""
    from serial.tools import list_ports

    out = []
    for p in sorted(list_ports.comports(), key=lambda p: p.device):
        out.append(
            {
                "device": p.device,
                "vid": p.vid,
                "pid": p.pid,
                "vid_pid": "%04X:%04X" % (p.vid, p.pid) if p.vid is not None else None,
                "bridge": bridge_name(p.vid, p.pid),
                "description": p.description,
                "serial_number": p.serial_number,
                "access": os.access(p.device, os.R_OK | os.W_OK),
            }
        )
    return out
