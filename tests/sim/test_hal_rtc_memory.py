"""wand.hal's fields in RTC memory (the latched fault, SR-12; the idle seconds,
SR-07) on the simulated chip's RTC: one preallocated layout, each write keeps
the other field, and what older firmware left is read or ignored."""

import pytest

from simboard import esp32 as sim_esp32
from simboard import machine as m
from simboard import time as sim_time


@pytest.fixture
def new_board(world):
    """Make a board as each boot does (a reset: the same RTC memory), with the boot's one DAC."""
    from wand import board
    from wand.hal import Esp32Board

    dac = m.DAC(m.Pin(board.PIN_DAC))
    return lambda: Esp32Board(m, sim_time, sim_esp32, dac=dac)


def test_the_fault_and_the_idle_seconds_share_rtc_memory_and_keep_each_other(world, new_board):
    b = new_board()
    assert b.stored_fault() == 0 and b.stored_idle_ms() == 1000  # empty after a power-on
    b.store_fault(7)
    b.store_idle_s(12)
    assert world.rtc_mem == b"wand:f00007i00012w00000"
    b2 = new_board()  # after a reset: a new board reads what the old one wrote
    assert b2.stored_fault() == 7 and b2.stored_idle_ms() == 13000
    b2.store_idle_s(13)  # its first write keeps the fault
    assert b2.stored_fault() == 7 and world.rtc_mem == b"wand:f00007i00013w00000"
    b2.store_fault(0)
    assert b2.stored_fault() == 0 and b2.stored_idle_ms() == 14000
    b2.store_idle_s(10**9)  # clamped to its five digits
    assert b2.stored_idle_ms() == 99999 * 1000 + 1000


def test_rtc_memory_of_older_firmware_or_of_anything_else_is_read_safely(world, new_board):
    m.RTC().memory(b"wand:f7")  # the older layout: the fault is kept
    b = new_board()
    assert b.stored_fault() == 7 and b.stored_idle_ms() == 1000
    for junk in (b"wand:r", b"keep", b"wand:fx", b"wand:f", bytes(range(256))):
        m.RTC().memory(junk)
        b = new_board()
        assert b.stored_fault() == 0 and b.stored_idle_ms() == 1000, junk


def test_a_sleep_begun_with_the_power_button_held_waits_for_its_release_and_keeps_the_fault(world, new_board):
    """Red team rt7: armed on the power button's low level while it was held (the switch-off's own long press, a
    stuck button), the chip woke at once from every sleep. Held, the sleep waits for the release (w1), and that
    wake is no power-up (woke_to_sleep); the fault and the idle seconds are kept beside it."""
    b = new_board()
    b.store_fault(7)
    world.act_hold("power")
    world.run_to(world.now + 100000)  # (its chatter over)
    try:
        b.deepsleep()
    except BaseException:  # noqa: BLE001 - the simulated chip stops here (ChipReset)
        pass
    assert world.rtc_mem.startswith(b"wand:f00007") and world.rtc_mem.endswith(b"w00001"), world.rtc_mem
    assert world.ext0 is not None and world.ext0[1] == 1  # armed on the release (high)
