"""Clock, ADC, buttons, determinism of the simulated chip."""

import pytest

from simboard import machine as m
from simboard import time as t
from simboard.rng import Rng
from simboard.world import TICKS_PERIOD

from .conftest import make_world


def _adc_stream(seed, tmp_path, n=300):
    make_world(seed=seed, flash_dir=str(tmp_path))
    adc = m.ADC(m.Pin(34), atten=m.ADC.ATTN_11DB)
    out = []
    for _ in range(n):
        out.append((t.ticks_us(), adc.read_uv(), adc.read_u16()))
        t.sleep_ms(10)
    return out


def test_same_seed_gives_identical_sample_stream(tmp_path):
    assert _adc_stream(7, tmp_path) == _adc_stream(7, tmp_path)


def test_different_seed_gives_different_noise(tmp_path):
    a = [r[1] for r in _adc_stream(7, tmp_path)]
    b = [r[1] for r in _adc_stream(8, tmp_path)]
    assert a != b
    assert len(set(a)) > 3  # noise, not a constant


def test_xorshift_sequence_is_fixed():
    """The PRNG both interpreters share: pinned so a change is noticed."""
    r = Rng(0)
    first = [r.next() for _ in range(3)]
    r2 = Rng(0)
    assert first == [r2.next() for _ in range(3)]
    assert all(0 < x < 2**32 for x in first)
    u = [Rng(s).uniform(-1, 1) for s in range(200)]
    assert -1 <= min(u) < -0.8 and 0.8 < max(u) <= 1


def test_adc_dead_zone_reads_zero_at_or_below_100mv(world):
    for mv in (0.0, 50.0, 95.0):
        assert world._adc_uv(mv, 3, noisy=False) == 0
    # 100..150 mV is non-linear (below the true value), above that linear
    assert 0 < world._adc_uv(130.0 / world.adc_cal, 3, noisy=False) < 130_000
    assert world._adc_uv(1000.0 / world.adc_cal, 3, noisy=False) == 1_000_000
    # above 2450 mV it compresses toward about 3100 mV
    hi = world._adc_uv(3300.0, 3, noisy=False)
    assert 2450_000 < hi <= 3100_000
    assert hi < 3300_000 * world.adc_cal - 300_000


def test_current_sense_with_output_off_reads_the_offset_not_zero(world):
    adc = m.ADC(m.Pin(36), atten=m.ADC.ATTN_11DB)
    v = adc.read_uv()
    assert v % 1000 == 0
    assert 190_000 < v < 210_000


def test_read_u16_spread_across_chips_is_up_to_about_9_percent(tmp_path):
    ratios = []
    for seed in range(40):
        w = make_world(seed=seed, flash_dir=str(tmp_path))
        adc = m.ADC(m.Pin(34), atten=m.ADC.ATTN_11DB)
        uv = sum(adc.read_uv() for _ in range(20)) / 20
        raw = sum(adc.read_u16() for _ in range(20)) / 20
        # nominal scaling: 3900 mV full scale at a 1100 mV reference
        nominal_raw = uv / 1000 * 65535 / 3900
        ratios.append(raw / nominal_raw)
        assert w.vref >= 1000 and w.vref <= 1200
    assert min(ratios) < 0.97 and max(ratios) > 1.03
    assert 0.89 < min(ratios) and max(ratios) < 1.12


def test_ticks_ms_wraps_at_2_pow_30_and_ticks_diff_handles_it(tmp_path):
    w = make_world(seed=0, flash_dir=str(tmp_path), start_ticks_ms=TICKS_PERIOD - 50)
    t0 = t.ticks_ms()
    assert t0 >= TICKS_PERIOD - 50
    t.sleep_ms(100)
    t1 = t.ticks_ms()
    assert t1 < 100  # wrapped
    assert t.ticks_diff(t1, t0) == pytest.approx(100, abs=1)
    assert t.ticks_diff(t0, t1) == -t.ticks_diff(t1, t0)
    assert t.ticks_add(TICKS_PERIOD - 1, 1) == 0
    assert t.ticks_diff(t.ticks_add(t0, 5000), t0) == 5000
    with pytest.raises(OverflowError):
        t.ticks_add(0, TICKS_PERIOD // 2)
    assert w.now >= 100_000


def test_default_start_is_a_few_seconds_before_the_wrap(world):
    assert TICKS_PERIOD - 10_000 < t.ticks_ms() < TICKS_PERIOD


def test_every_chip_call_costs_virtual_time_so_busy_waits_end(world):
    t0 = t.ticks_us()
    deadline = t.ticks_add(t.ticks_ms(), 5)
    n = 0
    while t.ticks_diff(deadline, t.ticks_ms()) > 0:
        n += 1
    assert 100 < n < 1000
    assert t.ticks_diff(t.ticks_us(), t0) >= 5000


def _trace(pin, world, ms):
    out = []
    for _ in range(ms * 5):
        out.append((world.now, pin.value()))
        t.sleep_us(200)
    return out


def _edges(trace):
    return [(tt, v) for (tt, v), (_, pv) in zip(trace[1:], trace, strict=False) if v != pv]


def test_button_press_has_contact_bounce_on_both_edges(world):
    btn = m.Pin(13, m.Pin.IN, m.Pin.PULL_UP)
    world.at(100, "press", "power", 0.3)
    tr = _trace(btn, world, 600)
    press = [e for e in _edges(tr) if 100_000 <= e[0] < 140_000]
    release = [e for e in _edges(tr) if 400_000 <= e[0] < 440_000]
    assert len(press) >= 3 and len(release) >= 3  # chatter, not a clean edge
    assert press[-1][1] == 0 and release[-1][1] == 1
    settled = [v for tt, v in tr if 140_000 <= tt < 400_000]
    assert set(settled) == {0}
    assert press[-1][0] - 100_000 <= 30_000 + 200  # chatter ends within 30 ms


def test_button_bounce_is_seeded(tmp_path):
    def edges(seed):
        w = make_world(seed=seed, flash_dir=str(tmp_path))
        btn = m.Pin(14, m.Pin.IN, m.Pin.PULL_UP)
        w.at(50, "press", "level", 0.1)
        return _edges(_trace(btn, w, 200))

    assert edges(3) == edges(3)
    assert edges(3) != edges(4)


def test_scheduled_events_happen_during_sleep_in_time_order(world):
    seen = []
    world.at(30, lambda w, tag: seen.append((w.now, tag)), "b")
    world.at(10, lambda w, tag: seen.append((w.now, tag)), "a")
    t.sleep_ms(50)
    assert seen == [(10_000, "a"), (30_000, "b")]


def test_stall_makes_the_next_sleep_3_seconds_longer(world):
    world.at(5, "stall")
    t.sleep_ms(10)
    t0 = world.now
    t.sleep_ms(10)
    assert world.now - t0 == 3_010_000 + world.call_us  # + the cost of the call itself


def test_a_press_shorter_than_its_bounce_still_ends_released(world):
    btn = m.Pin(13, m.Pin.IN, m.Pin.PULL_UP)
    world.at(10, "press", "power", 0.004)
    tr = _trace(btn, world, 120)
    times = [tt for tt, _ in tr]
    assert times == sorted(times)
    assert [v for tt, v in tr if tt >= 60_000] == [1] * len([1 for tt, _ in tr if tt >= 60_000])
    assert 0 in [v for tt, v in tr if 10_000 <= tt < 14_000]
