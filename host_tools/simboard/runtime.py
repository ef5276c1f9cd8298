"""Implementation of simboard.runner (kept separate so the runner script that
MicroPython compiles at start-up stays small). See simboard/runner.py."""

import gc
import os
import sys
import time as _walltime  # the real clock, grabbed before any patching

from simboard import esp32 as sim_esp32
from simboard import machine as sim_machine
from simboard import time as sim_time
from simboard import world as _world
from simboard.world import ChipReset, ScriptedSerial, SimEnd

_PATCHED = ("machine", "time", "esp32", "micropython")
IS_MPY = sys.implementation.name == "micropython"


def wall_time():
    """Seconds from the host's real clock (for speed measurements)."""
    if IS_MPY:
        return _walltime.ticks_us() / 1000000.0
    return _walltime.perf_counter()


def makedirs(path):
    parts = path.split("/")
    cur = "/" if path.startswith("/") else ""
    for p in parts:
        if not p:
            continue
        cur = cur + p if cur in ("", "/") else cur + "/" + p
        try:
            os.stat(cur)
        except OSError:
            os.mkdir(cur)


def _abspath(p):
    if p.startswith("/"):
        return p
    return os.getcwd() + "/" + p


class _Installed:
    """sys.modules / sys.path / cwd while the firmware runs; restore() undoes it."""

    def __init__(self, firmware, flash, mpy_dir=None):
        self.mpy_dir = mpy_dir
        self.saved = {}
        for k in _PATCHED:
            self.saved[k] = sys.modules.get(k)
        self.firmware = firmware
        self.cwd = os.getcwd()
        self.had_print_exc = hasattr(sys, "print_exception")
        sys.modules["machine"] = sim_machine
        sys.modules["time"] = sim_time
        sys.modules["esp32"] = sim_esp32
        if self.saved["micropython"] is None and not IS_MPY:
            from simboard import upy
            sys.modules["micropython"] = upy
        if not self.had_print_exc:
            sys.print_exception = _print_exception
        sys.path.insert(0, firmware)
        if mpy_dir:
            sys.path.insert(0, mpy_dir)
        makedirs(flash)
        os.chdir(flash)

    def restore(self):
        os.chdir(self.cwd)
        for p in (self.firmware, self.mpy_dir):
            if p and p in sys.path:
                sys.path.remove(p)
        for k in _PATCHED:
            v = self.saved[k]
            if v is None:
                if k in sys.modules:
                    del sys.modules[k]
            else:
                sys.modules[k] = v
        if not self.had_print_exc:
            del sys.print_exception
        purge_firmware_modules(self.firmware, self.mpy_dir)


def _print_exception(exc, file=None):
    import traceback
    traceback.print_exception(type(exc), exc, exc.__traceback__, file=file or sys.stdout)


def purge_firmware_modules(firmware, mpy_dir=None):
    for k in list(sys.modules):
        m = sys.modules[k]
        f = getattr(m, "__file__", None) or ""
        if (k == "wand" or k.startswith("wand.") or (f and f.startswith(firmware + "/"))
                or (mpy_dir and f.startswith(mpy_dir + "/"))):
            del sys.modules[k]


def _exec_file(path, g):
    with open(path) as f:
        src = f.read()
    g["__file__"] = path.rsplit("/", 1)[-1]
    try:
        code = compile(src, path, "exec")
    except NameError:  # a port without compile()
        code = src
    exec(code, g)


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


class Runner:
    """Boots firmware on a world until the world's end time.

    entry: 'main' (exec main.py), 'app' (call wand.app.main(machine, time,
    esp32, observer=observer, dac=BOOT_DAC) after boot.py, handing over the
    DAC boot.py made as main.py does), or a callable f(globals, observer)
    called after boot.py.
    on_reset(t_ms, cause) and on_exception(t_ms, exc) are optional callbacks.
    mpy: run the firmware's modules from .mpy compiled by mpy-cross (default:
    on MicroPython only, where compiling inside the small heap does not fit).
    """

    def __init__(self, world, firmware, entry="main", observer=None,
                 on_reset=None, on_exception=None, max_boots=10000, mpy=None):
        self.world = world
        self.firmware = _abspath(firmware).rstrip("/")
        flash = world.flash_dir
        if flash is None:
            flash = "/tmp/simboard-flash-%d" % world.seed
            world.flash_dir = flash
        self.flash = _abspath(flash)
        world.flash_dir = self.flash
        self.entry = entry
        self.observer = observer
        self.on_reset = on_reset
        self.on_exception = on_exception
        self.max_boots = max_boots
        self.exceptions = []
        self.mpy_dir = None
        if IS_MPY if mpy is None else mpy:
            h = 0
            for ch in self.firmware:
                h = (h * 31 + ord(ch)) & 0xFFFFFF
            from simboard import mpyc

            self.mpy_dir = mpyc.compile_firmware_mpy(self.firmware, "/tmp/simboard-fw-mpy-%06x" % h)
            del sys.modules["simboard.mpyc"]  # only needed once: give the heap back

    def run(self):
        w = self.world
        _world.attach(w)
        inst = _Installed(self.firmware, self.flash, self.mpy_dir)
        try:
            reason = None
            boots = 0
            while boots < self.max_boots:
                if reason is not None:
                    try:
                        w.reboot(reason)
                    except ChipReset as e:  # e.g. power cut while asleep
                        reason = e
                        continue
                    if self.on_reset is not None:
                        t, name = w.resets[-1]
                        self.on_reset(t, name)
                boots += 1
                reason = self._boot_once()
        except SimEnd:
            pass
        finally:
            inst.restore()
        return self.result()

    def result(self):
        w = self.world
        w.plant.advance(w.now)
        return {"stats": w.plant.stats(), "resets": list(w.resets), "end_ms": w.now // 1000,
                "exceptions": list(self.exceptions)}

    def _report(self, exc):
        t = self.world.now // 1000
        self.exceptions.append((t, type(exc).__name__, str(exc)))
        if self.on_exception is not None:
            self.on_exception(t, exc)

    def _boot_once(self):
        """Run one boot; return the reset that ended it (ChipReset or 'soft')."""
        w = self.world
        purge_firmware_modules(self.firmware, self.mpy_dir)
        gc.collect()  # RAM is lost on a reset: start each boot with a clean heap
        g = {"__name__": "__main__"}
        if self.entry == "main" and self.observer is not None:
            self._observe_main()
        try:
            for name in ("boot.py", "main.py"):
                path = self.firmware + "/" + name
                if name == "main.py" and self.entry != "main":
                    self._call_entry(g)
                    break
                if not _exists(path):
                    continue
                try:
                    _exec_file(path, g)
                except SystemExit:
                    if w.soft_reset_requested:
                        return "soft"
                    if name == "main.py":
                        break
                except KeyboardInterrupt as e:
                    self._report(e)
                    if name == "main.py":
                        break
                except Exception as e:  # printed on the console; boot.py failing does not stop main.py
                    self._report(e)
                    if name == "main.py":
                        break
            if w.soft_reset_requested:
                return "soft"
            return w.idle_forever()
        except ChipReset as e:
            return e

    def _observe_main(self):
        """Hand the observer to the firmware's `wand.app.main` without a hook in
        main.py: wrap the function main.py will import. (A firmware whose
        wand.app does not import is left alone: main.py reports that itself.)"""
        try:
            import wand.app as appmod
        except Exception:  # noqa: BLE001
            purge_firmware_modules(self.firmware, self.mpy_dir)
            return
        real = appmod.main
        obs = self.observer

        w = self.world

        def main_observed(*args, **kwargs):
            if kwargs.get("observer") is None:
                kwargs["observer"] = obs
            if kwargs.get("serial") is None and w.console_scripted:
                kwargs["serial"] = ScriptedSerial(w)  # the lines the scenario types
            return real(*args, **kwargs)

        appmod.main = main_observed

    def _call_entry(self, g):
        try:
            if self.entry == "app":
                import wand.app
                wand.app.main(sim_machine, sim_time, sim_esp32, observer=self.observer, dac=g.get("BOOT_DAC"),
                              serial=ScriptedSerial(self.world) if self.world.console_scripted else None)
            else:
                self.entry(g, self.observer)
        except SystemExit:
            pass  # soft_reset() sets world.soft_reset_requested; _boot_once checks it
        except KeyboardInterrupt as e:
            self._report(e)
        except Exception as e:
            self._report(e)


def run(world, firmware, **kw):
    """Convenience: Runner(world, firmware, **kw).run()."""
    return Runner(world, firmware, **kw).run()


# ---------------------------------------------------------------------------
# text output shared by both interpreters

def fixed(x, nd=3):
    """Format a float with nd decimals using integer arithmetic only."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    neg = x < 0
    if neg:
        x = -x
    scale = 10 ** nd
    n = int(x * scale + 0.5)
    s = str(n // scale)
    if nd:
        frac = str(n % scale)
        s = s + "." + "0" * (nd - len(frac)) + frac
    if neg and n:
        s = "-" + s
    return s


def fmt_arg(a):
    if isinstance(a, float):
        return fixed(a, 3)
    s = str(a)
    return s.replace(" ", "_") if s else "''"


class LineObserver:
    """Prints firmware observer events as `E <t_ms> <kind> <args...>`."""

    def __init__(self, world, out):
        self.world = world
        self.out = out
        self.count = 0

    def event(self, now_ms, kind, *args):
        self.count += 1
        line = "E %d %s" % (self.world.now // 1000, kind)
        if args:
            line += " " + " ".join(fmt_arg(a) for a in args)
        self.out(line)


def sample_line(w):
    pl = w.plant
    pl.advance(w.now)
    i = pl.load_current() * 1e6
    P = w.P
    pwm = w.pwm

    def led(n):
        if n in pwm:
            return pwm[n][1]
        return 65535 if (w.pmode[n] == 3 and w.pout[n]) else 0

    bz = P["buzzer"]
    tone = pwm[bz][0] if (bz in pwm and pwm[bz][1] > 0) else 0
    dac = pl.dac_code if pl.dac_on else 0
    return "S %d %s %d %d %d %d" % (w.now // 1000, fixed(i, 1), dac, led(P["led_green"]),
                                    led(P["led_red"]), tone)


def main(argv=None):
    if argv is None:
        argv = sys.argv[1:]
    from simboard import cli

    try:
        opts = cli.parse_args(argv)
        if not _exists(opts["firmware"]):
            raise ValueError("no firmware folder %s" % opts["firmware"])
        w = cli.build_world(opts)
    except (ValueError, OSError) as e:
        sys.stderr.write("simboard: %s\n" % e)
        return 2
    if IS_MPY:
        cli = None
        del sys.modules["simboard.cli"]  # give the heap back to the firmware
    out = print
    fw = _abspath(opts["firmware"]).rstrip("/")
    entry = opts["entry"]
    if entry is None:
        entry = "main" if _exists(fw + "/main.py") else "app"
    if opts["trace_ms"] > 0:
        w.set_sampler(opts["trace_ms"], lambda world: out(sample_line(world)))
        # exact phases: `P <t0_ms> <t1_ms> <charge_uC>` as each one closes
        # (to 0.1 fC: a steady wave repeats its phases' rounding errors, which at
        # 0.1 pC added up to 0.22 uC over a 5-minute `tone` session at level 1,
        # read as DC by the oracle, fuzz round 30)
        w.plant.on_phase = lambda t0, t1, q: out("P %d %d %s" % (t0 // 1000, t1 // 1000, fixed(q * 1e6, 7)))
        # the exact peak of every 10 ms slot, `L <t_end_ms> <peak_uA>`, printed when it
        # changes: the oracle's SR-05 envelope (sampled, a one-tick step after a stall's
        # stretched cycle read as 90 uA/s, red team rt2)
        last = [-1.0]

        def on_slot(t_end, pk):
            v = fixed(pk * 1e6, 2)
            if v != last[0]:
                last[0] = v
                out("L %d %s" % (t_end // 1000, v))

        w.plant.on_slot = on_slot
    obs = LineObserver(w, out)

    def on_reset(t, cause):
        out("R %d %s" % (t, cause))

    def on_exc(t, exc):
        out("X %d %s %s" % (t, type(exc).__name__, fmt_arg(str(exc))))

    r = Runner(w, fw, entry=entry, observer=obs, on_reset=on_reset, on_exception=on_exc)
    res = r.run()
    summary = dict(res["stats"])
    summary["resets"] = [[t, c] for t, c in res["resets"]]
    summary["boots"] = w.boot_count + 1
    summary["end_ms"] = res["end_ms"]
    summary["seed"] = opts["seed"]
    summary["events"] = obs.count
    res = None
    gc.collect()
    from simboard.cli import to_json

    # key by key: one long string may not fit a fragmented 100 KB heap
    sys.stdout.write("SUMMARY {")
    first = True
    for k in sorted(summary):
        sys.stdout.write(("" if first else ", ") + to_json(k) + ": " + to_json(summary[k]))
        first = False
    sys.stdout.write("}\n")
    return 0

