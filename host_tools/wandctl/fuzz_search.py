"""The search of wandctl fuzz: batches of Hypothesis examples judged one by one until the budget is spent;
a violation is shrunk (same class only) and written as a replayable `wandctl sim --script` file."""

from __future__ import annotations

import random
import time
from pathlib import Path

from wandctl.errors import WandctlError
from wandctl.fuzz_judge import Scenario, judge, sim_paths, violation_classes
from wandctl.fuzz_strategies import strategies


def write_case(out: Path, scn: Scenario, verdict: dict, interpreter: str, n: int) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    classes = "-".join(c.lower().replace("-", "") for c in violation_classes(verdict)) or "violation"
    path = out / ("%s-%03d.script" % (classes, n))
    cmd = "wandctl sim --script %s --seed %d --seconds %g" % (path.name, scn.seed, scn.seconds)
    if scn.load_ohms is not None:
        cmd += " --load-ohms %g" % scn.load_ohms
    if interpreter != "cpython":
        cmd += " --interpreter " + interpreter
    head = ["# found by wandctl fuzz (%s); replay: %s" % (interpreter, cmd)]
    head += ["# " + v for v in verdict["violations"][:10]]
    path.write_text("\n".join(head) + "\n" + scn.script())
    return path


def fuzz(budget_s: float, seed: int, interpreter: str, out: Path | None, log=print, batch=25,
         max_scenarios=None, firmware=None, shrink_s=None) -> dict:
    """Run scenarios until the budget is spent (or max_scenarios were tried);
    shrink and write every violation. firmware: another firmware folder (the
    tests use a deliberately broken copy to show the search finds it)."""
    sim_paths()
    from hypothesis import HealthCheck, Phase, given
    from hypothesis import seed as hseed
    from hypothesis import settings as hsettings

    strat = strategies()
    t_end = time.monotonic() + budget_s
    counts = {"scenarios": 0, "violations": 0, "classes": {}, "files": [], "runs": 0}
    cache: dict = {}
    found_keys: set = set()
    failing: dict = {}
    shrink_until = [0.0]
    shrink_budget = shrink_s if shrink_s is not None else min(120.0, max(30.0, budget_s * 0.25))

    def check(scn):
        k = scn.key()
        if not failing and (time.monotonic() > t_end or (
                max_scenarios is not None and counts["scenarios"] >= max_scenarios)):
            return  # the budget is spent: the rest of this batch is not run
        if k in cache:
            v = cache[k]
        else:
            if time.monotonic() > shrink_until[0] and failing:
                v = {"ok": True, "violations": []}  # out of shrink time: no new runs
            else:
                try:
                    v = judge(scn, interpreter, firmware)
                except WandctlError as e:  # the simulator itself failed: say so, keep the case, go on
                    counts["tool_errors"] = counts.get("tool_errors", 0) + 1
                    where = ""
                    if out is not None:
                        failed = {"violations": ["tool-error: " + str(e)[:300].replace("\n", " ")]}
                        where = " -> %s" % write_case(out, scn, failed, interpreter,
                                                      1000 + counts["tool_errors"]).name
                    log("fuzz: scenario not run%s: %s" % (where, str(e)[:200]))
                    v = {"ok": True, "violations": []}
                counts["runs"] += 1
                cache[k] = v
        if not failing:
            counts["scenarios"] += 1
        if not v["ok"]:
            cls = tuple(violation_classes(v))
            if "cls" in failing and failing["cls"] != cls:
                return  # shrinking must keep the same class of violation
            if "cls" not in failing:
                shrink_until[0] = time.monotonic() + shrink_budget
            failing["cls"] = cls
            failing["scn"] = scn
            failing["v"] = v
            raise AssertionError("; ".join(v["violations"][:3]))

    rnd = random.Random(seed)
    b = 0
    while time.monotonic() < t_end:
        b += 1
        failing.clear()
        cache.clear()
        test = hsettings(max_examples=batch, deadline=None, database=None, derandomize=False,
                         suppress_health_check=list(HealthCheck),
                         phases=[Phase.generate, Phase.shrink])(given(strat)(check))
        test = hseed(rnd.getrandbits(32))(test)
        n0 = counts["scenarios"]
        try:
            test()
        except AssertionError:
            pass
        except Exception as e:  # hypothesis' own complaints (e.g. flaky) end this batch only
            if not failing:
                import traceback

                traceback.print_exc()
                raise WandctlError("fuzz: %s: %s" % (type(e).__name__, e)) from None
        if failing:
            scn, v = failing["scn"], failing["v"]
            key = (failing["cls"], tuple(v["violations"][:1]))
            counts["violations"] += 1
            for c in failing["cls"]:
                counts["classes"][c] = counts["classes"].get(c, 0) + 1
            if key not in found_keys and out is not None:
                p = write_case(out, scn, v, interpreter, counts["violations"])
                counts["files"].append(str(p))
                log("fuzz: violation %s -> %s" % (",".join(failing["cls"]), p))
            else:
                log("fuzz: violation %s" % ",".join(failing["cls"]))
            for line in v["violations"][:3]:
                log("  " + line)
            found_keys.add(key)
        elif counts["scenarios"] == n0:
            break
        if max_scenarios is not None and counts["scenarios"] >= max_scenarios:
            break
    return counts
