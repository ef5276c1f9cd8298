"""Property test (hypothesis) of the safety invariants over random sequences
of user actions, load changes and injected faults, on the real firmware:
- the load current never exceeds limit*1.10 + 10 µA for more than 2
  consecutive ticks, and never 600 µA;
- after a trip the output stays off until the fault is acknowledged;
- every complete cycle is charge balanced (1 % of the phase charge, with the
  engine's floor of 0.05 µC on the smallest phases)."""

import pytest
from harness import max_consecutive_above, simulate, verdict
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.slow  # hypothesis over full firmware runs

ACTIONS = st.one_of(
    st.tuples(st.just("press"), st.sampled_from(["power", "level"]), st.sampled_from([0.15, 1.0, 2.0])),
    st.tuples(st.just("contact"), st.sampled_from(["off", "on"])),
    st.tuples(st.just("load"), st.sampled_from([500, 2000, 10000, 47000, 150000, "skin"])),
    st.tuples(st.just("inject"), st.sampled_from(
        ["gain_drift=1.3", "gain_drift=0.85", "sense_stuck", "sense_open", "sense_gain=1.25", "short",
         "battery_low", "clear", "short=off"])),
    st.tuples(st.just("usb"), st.sampled_from(["on", "off"])),
)


# no shrinking: a failure is reported at once (a full-board run per step would
# take the test past its timeout); `wandctl fuzz` shrinks its findings
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(
    user_max=st.sampled_from([100, 300, 500]),
    level=st.integers(1, 10),
    program=st.sampled_from(["lift", "tone", "smooth", "pulse"]),
    events=st.lists(st.tuples(st.floats(2.0, 28.0), ACTIONS), max_size=8),
    seed=st.integers(0, 1000),
)
def test_sr01_sr04_sr12_invariants_hold_under_random_sequences(user_max, level, program, events, seed):
    script = [(1.0, "press", "power", 0.2)]
    for t, act in sorted(events, key=lambda e: e[0]):
        script.append((round(t, 2),) + tuple(act))
    run = simulate(script, seconds=30, seed=seed, sample_ms=5 if program == "smooth" else 10,
                   settings={"user_max_ua": user_max, "level": level, "program": program})
    limit = user_max * 1.10 + 10
    assert max_consecutive_above(run.samples, limit) <= 2
    assert max(abs(s.ua) for s in run.samples) <= 600
    # latched: no current between a fault and its acknowledge (or the end)
    faults = [e[0] for e in run.events if e[1] == "fault"]
    clears = [e[0] for e in run.events if e[1] == "fault_cleared"]
    for tf in faults:
        tc = min([c for c in clears if c > tf], default=10**9)
        assert all(abs(s.ua) < 1 for s in run.samples if tf + 10 < s.t < tc), (tf, tc)
    # the trace oracle: SR-01 (excursions judged against the injected
    # hardware faults), SR-04 (full cycles, and the re-balance after a lift),
    # SR-12 (no current after a fault without a deliberate act)
    v = verdict(run)
    for sr in ("SR-01", "SR-04", "SR-12"):
        assert v[sr]["ok"], (sr, v[sr], v["violations"])
