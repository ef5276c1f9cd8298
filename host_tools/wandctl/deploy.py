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

This module is the plan (stage, verify, switch, retry); step 2 is `wandctl.mpy_build`, the
serial side of steps 1 and 5 (REPL, raw-REPL session, hello) is `wandctl.board_session`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from wandctl.board_session import HELLO_TIMEOUT_S, BoardReset, Session, wait_hello
from wandctl.errors import WandctlError
from wandctl.mpy_build import (
    BUILD_DIR,
    FIRMWARE_DIR,
    MPY_OPT,
    PACKAGE,
    PY_SOURCE_HEAP32_BYTES,
    TOP_FILES,
    build,
    decode_mpy,
    mpy_cross_version,
)
from wandctl.serialport import check_port

# the deploy, its result and its benchmarks; and, from mpy_build and board_session, the names that
# tests, tools/ and vboard/ import from here
__all__ = ["FIRMWARE_DIR", "MPY_OPT", "DeployResult", "bench_deploy", "bench_vs_mpremote", "build", "deploy",
           "mpy_cross_version", "wait_hello"]

STAGE = "/.stage"
SLOT_ROOT = "/" + PACKAGE
SLOT_LIB = "/lib/" + PACKAGE


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
                log(session.how)
            _deploy_in_session(session, Path(firmware_dir), result, progress, log, build_dir)
            if result.files_copied or result.switched:
                # a switch moves the package between /wand and /lib/wand: the firmware
                # resumed in the same interpreter would look up its not-yet-imported
                # modules in the slot that is gone, so a switch always resets
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
    log(("reset" if result.files_copied or result.switched else "firmware started again, no reset")
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
        s.rmtree(STAGE)
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
            for d in dirs:
                s.mkdirs(d)
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
            got = s.hashfile(tmp)
            if got != t.sha256:
                raise WandctlError(
                    "verification of %s failed on the board; run the deploy again" % t.device_rel
                )
            s.rename(tmp, "/" + t.device_rel)
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
    s.rmtree(STAGE)
    log("verified %d files on the board (sha256)" % len(expect))


def _switch(s: Session, live: str, stage: str) -> None:
    """Make the staged package live with one atomic rename (see the module docstring)."""
    if live == SLOT_LIB:
        # /wand does not exist (else it would be live): one rename makes the new package live
        s.rmtree(SLOT_ROOT)
        s.rename(stage, SLOT_ROOT)
        s.rmtree(SLOT_LIB)
    else:
        s.mkdirs("/lib")
        s.rmtree(SLOT_LIB)
        s.rename(stage, SLOT_LIB)
        s.rename(SLOT_ROOT, STAGE + "/old")  # the switch
        s.rmtree(STAGE + "/old")


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

        from simboard.vboard import VirtualBoard

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

    from simboard.vboard import VirtualBoard

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
