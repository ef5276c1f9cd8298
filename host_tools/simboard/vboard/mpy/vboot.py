"""What the ESP32 MicroPython port does after a reset, on the MicroPython unix port.

Run by the virtual board's supervisor as `micropython vboot.py` with the flash
folder as the current directory. It does what `ports/esp32/main.c` and
`shared/runtime/pyexec.c` do: run `boot.py`, then `main.py` (only when the
REPL is in friendly mode), then the REPL: the friendly one (`>>> `) or the raw
one (Ctrl-A; with raw-paste mode, which `mpremote` uses), byte for byte as
pyexec.c prints them, so `mpremote` and `pyserial` see a board.

A soft reset (Ctrl-D on an empty REPL line, `sys.exit()`, `machine.soft_reset()`)
prints `MPY: soft reboot` and asks the supervisor (notice `reset soft` on the
chip link, a pipe separate from the UART: chip/_link.py) to start a fresh
interpreter: the heap and the Python state go, the chip state stays (the
supervisor's simboard World keeps it).

The filesystem is real littlefs: MicroPython's VfsLfs2 on a block device over
the SPI flash image (chip/flashbdev.py, region from simboard/flashlayout.py),
so what esptool writes and what mpremote copies are the same bytes.

Arguments: CHIP_DIR (machine.py, esp32.py, flashbdev.py, _link.py: imported
first), FLASH_DIR (the working folder), STATE_FILE (JSON: mode, the image and
the filesystem geometry).
"""

import sys

# argv: vboot.py CHIP_DIR FLASH_DIR STATE_FILE
_chip, _flash, _sf = sys.argv[1], sys.argv[2], sys.argv[3]

# The chip modules (machine, esp32 over the chip link; flashbdev) come first
# and are imported now, before the flash folder becomes the VFS root: after
# that, host paths are out of reach, as they would be on the chip.
import replline  # noqa: E402 - the friendly REPL's line editor, beside this file

sys.path.clear()
sys.path.append(_chip)
import builtins  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402 - the chip's os

import _link  # noqa: E402 - the chip link, opened before the VFS mount
import esp32  # noqa: E402, F401
import machine  # noqa: E402, F401

_out = sys.stdout
_inb = sys.stdin.buffer
_one = bytearray(1)


def _w(s):
    _out.write(s)


# Text printed to the console goes out "cooked" on the chip: the ESP32 port's
# stdout turns every "\n" into "\r\n" (mp_hal_stdout_tx_strn_cooked); only
# sys.stdout.buffer is raw. print() and the REPL's echo of a value are made to
# do the same here (the unix port's own sys.stdout.write stays raw: that one
# call differs from the chip).
_print = builtins.print


def _cooked(*args, sep=" ", end="\n", file=None):
    if file is not None and file is not sys.stdout and file is not sys.stderr:
        _print(*args, sep=sep, end=end, file=file)
        return
    buf = io.StringIO()
    _print(*args, sep=sep, end=end, file=buf)
    _out.write(buf.getvalue().replace("\n", "\r\n"))


def _repl_print(o):
    if o is not None:
        _out.write(repr(o).replace("\n", "\r\n") + "\r\n")
        builtins._ = o


builtins.print = _cooked
builtins.__repl_print__ = _repl_print


def _ctl(msg):
    _link.ctl(msg)


with open(_sf) as _f:
    _state = json.load(_f)
_mode = _state.get("mode", "friendly")
_banner = _state.get("banner", "MicroPython v1.29.0 on 2026-01-01; Generic ESP32 module with ESP32")

# The filesystem: littlefs v2 (MicroPython's own VfsLfs2) on the SPI flash image's
# region (simboard/flashlayout.py), mounted at "/" as ports/esp32/modules/_boot.py
# does; a blank or foreign region is formatted as inisetup.py does.
from flashbdev import FlashBdev  # noqa: E402

_g = _state["vfs"]
_bdev = FlashBdev(_state["spi_flash"], _g["offset"], _g["block_size"], _g["block_count"])
_lfs_kw = {"readsize": _g["read_size"], "progsize": _g["prog_size"], "lookahead": _g["lookahead_size"]}
os.umount("/")
try:
    _fs = os.VfsLfs2(_bdev, **_lfs_kw)
    _fresh = False
except OSError:
    os.VfsLfs2.mkfs(_bdev, **_lfs_kw)
    _fs = os.VfsLfs2(_bdev, **_lfs_kw)
    _fresh = True
os.mount(_fs, "/")
os.chdir("/")
sys.path.clear()
sys.path.append("")
sys.path.append(".frozen")
sys.path.append("/lib")
if _fresh:  # inisetup.py: a new filesystem gets the port's default boot.py
    with open("boot.py", "w") as _f:
        _f.write(
            "# This file is executed on every boot (including wake-boot from deepsleep)\n"
            "#import esp\n#esp.osdebug(None)\n#import webrepl\n#webrepl.start()\n"
        )
_real_open = builtins.open


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


# --- running code ----------------------------------------------------------------
_g = {"__name__": "__main__"}


class _SoftReset(Exception):
    pass


def _soft_reset():
    _w("MPY: soft reboot\r\n")
    _ctl("reset soft")
    while True:  # the supervisor ends this interpreter
        _inb.readinto(_one)


def _print_exc(e):
    """The traceback as the chip prints it: without this file's own frames."""
    buf = io.StringIO()
    sys.print_exception(e, buf)
    for line in buf.getvalue().split("\n"):
        if line and "vboot.py" not in line:
            _w(line + "\r\n")


def _busy(on):
    """Tell the supervisor whether code runs: only then is Ctrl-C the keyboard interrupt
    (SIGINT); at a REPL prompt it is a character, as in pyexec.c."""
    _ctl("run" if on else "idle")


def _run(code, name, mode="exec"):
    """Compile and run; True when it ended normally. SystemExit soft-resets."""
    try:
        try:
            _busy(True)
            exec(compile(code, name, mode), _g)
            return True
        finally:
            _busy(False)
    except SystemExit:
        raise _SoftReset() from None
    except BaseException as e:  # noqa: B036 - the REPL prints every error, as pyexec does
        _print_exc(e)
        return False


def _run_file(name):
    if not _exists(name):
        return
    try:
        with _real_open(name) as f:
            src = f.read()
    except Exception as e:  # (bytes that are no UTF-8: the chip's pyexec prints the error and goes on to the
        _print_exc(e)  # REPL; this one panicked on every boot: a helper's audit)
        return
    _run(src, name)


# --- reading the serial ---------------------------------------------------------
def _getc():
    """One byte from the serial; Ctrl-C arrives as SIGINT (KeyboardInterrupt)."""
    while True:
        try:
            n = _inb.readinto(_one)
        except KeyboardInterrupt:
            return 3
        if n:
            return _one[0]
        # stdin closed: the supervisor is going away
        sys.exit(0)


_editor = replline.LineEditor(_getc, _out.buffer.write)


def _help(obj=None):
    """help() as the port's builtin prints it, but cooked (CRLF) as all console text on the chip:
    the unix port's own help writes bare LFs. The text without an argument is this board's."""
    if obj is None:
        _cooked(
            "Welcome to MicroPython on the ESP32 (the microwand virtual board)!\n\n"
            "For online docs please visit http://docs.micropython.org/\n\n"
            "Control commands:\n"
            "  CTRL-A        -- on a blank line, enter raw REPL mode\n"
            "  CTRL-B        -- on a blank line, enter normal REPL mode\n"
            "  CTRL-C        -- interrupt a running program\n"
            "  CTRL-D        -- on a blank line, do a soft reset of the board\n"
            "  CTRL-E        -- on a blank line, enter paste mode\n\n"
            "For further help on a specific object, type help(obj)\n"
            "For a list of available modules, type help('modules')"
        )
        return
    _cooked("object %r is of type %s" % (obj, type(obj).__name__))
    if isinstance(obj, type) or type(obj).__name__ == "module":
        for name in dir(obj):
            if not name.startswith("__") or name == "__name__":
                try:
                    _cooked("  %s -- %r" % (name, getattr(obj, name)))
                except Exception:  # noqa: BLE001 - an attribute that cannot be read is left out
                    pass


builtins.help = _help


def _raw_paste():
    """Raw-paste mode (pyexec.c do_reader_stdin + mp_reader_new_stdin)."""
    window = 128
    _out.buffer.write(b"R\x01" + bytes((window & 0xFF, window >> 8)) + b"\x01")
    buf = bytearray()
    remain = window
    while True:
        c = _getc()
        if c == 4:
            _out.buffer.write(b"\x04")
            break
        if c == 3:
            _out.buffer.write(b"\x04")  # abrupt end
            return
        buf.append(c)
        remain -= 1
        if remain == 0:
            remain = window
            _out.buffer.write(b"\x01")
    _exec_raw(bytes(buf))


def _exec_raw(src):
    ok = True
    try:
        code = compile(src, "<stdin>", "exec")
    except BaseException as e:  # noqa: B036
        _w("\x04")
        _print_exc(e)
        _w("\x04")
        return
    try:
        try:
            try:
                _busy(True)
                exec(code, _g)
            finally:
                _busy(False)
        except SystemExit:
            raise _SoftReset() from None
        except BaseException as e:  # noqa: B036
            ok = False
            _w("\x04")
            _print_exc(e)
            _w("\x04")
        if ok:
            _w("\x04\x04")
    except KeyboardInterrupt:  # a Ctrl-C landing while the reply was written
        _w("\x04\x04")


def _raw_repl():
    """pyexec_raw_repl(). Returns the next mode."""
    global _mode
    _mode = "raw"
    _ctl("mode raw")
    _w("raw REPL; CTRL-B to exit\r\n")
    while True:
        _w(">")
        line = bytearray()
        while True:
            c = _getc()
            if c == 1:  # Ctrl-A
                if len(line) == 2 and line[0] == 5:
                    if line[1] == 65:
                        _raw_paste()
                    else:
                        _out.buffer.write(b"R\x00")
                    _w("raw REPL; CTRL-B to exit\r\n")
                    line = bytearray()
                    _w(">")
                    continue
                _w("\r\nraw REPL; CTRL-B to exit\r\n")
                line = bytearray()
                _w(">")
                continue
            if c == 2:  # Ctrl-B: friendly REPL
                _w("\r\n")
                return "friendly"
            if c == 3:
                line = bytearray()
                continue
            if c == 4:
                break
            line.append(c)
        _w("OK")
        if not line:
            _w("\r\n")
            _soft_reset()
        _exec_raw(bytes(line))


def _friendly_repl():
    """pyexec_friendly_repl() with the chip's line editor (replline.py). Returns the next mode."""
    global _mode
    _mode = "friendly"
    _ctl("mode friendly")
    _w(_banner + '\r\nType "help()" for more information.\r\n')
    while True:
        line = bytearray()
        ret = _editor.readline(line, b">>> ")
        if ret == 1:
            _w("\r\n")
            return "raw"
        if ret == 2:
            _w("\r\n")
            return "friendly"
        if ret == 3:
            _w("\r\n")
            continue
        if ret == 4:
            _w("\r\n")
            _soft_reset()
        if ret == 5:
            _paste_mode()
            continue
        if not line:
            continue
        cancelled = False
        while replline.continue_with_input(line.decode()):
            line.append(10)
            ret = _editor.readline(line, b"... ")
            if ret == 3:
                _w("\r\n")
                cancelled = True
                break
            if ret == 4:
                break
        if not cancelled:
            try:
                _run(line.decode(), "<stdin>", "single")
            except KeyboardInterrupt:
                _w("\r\n")


def _paste_mode():
    _w("\r\npaste mode; Ctrl-C to cancel, Ctrl-D to finish\r\n=== ")
    buf = bytearray()
    while True:
        c = _getc()
        if c == 3:
            _w("\r\n")
            return
        if c == 4:
            _w("\r\n")
            break
        buf.append(c)
        if c == 13:
            _w("\r\n=== ")
        else:
            _out.buffer.write(bytes((c,)))
    _run(bytes(buf).replace(b"\r", b"\n").decode(), "<stdin>")


def _main():
    _ctl("mode " + _mode)
    try:
        _run_file("boot.py")
        if _mode == "friendly":
            _run_file("main.py")
    except KeyboardInterrupt:  # Ctrl-C between the statements of the boot sequence
        _w("\r\n")
    mode = _mode
    while True:
        try:
            mode = _raw_repl() if mode == "raw" else _friendly_repl()
        except KeyboardInterrupt:
            _w("\r\n")


try:
    _main()
except _SoftReset:
    _soft_reset()
