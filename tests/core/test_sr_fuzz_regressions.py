"""Regressions of the violations `wandctl fuzz` found, on the pure core, run on
CPython and on the MicroPython unix port (tools/test.sh). Each names its SR.
The full-board replays are in tests/system/test_fuzz_regressions.py."""

from simboard.flashfs import FlashFS
from support import raises, rmtree, tmpdir
from wand import board, settings
from wand import regulator as reg
from wand import session as ses
from wand.regulator import Calibration
from wand.safety import GAIN_TOL_PCT, HARD_CEILING_UA, Supervisor
from wand.waveform import OutputEngine


class _NoBoard:
    def output_off(self):
        pass

    def write_dac(self, code):
        pass

    def set_polarity(self, p):
        pass

    def set_enable(self, on):
        pass


def _write(root, *parts):
    """Write (text, repeat) parts without building the whole text (a small heap)."""
    f = open(root + "/" + settings.FILE, "w")
    for text, n in parts:
        for _ in range(n):
            f.write(text)
    f.close()


def test_sr10_sr11_deeply_nested_settings_are_corrupt_not_a_crash():
    root = tmpdir("fz")
    for parts in ((("[", 3000), ("]", 3000)), (('{"a":', 2000), ("1", 1), ("}", 2000))):
        _write(root, *parts)
        s = settings.Settings(FlashFS(root))
        assert s.load() == ["corrupt"]
        assert s.values == settings.defaults()
    rmtree(root)


def test_sr10_sr11_huge_settings_file_is_corrupt():
    root = tmpdir("fz")
    _write(root, ('{"level": 3, "pad": "', 1), ("x" * 100, 300), ('"}', 1))
    s = settings.Settings(FlashFS(root))
    assert s.load() == ["corrupt"]
    assert s.values == settings.defaults()
    rmtree(root)


def test_sr06_lowest_user_max_is_a_setpoint_the_sense_can_judge():
    lo = settings.INT_FIELDS["user_max_ua"][1]
    assert lo == ses.MIN_TARGET_UA == 100
    raises(settings.SettingsError, settings.validate_field, "user_max_ua", 99)
    raises(settings.SettingsError, settings.validate_field, "user_max_ua", 20)
    # no level goes below the lowest setpoint, and none above the limit
    for user_max in (100, 101, 150, 400, 500):
        s = ses.Session(OutputEngine())
        for level in range(1, 11):
            s.configure("lift", level, user_max, 5, 5)
            s.start(0)
            t = s.target_ua()
            assert ses.MIN_TARGET_UA <= t <= user_max, (user_max, level, t)
            s.state = ses.IDLE


def test_sr01_clamp_holds_at_the_worst_real_gain_for_every_accepted_calibration():
    """The clamp's top code, at the worst real stage gain (nominal + the parts'
    tolerance), never delivers more than the limit, whatever calibration the
    validator accepts (gain -20 %..+20 %, offset +-20 uA)."""
    g_lo, g_hi = settings.INT_FIELDS["cal_gain_na"][1:]
    o_lo, o_hi = settings.INT_FIELDS["cal_offset_na"][1:]
    worst_na_per_code = board.STAGE_UA_PER_CODE * 1000 * (100 + GAIN_TOL_PCT) / 100
    for gain in (g_lo, (g_lo + g_hi) // 2, g_hi):
        for off in (o_lo, 0, o_hi):
            for lim in (100, 101, 150, 333, 400, 499, 500):
                sup = Supervisor(_NoBoard(), Calibration(gain, off), lim)
                top = sup.clamp_code(255)
                assert top * worst_na_per_code <= lim * 1000, (gain, off, lim, top)
    sup = Supervisor(_NoBoard(), Calibration(), 9999)
    assert sup.limit_ua == HARD_CEILING_UA


def _feed_short(rg, expected_ua, ohms, ticks, noise_uv=0):
    cal = rg.cal
    for k in range(ticks):
        i_uv = cal.sense_offset_uv + expected_ua * cal.sense_uv_per_ua
        v_mv = expected_ua * ohms // 1000
        n = noise_uv if k % 2 else -noise_uv
        v_uv = cal.vload_offset_uv + v_mv * cal.vload_uv_per_100mv // 100 + n
        rg.measure(i_uv, v_uv)
        rg.update(expected_ua)
    return rg.load


def test_sr06_short_detected_at_the_lowest_setpoint_and_not_at_500_ohm():
    # the clamped lowest setpoint is about 94 uA of command
    for ohms in (50, 199):
        rg = reg.Regulator(Calibration())
        assert _feed_short(rg, 94, ohms, 150, noise_uv=1500) == reg.LOAD_SHORT, ohms
    rg = reg.Regulator(Calibration())
    assert _feed_short(rg, 94, 500, 300, noise_uv=1500) != reg.LOAD_SHORT
    rg = reg.Regulator(Calibration())
    assert _feed_short(rg, 94, 2000, 300) == reg.LOAD_OK
