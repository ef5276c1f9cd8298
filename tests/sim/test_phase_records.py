"""The runner's exact phase records (`P t0 t1 uC` lines), which the trace
oracle sums for SR-04, keep their precision over a whole session."""

from simboard import simrun


def test_a_long_steady_session_sums_to_the_plants_net_charge(tmp_path):
    """Fuzz round 30: printed to 0.1 pC, the phases of a steady wave repeat
    the same rounding error every cycle; over a 5-minute `tone` session at
    level 1 that added up to 0.22 uC the oracle read as DC (4.4 % of a
    phase) while the plant's net charge was 0.002 uC."""
    script = tmp_path / "s.script"
    script.write_text("0.300 press power 0.2\n")
    res = simrun.run(simrun.SimOptions(script=str(script), program="tone", level=1, minutes=5, seconds=320, seed=1))
    total = sum(p[2] for p in res.phase_records) + float(res.plant.get("open_phase_uc", 0.0) or 0.0)
    net = float(res.plant["net_charge_uc"])
    assert len(res.phase_records) > 5000
    assert abs(total - net) < 0.005, (total, net)
    v = simrun.verdict(res)
    assert v["SR-04"]["ok"] and v["SR-04"]["dc_residue_max_pct"] < 1.0, v["violations"]
