"""The simulated machine rejects what the ESP32 port rejects."""

import pytest

from simboard import esp32 as sim_esp32
from simboard import machine as m
from simboard import time as t


def test_dac_only_on_gpio25_and_26(world):
    with pytest.raises(ValueError, match="invalid Pin for DAC"):
        m.DAC(m.Pin(27))
    m.DAC(m.Pin(26))  # the other DAC channel is fine


def test_dac_write_out_of_range_and_float_rejected(world):
    dac = m.DAC(m.Pin(25))
    for bad in (-1, 256, 1000):
        with pytest.raises(ValueError, match="value out of range"):
            dac.write(bad)
    with pytest.raises(TypeError):
        dac.write(12.5)
    dac.write(255)
    assert world.plant.dac_code == 255


def test_second_dac_on_same_pin_in_one_boot_raises_oserror(world):
    m.DAC(m.Pin(25))
    with pytest.raises(OSError) as e:
        m.DAC(m.Pin(25))
    assert "ESP_ERR_INVALID_STATE" in str(e.value)


def test_output_mode_on_input_only_pins_rejected(world):
    for n in (34, 35, 36, 39):
        with pytest.raises(ValueError, match="pin can only be input"):
            m.Pin(n, m.Pin.OUT)
        with pytest.raises(ValueError, match="pin can only be input"):
            m.Pin(n, m.Pin.OPEN_DRAIN)
    assert m.Pin(34, m.Pin.IN) is not None


def test_flash_pins_and_missing_gpio_numbers_are_invalid(world):
    for n in (6, 7, 8, 9, 10, 11, 20, 24, 28, 31, 40, -1):
        with pytest.raises(ValueError, match="invalid pin"):
            m.Pin(n, m.Pin.IN)


def test_wdt_id_must_be_zero_and_timeout_positive(world):
    with pytest.raises(ValueError):
        m.WDT(1, 1000)
    with pytest.raises(ValueError, match="WDT timeout too short"):
        m.WDT(0, 0)
    assert not world.wdt_on
    m.WDT(0, 800)
    assert world.wdt_on and world.wdt_timeout == 800_000


def test_adc_rejects_pins_without_adc(world):
    for n in (5, 16, 18, 23):
        with pytest.raises(ValueError, match="invalid pin"):
            m.ADC(m.Pin(n))
    adc = m.ADC(m.Pin(36), atten=m.ADC.ATTN_11DB)
    assert isinstance(adc.read_uv(), int)


def test_pwm_frequency_and_duty_ranges(world):
    with pytest.raises(ValueError, match="frequency must be from 1Hz to 40MHz"):
        m.PWM(m.Pin(18), freq=0)
    with pytest.raises(ValueError, match="frequency must be from 1Hz to 40MHz"):
        m.PWM(m.Pin(18), freq=40_000_001)
    p = m.PWM(m.Pin(18), freq=1000, duty_u16=0)
    with pytest.raises(ValueError, match="duty_u16"):
        p.duty_u16(65536)
    p.duty_u16(65535)
    assert p.duty_u16() == 65535 and p.freq() == 1000
    p.deinit()
    with pytest.raises(RuntimeError):
        p.duty_u16(1)


def test_pwm_on_input_only_pin_rejected(world):
    with pytest.raises(ValueError, match="pin can only be input"):
        m.PWM(m.Pin(34), freq=1000)


def test_rtc_memory_limit_and_round_trip(world):
    rtc = m.RTC()
    rtc.memory(b"wand:repl")
    assert m.RTC().memory() == b"wand:repl"
    with pytest.raises(ValueError):
        rtc.memory(bytes(2049))


def test_wake_on_ext0_needs_rtc_pin(world):
    with pytest.raises(ValueError, match="invalid pin"):
        sim_esp32.wake_on_ext0(m.Pin(18), sim_esp32.WAKEUP_ALL_LOW)
    sim_esp32.wake_on_ext0(m.Pin(13), sim_esp32.WAKEUP_ALL_LOW)
    assert world.ext0 == (13, 0)


def test_misspelled_api_is_an_attribute_error(world):
    p = m.Pin(27, m.Pin.OUT, value=0)
    with pytest.raises(AttributeError):
        p.write(1)  # not a Pin method
    with pytest.raises(AttributeError):
        t.sleep_milliseconds(1)


def test_reset_cause_constants_match_the_port():
    assert (m.PWRON_RESET, m.HARD_RESET, m.WDT_RESET, m.DEEPSLEEP_RESET, m.SOFT_RESET) == (1, 2, 3, 4, 5)
    assert (m.Pin.IN, m.Pin.OUT, m.Pin.OPEN_DRAIN, m.Pin.PULL_UP, m.Pin.PULL_DOWN) == (1, 3, 7, 2, 1)


def test_floating_input_reads_random_levels_but_pull_up_reads_high(world):
    floating = m.Pin(4, m.Pin.IN)
    levels = {floating.value() for _ in range(64)}
    assert levels == {0, 1}
    pulled = m.Pin(13, m.Pin.IN, m.Pin.PULL_UP)
    assert {pulled.value() for _ in range(64)} == {1}
