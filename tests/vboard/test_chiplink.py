"""The chip link's supervisor end, in process: simboard's strict chip behind it."""

import pytest

from simboard import world as simworld
from simboard.vboard.chiplink import WORLD_LOCK, ChipLink, LinkError, encode_reply
from simboard.world import ChipReset, World


@pytest.fixture
def link(tmp_path):
    w = World({"call_us": 0}, seed=2, flash_dir=str(tmp_path))
    with WORLD_LOCK:
        simworld.attach(w)
        yield ChipLink(w)
        simworld.attach(None)


def test_calls_reach_the_world_and_errors_come_back_as_the_chip_raises_them(link):
    w = link.world
    ok, pin = link.run(("new", "Pin", (27,), {"mode": 3, "value": 1}))
    assert ok == "ok" and w.pout[27] == 1 and w.plant.oe == 1
    assert link.run(("call", pin, "value", (0,), {})) == ("ok", None) and w.plant.oe == 0
    _, p25 = link.run(("new", "Pin", (25,), {}))
    assert link.run(("new", "DAC", ({"@": p25},), {}))[0] == "ok"
    # one DAC per channel until a hard reset, as ESP-IDF's oneshot driver
    assert link.run(("new", "DAC", ({"@": p25},), {})) == ("err", "OSError", (-259, "ESP_ERR_INVALID_STATE"))
    assert link.run(("new", "DAC", ({"@": pin},), {})) == ("err", "ValueError", ("invalid Pin for DAC",))
    assert link.run(("new", "WDT", (0, 0), {})) == ("err", "ValueError", ("WDT timeout too short",))
    assert link.run(("fn", "machine", "soft_reset", (), {})) == ("err", "SystemExit", ())
    consts = link.run(("consts",))[1]
    assert consts["Pin"]["OUT"] == 3 and consts["machine"]["WDT_RESET"] == 3


def test_a_reset_is_not_answered_and_bad_requests_are_refused(link):
    with pytest.raises(ChipReset):
        link.run(("fn", "machine", "reset", (), {}))
    for bad in (b"x", b"1 (", b"2 42", b'3 ("call",)'):
        with pytest.raises((LinkError, ValueError)):
            link.run(link.request(bad)[1])
    with pytest.raises(LinkError):
        link.run(("fn", "machine", "__import__", ("os",), {}))
    with pytest.raises(LinkError):
        link.run(("call", 99, "value", (), {}))
    assert encode_reply(7, ("ok", b"\n")) == b"7 ('ok', b'\\n')\n"  # one line, whatever the bytes


def test_the_watchdog_reconfigures_over_the_link_sr02(link):
    w = link.world
    _, wdt = link.run(("new", "WDT", (0, 1000), {}))
    assert w.wdt_timeout == 1_000_000
    link.run(("new", "WDT", (0, 86_400_000), {}))  # leave(): relaxed, same watchdog
    assert w.wdt_timeout == 86_400_000_000
    w.run_to(w.now + 5_000_000)  # 5 s unfed: no reset at 24 h
    assert link.run(("call", wdt, "feed", (), {})) == ("ok", None)
    link.run(("new", "WDT", (0, 1000), {}))
    with pytest.raises(ChipReset):
        w.run_to(w.now + 1_100_000)
