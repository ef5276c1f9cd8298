"""wand.programs: the program table, its look-ups, each program's nominal
rate and the loop period that can time it. Runs on CPython and on the
MicroPython unix port."""

from wand import programs as pg


def test_names_in_table_order_and_the_default_is_one_of_them():
    assert pg.names() == ["lift", "tone", "smooth", "pulse"]
    assert pg.DEFAULT in pg.names()
    assert pg.PROBE[pg.NAME] not in pg.names()  # the contact probe is no user program


def test_find_and_index():
    assert pg.find("smooth") is pg.PROGRAMS[2]
    assert pg.find("pulse") == ("pulse", 3000, 500, 100)
    assert pg.find("probe") is None and pg.find("") is None and pg.find("LIFT") is None
    for i, name in enumerate(pg.names()):
        assert pg.index(name) == i
    assert pg.index("nope") == -1


def test_every_program_is_well_formed():
    for p in pg.PROGRAMS + (pg.PROBE,):
        name, half, period, on = p
        assert 0 < on <= period <= half, p
        assert half % period == 0, p  # a half holds whole pulse periods
        # SR-04: balanced within each polarity period of at most 10 s
        assert 2 * half <= 10000, p


def test_frequency_in_millihertz():
    # biphasic squares: one positive and one negative half a cycle
    assert pg.frequency_mhz(pg.find("lift")) == 500  # 0.5 Hz
    assert pg.frequency_mhz(pg.find("tone")) == 10000  # 10 Hz
    assert pg.frequency_mhz(pg.find("smooth")) == 100000  # 100 Hz
    # a pulse train: its pulse rate, 2 Hz, not the 3 s polarity alternation
    assert pg.frequency_mhz(pg.find("pulse")) == 2000
    assert pg.frequency_mhz(pg.PROBE) == 5000  # a 10 ms pulse every 200 ms
    assert pg.frequency_mhz(("x", 1000, 1000, 1000)) == 500
    assert pg.frequency_mhz(("x", 3, 3, 3)) == 166666


def test_tick_ms_for():
    # 10 ms, unless a half or a pulse is shorter than that
    assert pg.tick_ms_for(pg.find("lift")) == 10
    assert pg.tick_ms_for(pg.find("tone")) == 10
    assert pg.tick_ms_for(pg.find("smooth")) == 5  # 5 ms halves
    assert pg.tick_ms_for(pg.find("pulse")) == 10  # 100 ms pulses
    assert pg.tick_ms_for(pg.PROBE) == 10  # a 10 ms pulse: one tick
    assert pg.tick_ms_for(("x", 10, 10, 10)) == 10
    assert pg.tick_ms_for(("x", 9, 9, 9)) == 5
    assert pg.tick_ms_for(("x", 3000, 500, 9)) == 5  # a short pulse in a long half
    # every program's half and pulse are whole ticks of its loop period
    for p in pg.PROGRAMS + (pg.PROBE,):
        t = pg.tick_ms_for(p)
        assert p[pg.HALF_MS] % t == 0 and p[pg.ON_MS] % t == 0, p
