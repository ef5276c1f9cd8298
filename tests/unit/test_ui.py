"""wand.ui: the LED pattern for each session state, the LED duties each
pattern gives over time, and the tone sequences (mute spares the fault tone).
Runs on CPython and on the MicroPython unix port."""

from wand import session as ses
from wand import ui

FULL = 40000
DIM = 6000
LOW_BAT = 16000


def leds(mode, t0, t1, level=0, fault_code=0, battery_low=False, bench=False, step=10):
    """(now, green, red) every `step` ms from t0 to t1 (exclusive), one at a
    time (a list of them does not fit MicroPython's 100 KB test heap)."""
    u = ui.Ui()
    for now in range(t0, t1, step):
        u.step(now, mode, level, fault_code, battery_low, bench)
        yield now, u.green, u.red


def pulses(samples, which):
    """How many times the LED (1 green, 2 red) goes from dark to lit."""
    n = 0
    lit = False
    for s in samples:
        on = s[which] > 0
        if on and not lit:
            n += 1
        lit = on
    return n


def test_led_mode_for_each_state():
    for st in (ses.IDLE, ses.DONE):
        assert ui.led_mode(st, False, False, False) == ui.LED_IDLE
    assert ui.led_mode(ses.RAMP_UP, False, False, False) == ui.LED_RAMP
    assert ui.led_mode(ses.RAMP_DOWN, False, False, False) == ui.LED_RAMP
    assert ui.led_mode(ses.RUNNING, True, False, False) == ui.LED_RAMP  # a level change ramping
    assert ui.led_mode(ses.RUNNING, False, False, False) == ui.LED_RUN
    assert ui.led_mode(ses.NO_CONTACT, False, False, False) == ui.LED_NO_CONTACT
    assert ui.led_mode(ses.HOLD, False, False, False) == ui.LED_HOLD


def test_led_mode_a_fault_shows_over_everything_then_no_contact_then_usb_refusal():
    for st in (ses.IDLE, ses.RUNNING, ses.NO_CONTACT, ses.HOLD, ses.FAULT):
        assert ui.led_mode(st, True, True, True) == ui.LED_FAULT
    for st in (ses.IDLE, ses.RUNNING, ses.HOLD, ses.FAULT):
        assert ui.led_mode(st, False, False, True) == ui.LED_USB_REFUSED
    # SR-06: a lift is told whatever was refused before (fuzz round 38)
    assert ui.led_mode(ses.NO_CONTACT, False, False, True) == ui.LED_NO_CONTACT


def test_idle_is_an_80_ms_green_blink_every_2_s():
    assert pulses(leds(ui.LED_IDLE, 0, 6000), 1) == 3
    assert [g for now, g, _ in leds(ui.LED_IDLE, 0, 100)] == [FULL] * 8 + [0, 0]
    assert all(g == (FULL if now % 2000 < 80 else 0) and r == 0 for now, g, r in leds(ui.LED_IDLE, 0, 6000))


def test_ramp_blinks_green_at_4_hz():
    assert pulses(leds(ui.LED_RAMP, 0, 1000), 1) == 4
    assert all(r == 0 for _, _, r in leds(ui.LED_RAMP, 0, 1000))
    assert sum(1 for _, g, _ in leds(ui.LED_RAMP, 0, 1000, step=1) if g) == 500  # half the time


def test_running_shows_the_level_as_dark_gaps_every_4_s():
    for level in (0, 1, 3, 10):
        gaps = pulses(((t, 0 if g else 1) for t, g, _ in leds(ui.LED_RUN, 0, 4000, level=level)), 1)
        assert gaps == level, (level, gaps)
        assert all(r == 0 for _, _, r in leds(ui.LED_RUN, 0, 4000, level=level))
    assert [
        g for now, g, _ in leds(ui.LED_RUN, 0, 4000, level=3) if now in (0, 110, 120, 290, 300, 890, 900, 3990)
    ] == [0, 0, FULL, FULL, 0, FULL, FULL, FULL]


def test_sr06_no_contact_is_red_at_once_with_green_blinking():
    assert all(r == FULL for _, _, r in leds(ui.LED_NO_CONTACT, 0, 2000))
    # green blinks full and dim at 2 Hz
    assert [g for now, g, _ in leds(ui.LED_NO_CONTACT, 0, 1000, step=250)] == [FULL, DIM, FULL, DIM]


def test_sr06_no_contact_shows_states_no_other_pattern_shows_under_any_overlay():
    """Found (fuzz round 55): a lift in a low-battery ramp-down showed the no-contact
    pattern, but the full red flash over the ramp's blinking had shown the same LED
    states in the 2 s before, so the user could not tell the lift apart. No state of
    the no-contact pattern, with low battery or bench mode or both, is a state any
    other pattern shows with them."""
    modes = (ui.LED_OFF, ui.LED_IDLE, ui.LED_RAMP, ui.LED_RUN, ui.LED_HOLD, ui.LED_FAULT, ui.LED_USB_REFUSED)
    overlays = ((False, False), (True, False), (False, True), (True, True))
    others = set()
    for mode in modes:
        for bat, bench in overlays:
            for _now, g, r in leds(mode, 0, 12000, level=5, fault_code=3, battery_low=bat, bench=bench, step=5):
                others.add((g, r))
    for bat, bench in overlays:
        for now, g, r in leds(ui.LED_NO_CONTACT, 0, 6000, battery_low=bat, bench=bench, step=5):
            assert (g, r) not in others, (bat, bench, now, g, r)


def test_hold_is_a_dim_green():
    assert all(g == DIM and r == 0 for _, g, r in leds(ui.LED_HOLD, 0, 3000))


def test_fault_blinks_its_code_in_red_and_nothing_else_shows():
    for code in (1, 3, 9):
        cycle = code * 500 + 1500
        assert pulses(leds(ui.LED_FAULT, 0, cycle, fault_code=code, battery_low=True, bench=True), 2) == code
        # the pause after the blinks stays dark, low battery and bench mode notwithstanding
        for now, g, r in leds(ui.LED_FAULT, 0, cycle, fault_code=code, battery_low=True, bench=True):
            assert g == 0 and (r == 0 or now < code * 500), (code, now)


def test_usb_refused_blinks_red_at_1_hz():
    assert pulses(leds(ui.LED_USB_REFUSED, 0, 3000), 2) == 3
    assert all(g == 0 for _, g, _ in leds(ui.LED_USB_REFUSED, 0, 3000))


def test_low_battery_flashes_red_every_3_s_over_any_pattern():
    for mode in (ui.LED_IDLE, ui.LED_RUN, ui.LED_HOLD):
        assert pulses(leds(mode, 0, 9000, level=2, battery_low=True), 2) == 3
        assert all(
            r == (LOW_BAT if now % 3000 < 150 else 0) for now, _, r in leds(mode, 0, 9000, level=2, battery_low=True)
        )
    # a red already full stays full under the flash
    assert all(r == FULL for _, _, r in leds(ui.LED_NO_CONTACT, 0, 3000, battery_low=True))


def test_bench_mode_glows_dim_red_under_the_pattern():
    assert all(
        r == (LOW_BAT if now % 3000 < 150 else DIM)
        for now, _, r in leds(ui.LED_IDLE, 0, 3000, bench=True, battery_low=True)
    )
    assert all(r == FULL for _, _, r in leds(ui.LED_NO_CONTACT, 0, 1000, bench=True))


def tones(u, t0, t1):
    """The tone every ms from t0 to t1, as [(hz, ms)] runs."""
    out = []
    for now in range(t0, t1):
        u.step(now, ui.LED_IDLE, 0, 0, False, False)
        if out and out[-1][0] == u.tone_hz:
            out[-1] = (u.tone_hz, out[-1][1] + 1)
        else:
            out.append((u.tone_hz, 1))
    return out


def test_a_tone_sequence_plays_each_note_for_its_time_then_stops():
    u = ui.Ui()
    u.play(1000, ui.TONE_START)
    assert u.tone_hz == 700
    assert tones(u, 1000, 1600) == [(700, 90), (950, 90), (1300, 140), (0, 280)]
    u.play(2000, ui.TONE_CUE)  # with a rest in the middle
    assert tones(u, 2000, 2300) == [(2000, 60), (0, 80), (2000, 60), (0, 100)]


def test_a_new_tone_replaces_the_one_playing():
    u = ui.Ui()
    u.play(0, ui.TONE_END)
    tones(u, 0, 50)
    u.play(50, ui.TONE_CLICK)
    assert tones(u, 50, 100) == [(2500, 15), (0, 35)]


def test_muted_plays_only_the_fault_tone():
    u = ui.Ui()
    u.muted = True
    for seq in (
        ui.TONE_START,
        ui.TONE_END,
        ui.TONE_LEVEL,
        ui.TONE_CUE,
        ui.TONE_CONTACT_LOST,
        ui.TONE_REFUSED,
        ui.TONE_CLICK,
    ):
        u.play(0, seq)
        assert u.tone_hz == 0 and tones(u, 0, 50) == [(0, 50)]
    u.play(0, ui.TONE_FAULT)
    assert tones(u, 0, 2000) == [(300, 700), (0, 200), (300, 700), (0, 400)]


def test_tone_sequences_are_pairs_of_audible_notes_and_rests():
    for seq in (
        ui.TONE_START,
        ui.TONE_END,
        ui.TONE_LEVEL,
        ui.TONE_CUE,
        ui.TONE_CONTACT_LOST,
        ui.TONE_FAULT,
        ui.TONE_REFUSED,
        ui.TONE_CLICK,
    ):
        assert len(seq) % 2 == 0 and seq[0] > 0, seq
        for i in range(0, len(seq), 2):
            assert seq[i] == 0 or 200 <= seq[i] <= 4000, seq
            assert 0 < seq[i + 1] <= 1000, seq
    assert (ui.TONE_START[0], ui.TONE_START[2], ui.TONE_START[4]) == (700, 950, 1300)  # rising
    assert (ui.TONE_END[0], ui.TONE_END[2], ui.TONE_END[4]) == (1300, 950, 700)  # falling
