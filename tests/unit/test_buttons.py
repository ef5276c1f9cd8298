"""Button debounce and gestures, driven with bouncing inputs (5..30 ms chatter)."""

from wand.buttons import LONG, NONE, REPEAT, SHORT, STUCK_MS, Button


def bounce(pattern_ms, start_ms, pressed_after):
    """A list of (t, level): chatter toggles at the given offsets, then steady."""
    out = []
    level = not pressed_after
    t = start_ms
    for d in pattern_ms:
        t += d
        level = not level
        out.append((t, level))
    out.append((t + 1, pressed_after))
    return out


def run(button, edges, until_ms, tick=10):
    """Poll every tick like the control loop; return the events."""
    events = []
    level = False
    i = 0
    t = 0
    while t <= until_ms:
        while i < len(edges) and edges[i][0] <= t:
            level = edges[i][1]
            i += 1
        ev = button.check(t, level)
        if ev != NONE:
            events.append((t, ev))
        t += tick
    return events


def test_one_short_press_through_30ms_of_chatter_at_both_edges():
    edges = bounce((0, 3, 4, 6, 5, 7, 5), 100, True) + bounce((0, 4, 3, 8, 6, 6), 400, False)
    ev = run(Button(long_ms=1500), edges, 1000)
    assert [e for _, e in ev] == [SHORT]
    # reacts on the first release edge (no extra delay)
    assert ev[0][0] <= 420


def test_chatter_with_1ms_sampling_still_one_press():
    edges = bounce((0, 1, 2, 1, 3, 2, 5, 4, 6, 5), 50, True) + bounce((0, 2, 2, 3, 4, 5, 6), 300, False)
    ev = run(Button(long_ms=1500), edges, 800, tick=1)
    assert [e for _, e in ev] == [SHORT]


def test_long_press_fires_once_while_held_and_no_short_on_release():
    edges = bounce((0, 5, 5, 5), 0, True) + bounce((0, 5, 5), 2500, False)
    ev = run(Button(long_ms=1500), edges, 3000)
    assert [e for _, e in ev] == [LONG]
    assert 1500 <= ev[0][0] <= 1560


def test_repeat_while_held():
    edges = bounce((0, 5, 5, 5), 0, True) + bounce((0, 5), 3000, False)
    ev = run(Button(long_ms=800, repeat_ms=600), edges, 3200)
    kinds = [e for _, e in ev]
    assert kinds[0] == LONG and kinds.count(REPEAT) == 3, kinds


def test_button_held_at_power_up_counts_only_after_release():
    b = Button(long_ms=800, pressed=True)
    edges = [(0, True)] + bounce((0, 4, 6), 2000, False) + bounce((0, 5, 5), 2500, True) + \
        bounce((0, 5), 2700, False)
    ev = run(b, edges, 3000)
    assert [e for _, e in ev] == [SHORT]
    assert ev[0][0] >= 2700


def test_two_quick_presses_are_two_shorts():
    edges = bounce((0, 4, 4), 100, True) + bounce((0, 5), 200, False) + bounce((0, 3, 6), 300, True) + \
        bounce((0, 4), 400, False)
    ev = run(Button(long_ms=1500), edges, 700)
    assert [e for _, e in ev] == [SHORT, SHORT]


def test_sr07_a_stuck_button_stops_repeating():
    """Held past STUCK_MS (a button pressed in a bag) it repeats no more, so it
    can neither keep changing the level nor keep the wand awake (fuzz seed
    1759846167: a level button left pressed kept a paused session on)."""
    b = Button(long_ms=800, repeat_ms=600)
    events = []
    for t in range(0, STUCK_MS + 5000, 10):
        e = b.check(t, True)
        if e:
            events.append((t, e))
    assert events[0] == (800, LONG)
    repeats = [t for t, e in events if e == REPEAT]
    assert repeats and max(repeats) < STUCK_MS
    assert b.check(STUCK_MS + 5010, False) == NONE  # letting go of a stuck button is no press


def test_down_ms_is_the_first_edge_of_the_press_not_its_chatter():
    """SR-12 asks when a press began (Controls: only a press begun after the
    fault acknowledges it): the first edge, through the chatter after it."""
    b = Button(long_ms=1500)
    run(b, bounce((0, 5, 5, 5), 100, True), 200)
    assert b.pressed and b.down_ms == 100
    b = Button(long_ms=1500)
    run(b, bounce((0, 5, 5, 5), 100, True) + bounce((0, 5), 500, False) + bounce((0, 5, 5, 5), 900, True), 1000)
    assert b.pressed and b.down_ms == 900  # the second press's


def test_a_long_press_whose_telling_tick_a_loop_stall_hid_is_long_at_its_release():
    """Found by a review: a 1.7 s press of the power button with an 847 ms
    loop stall over its 1.5 s mark read as a short press (a pause, not a stop).
    Held long_ms by the clock at its release, it is long (the safe side); a
    press released before long_ms is short as ever, stall or not."""
    b = Button(long_ms=1500)
    assert b.check(0, True) == NONE
    for t in range(10, 900, 10):
        assert b.check(t, True) == NONE
    assert b.check(1747, False) == LONG  # the loop stalled from 890 ms to 1747 ms; released at 1700
    assert b.check(1800, False) == NONE and not b.pressed
    b = Button(long_ms=1500)
    b.check(0, True)
    b.check(300, True)
    assert b.check(1200, False) == SHORT  # a stall inside a 1 s press
