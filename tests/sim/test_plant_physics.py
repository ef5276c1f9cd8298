"""The analog model: hardware limiter (SR-01 layer 3), compliance, bridge,
skin RC, sensing and the true-output accounting."""

import math

import pytest

from simboard import machine as m
from simboard import time as t
from simboard.config import load_board
from simboard.plant import Plant

from .conftest import make_world

LOADS = (50, 500, 2000, 10_000, 47_000, None)  # None: the skin model


def _stage(world):
    oe = m.Pin(27, m.Pin.OUT, value=0)
    a = m.Pin(32, m.Pin.OUT, value=0)
    b = m.Pin(33, m.Pin.OUT, value=0)
    dac = m.DAC(m.Pin(25))
    return oe, a, b, dac


def _biphasic(world, a, b, periods, half_ms=5):
    for _ in range(periods):
        b.value(0)
        a.value(1)
        t.sleep_ms(half_ms)
        a.value(0)
        b.value(1)
        t.sleep_ms(half_ms)
    b.value(0)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("load", LOADS)
def test_sr01_hardware_limiter_never_above_600ua_with_dac_full_scale_into_any_load(seed, load, tmp_path):
    """SR-01 layer 3: DAC stuck at 255 never pushes more than 600 uA through the skin."""
    w = make_world(seed=seed, flash_dir=str(tmp_path))
    if load is not None:
        w.act_load(load)
    oe, a, b, dac = _stage(w)
    dac.write(255)
    oe.value(1)
    _biphasic(w, a, b, 50)
    st = w.stats()
    assert 0 < st["peak_ua"] <= 600.0
    assert w.plant.i_src <= 600e-6


@pytest.mark.parametrize("drift", (1.3, 2.0, 3.0))
def test_sr01_hardware_limiter_holds_under_gain_drift(drift, tmp_path):
    """SR-01 layer 3 under a gain drift of up to 3x: at most 600 uA, at most about hw_limit_ua."""
    w = make_world(seed=5, flash_dir=str(tmp_path))
    w.act_load(500)
    w.inject("gain_drift=%s" % drift)
    oe, a, b, dac = _stage(w)
    dac.write(255)
    oe.value(1)
    _biphasic(w, a, b, 100)
    peak = w.stats()["peak_ua"]
    assert peak <= 600.0
    hw = load_board()["analog"]["hw_limit_ua"]
    assert peak == pytest.approx(hw, rel=0.025)  # the limiter, not the DAC, sets it


def test_stage_gain_follows_board_json_within_tolerance(world):
    a_ = load_board()["analog"]
    ua_per_code = a_["dac_full_scale_mv"] / 255.0 * a_["vi_divider_ratio"] / a_["r_set_ohms"] * 1000.0
    world.act_load(2000)
    oe, a, b, dac = _stage(world)
    dac.write(100)
    oe.value(1)
    a.value(1)
    t.sleep_ms(20)
    i = world.load_current() * 1e6
    assert i == pytest.approx(100 * ua_per_code, rel=0.036)  # DAC 1.5 % + stage 2 %


def test_compliance_at_47k_limits_current_to_compliance_voltage_over_load(world):
    world.act_load(47_000)
    oe, a, b, dac = _stage(world)
    dac.write(255)
    oe.value(1)
    a.value(1)
    t.sleep_ms(50)
    i = world.load_current()
    assert i * 47_000 == pytest.approx(21.5, rel=1e-6)
    assert world.load_voltage() == pytest.approx(21.5, rel=1e-6)
    st = world.stats()
    assert st["compliance_s"] == pytest.approx(0.05, abs=0.001)
    # a moderate current fits under the compliance voltage
    dac.write(50)
    t.sleep_ms(10)
    assert world.load_current() * 47_000 < 21.5


def test_no_current_without_enable_or_with_both_legs_low(world):
    world.act_load(2000)
    oe, a, b, dac = _stage(world)
    dac.write(200)
    a.value(1)
    t.sleep_ms(10)
    assert world.load_current() == 0.0  # enable low
    a.value(0)  # (in this order: each call takes 20 us of virtual time)
    oe.value(1)
    t.sleep_ms(10)
    assert world.load_current() == 0.0  # no leg high
    assert world.stats()["abs_charge_uc"] == 0.0


def test_bridge_polarity_and_shoot_through(world):
    world.act_load(2000)
    oe, a, b, dac = _stage(world)
    dac.write(100)
    oe.value(1)
    a.value(1)
    t.sleep_ms(1)
    plus = world.load_current()
    a.value(0)
    b.value(1)
    t.sleep_ms(1)
    minus = world.load_current()
    assert plus > 0 and minus == pytest.approx(-plus)
    a.value(1)  # both legs: current flows in the bridge, not the load
    t.sleep_ms(1)
    assert world.load_current() == 0.0
    assert world.plant.sense_current() == pytest.approx(plus)
    assert world.stats()["shoot_through_s"] == pytest.approx(0.001, abs=1e-4)


def test_skin_capacitor_charges_exponentially_toward_i_times_r(world):
    """Series 1.5k + 15k || 100 nF: tau = 1.5 ms, V -> I*(Rs+Rp)."""
    oe, a, b, dac = _stage(world)
    dac.write(50)
    oe.value(1)
    a.value(1)
    pl = world.plant
    t_on = world.now
    i = world.load_current()
    v0 = world.load_voltage()
    assert v0 == pytest.approx(i * pl.skin_rs, rel=1e-6)  # capacitor empty at first
    t.sleep_us(1500)
    el = (world.now - t_on) * 1e-6
    tau = pl.skin_rp * pl.skin_c
    v_tau = world.load_voltage()
    vinf = i * (pl.skin_rs + pl.skin_rp)
    assert v_tau == pytest.approx(i * pl.skin_rs + i * pl.skin_rp * (1 - math.exp(-el / tau)), rel=1e-9)
    t.sleep_ms(20)
    assert world.load_voltage() == pytest.approx(vinf, rel=1e-3)


def test_contact_off_is_open_circuit_and_load_sense_sees_compliance(world):
    oe, a, b, dac = _stage(world)
    dac.write(80)
    oe.value(1)
    a.value(1)
    t.sleep_ms(5)
    assert world.load_current() > 0
    world.act_contact("off")
    t.sleep_ms(5)
    assert world.load_current() == 0.0
    assert world.load_voltage() == pytest.approx(21.5)
    world.act_contact("on")
    t.sleep_ms(5)
    assert world.load_current() > 0


def test_short_fault_is_50_ohms(world):
    world.inject("short")
    oe, a, b, dac = _stage(world)
    dac.write(100)
    oe.value(1)
    a.value(1)
    t.sleep_ms(1)
    assert world.load_voltage() == pytest.approx(world.load_current() * 50.0)


def test_balanced_biphasic_output_has_near_zero_net_charge_per_cycle(world):
    world.act_load(2000)
    oe, a, b, dac = _stage(world)
    dac.write(90)
    oe.value(1)
    _biphasic(world, a, b, 200)
    st = world.stats()
    assert st["cycles"] == 199  # the first + phase pairs with the first - phase
    assert st["phase_charge_max_uc"] == pytest.approx(world.plant.peak * 0.005 * 1e6, rel=0.01)
    assert st["net_per_cycle_max_uc"] < 1e-6
    assert st["rms_ua"] == pytest.approx(st["peak_ua"], rel=1e-6)


def test_unbalanced_phases_show_up_in_net_charge_per_cycle(world):
    world.act_load(2000)
    oe, a, b, dac = _stage(world)
    dac.write(90)
    oe.value(1)
    for _ in range(20):
        a.value(1)
        t.sleep_ms(6)
        a.value(0)
        b.value(1)
        t.sleep_ms(4)
        b.value(0)
    st = world.stats()
    assert st["net_per_cycle_max_ratio"] == pytest.approx(2 / 6, rel=0.01)
    assert st["net_charge_uc"] > 0


def test_ramp_rate_is_measured_over_100ms_windows(world):
    world.act_load(2000)
    oe, a, b, dac = _stage(world)
    oe.value(1)
    a.value(1)
    for code in range(0, 101):  # 1 code per 10 ms: about 216 uA/s
        dac.write(code)
        t.sleep_ms(10)
    slow = world.stats()["ramp_max_ua_per_s"]
    assert 150 < slow < 260
    dac.write(0)  # a step down: 216 uA within one window
    t.sleep_ms(200)
    assert world.stats()["ramp_max_ua_per_s"] > 1500


def test_current_sense_reads_offset_plus_3_5_mv_per_ua(world):
    world.act_load(2000)
    oe, a, b, dac = _stage(world)
    adc = m.ADC(m.Pin(36), atten=m.ADC.ATTN_11DB)
    dac.write(100)
    oe.value(1)
    b.value(1)  # the sense is before the bridge: sees |I|
    t.sleep_ms(2)
    i_ua = abs(world.load_current()) * 1e6
    reads = [adc.read_uv() / 1000 for _ in range(200)]
    mean = sum(reads) / len(reads)
    assert mean == pytest.approx((200 + 3.5 * i_ua) * world.adc_cal, abs=1.0)
    assert 0.5 < (sum((r - mean) ** 2 for r in reads) / len(reads)) ** 0.5 < 4.0  # noise ~2 mV


def test_sense_faults(world):
    world.act_load(2000)
    oe, a, b, dac = _stage(world)
    adc = m.ADC(m.Pin(36), atten=m.ADC.ATTN_11DB)
    dac.write(100)
    oe.value(1)
    a.value(1)
    t.sleep_ms(2)
    world.inject("sense_stuck")
    stuck = adc.read_uv()
    dac.write(20)
    t.sleep_ms(5)
    assert {adc.read_uv() for _ in range(20)} == {stuck}
    world.inject("clear")
    world.inject("sense_open")
    assert adc.read_uv() == 0  # amplifier output at 0 V: the dead zone
    world.inject("clear")
    world.inject("sense_gain=0.5")
    v = adc.read_uv() / 1000
    i_ua = world.load_current() * 1e6
    assert v == pytest.approx((200 + 3.5 * i_ua * 0.5) * world.adc_cal, abs=8)


def test_battery_and_usb_sense(world):
    bat = m.ADC(m.Pin(34), atten=m.ADC.ATTN_11DB)
    usb = m.Pin(35, m.Pin.IN)
    v0 = bat.read_uv() / 1000 / 0.5
    assert 3600 < v0 < 4150
    assert usb.value() == 0
    world.inject("usb=on")
    assert usb.value() == 1
    world.inject("usb=off")
    world.inject("battery_low")
    assert bat.read_uv() / 1000 / 0.5 < 3450
    world.inject("battery_critical")
    assert bat.read_uv() / 1000 / 0.5 < 3300


def test_battery_discharges_with_time_but_not_on_usb(tmp_path):
    w = make_world(seed=2, flash_dir=str(tmp_path), end_s=10_000)
    soc0 = w.plant.soc_now()
    t.sleep(600)
    w.plant.advance(w.now)
    used = soc0 - w.plant.soc_now()
    assert used == pytest.approx(0.060 * 600 / (400 * 3.6), rel=0.01)  # 60 mA for 10 min
    w.inject("usb=on")
    soc1 = w.plant.soc_now()
    t.sleep(600)
    w.plant.advance(w.now)
    assert w.plant.soc_now() == soc1


def test_plant_accepts_a_board_dict():
    b = load_board()
    b2 = dict(b)
    b2["analog"] = dict(b["analog"], hw_limit_ua=300)
    p = Plant(b2, seed=0)
    p.dac_on = True
    p.dac_code = 255
    p._recompute()
    assert p.i_src <= 300e-6 * 1.021
