"""wand.output.drive: one tick's output from the session's envelope through
the clamp, the output engine and the SR-08 probe to the output stage. The
real Supervisor, Regulator and OutputEngine; a fake board (the Supervisor's
output calls and a microsecond clock) and a session that holds one
amplitude. Runs on CPython and on the MicroPython unix port."""

from wand import output, programs
from wand import regulator as reg
from wand.regulator import Calibration, Regulator
from wand.safety import Supervisor
from wand.waveform import OutputEngine

CAL = Calibration()  # board.json's nominal gains


class FakeBoard:
    """Not a board: the output calls of the OutputEngine and Supervisor (DAC,
    polarity, enable, ticks_us), recorded, so each waveform step can be checked
    with no chip and on the MicroPython unix port too. The waveform on the
    simulated chip and plant is checked in tests/system."""

    def __init__(self):
        self.dac = 0
        self.enabled = False
        self.polarity = 0
        self.us = 0

    def ticks_us(self):
        self.us += 7
        return self.us

    def ticks_diff(self, a, b):
        return a - b

    def write_dac(self, code):
        self.dac = code

    def set_polarity(self, p):
        self.polarity = p

    def set_enable(self, on):
        self.enabled = bool(on)

    def output_off(self):
        self.dac = 0
        self.enabled = False
        self.polarity = 0


class Session:
    """The two things drive() asks of the session."""

    def __init__(self, ua):
        self.ua = ua

    def amp_ua(self):
        return self.ua

    def ramping(self):
        return False


class Rig:
    def __init__(self, name, ua, user_max_ua=400):
        self.b = FakeBoard()
        self.sup = Supervisor(self.b, CAL, user_max_ua)
        self.rg = Regulator(CAL)
        self.eng = OutputEngine()
        program = programs.PROBE if name == "probe" else programs.find(name)
        self.tick = programs.tick_ms_for(program)
        self.eng.start(program, self.tick)
        self.session = Session(ua)

    def run(self, ticks, load=reg.LOAD_OK):
        """`ticks` ticks; the codes written as (DAC, polarity) per tick."""
        out = []
        for _ in range(ticks):
            t = self.b.us
            output.drive(self.b, t, load, self.session, self.rg, self.sup, self.eng)
            out.append((self.b.dac if self.b.enabled else 0, self.b.polarity))
            self.eng.account(self.tick * 10, self.sup.code)  # it all flowed
            self.b.us = t + self.tick * 1000
        return out


def test_the_stage_follows_the_engine_biphasic():
    r = Rig("tone", 200)  # 10 Hz: 50 ms halves, 5 ticks each
    code = CAL.code_for(200)
    out = r.run(40)
    assert [p for _, p in out[:12]] == [1] * 5 + [-1] * 5 + [1] * 2
    reversals = sum(1 for i in range(1, len(out)) if out[i][1] != out[i - 1][1])
    assert reversals == 7
    # every tick at the envelope's code, but for the probe's dip (SR-08)
    assert all(code - 5 <= c <= code + 1 for c, _ in out), (code, out)
    assert r.sup.output_on and r.b.enabled


def test_sr01_a_trim_that_lowers_the_code_aims_at_98_percent_of_the_limit():
    r = Rig("lift", 400, user_max_ua=400)
    r.rg.trim = 900  # the stage's gain reads high: the code is lowered
    c, p = r.run(1)[0]
    assert p == 1
    assert c == r.sup.clamp_code(CAL.code_for(392, 900))
    assert c < r.sup.clamp_code(CAL.code_for(400, 900))  # the 2 % headroom is real here
    # a trim that raises the code leaves the amplitude alone: the clamp holds the limit
    r = Rig("lift", 400, user_max_ua=400)
    r.rg.trim = 1050
    c, _ = r.run(1)[0]
    assert c == r.sup.clamp_code(CAL.code_for(400, 1050)) == r.sup.clamp_code(10**6)


def test_sr01_the_clamp_holds_whatever_the_session_asks():
    r = Rig("lift", 5000, user_max_ua=300)
    limit_code = r.sup.clamp_code(10**6)
    assert CAL.ua_for_code(limit_code) <= 300
    assert all(c <= limit_code for c, _ in r.run(30))


def test_the_contact_probe_is_untrimmed():
    r = Rig("probe", programs.PROBE_UA)
    r.rg.trim = 700  # a trim learned from a sense reading high (red team rt2)
    assert CAL.code_for(programs.PROBE_UA, 700) != CAL.code_for(programs.PROBE_UA)
    c, p = r.run(1)[0]
    assert (c, p) == (CAL.code_for(programs.PROBE_UA), 1)


def dips(out, code):
    return [i for i, (c, _) in enumerate(out) if 0 < c <= code - 4]


def test_sr08_the_sense_probe_dips_every_8th_steady_tick():
    r = Rig("lift", 300)  # 1 s halves: steady ticks in both
    code = CAL.code_for(300)
    out = r.run(300)
    d = dips(out, code)
    assert len(d) >= 30, d
    assert all(d[i + 1] - d[i] >= 8 for i in range(len(d) - 1)), d
    # in both polarities
    assert any(out[i][1] == 1 for i in d) and any(out[i][1] == -1 for i in d)
    # never on the first tick of a half (a reversal)
    assert all(out[i - 1][1] == out[i][1] for i in d)


def test_sr08_no_probe_into_a_load_that_does_not_take_the_current():
    for load in (reg.LOAD_UNKNOWN, reg.LOAD_COMPLIANCE, reg.LOAD_OPEN):
        r = Rig("lift", 300)
        assert dips(r.run(100, load), CAL.code_for(300)) == [], load


def test_a_stopped_engine_or_a_latched_fault_turns_the_stage_off():
    r = Rig("lift", 300)
    assert r.run(3)[-1][0] > 0 and r.b.enabled
    r.eng.stop()
    assert r.run(1) == [(0, 0)] and not r.b.enabled and not r.sup.output_on
    r = Rig("lift", 300)
    r.run(3)
    r.sup.trip(0, 6)
    assert r.run(5) == [(0, 0)] * 5 and not r.b.enabled
