"""wand.loopguard (SR-02, SR-07): a loop that stalls under the watchdog's
timeout again and again, or runs slow on every tick, is broken. Hand-computed
bucket levels. Runs on CPython and on the MicroPython unix port."""

from wand.loopguard import BUDGET_MS, StallGuard


def ticks(g, now, n, step=10, tick=10, on=True):
    """n ticks of `step` ms from `now` (a program ticking every `tick` ms); the uptime after them, and whether
    any was late."""
    late = False
    for _ in range(n):
        now += step
        late = g.late(now, tick, on) or late
    return now, late


def test_a_loop_on_time_never_fills_the_bucket():
    g = StallGuard()
    now, late = ticks(g, 0, 100000)  # 1000 s of 10 ms ticks
    assert not late and g.level == 0
    now, late = ticks(g, now, 1000, 20)  # ticks of 20 ms (two ticks: the loop's jitter) neither
    assert not late and g.level == 0
    now, late = ticks(g, now, 1000, 10, 5)  # `smooth`'s 5 ms ticks two at a time
    assert not late and g.level == 0


def test_two_stalls_just_under_the_watchdog_pass_and_a_third_soon_after_does_not():
    g = StallGuard()
    now, _ = ticks(g, 0, 100)
    now += 990
    assert not g.late(now, 10, True)
    assert g.level == (990 - 20) * 30 - 990  # 28110: the stall's lateness, less its own time's drain
    now += 990
    assert not g.late(now, 10, True)
    assert g.level == 56220  # under the 60000 of the 2000 ms budget
    now, late = ticks(g, now, 2000)  # 20 s on time drain 20000
    assert not late and g.level == 36220
    now += 990
    assert g.late(now, 10, True)  # 36220 - 990 + 29100 = 64330
    assert g.level == 64330 > BUDGET_MS * 30


def test_a_third_stall_after_the_bucket_drained_enough_passes():
    g = StallGuard()
    now = 0
    for _ in range(2):
        now, _ = ticks(g, now, 100)
        now += 990
        g.late(now, 10, True)
    now, late = ticks(g, now, 2500)  # 25 s
    now += 990
    assert not g.late(now, 10, True) and not late  # 55220 - 25000 + 28110 = 58330


def test_stalls_of_950_ms_every_2_s_trip_at_the_third():
    """The class of SR-07's 22 stalls in a session's last minute (1202.4 s of current)."""
    g = StallGuard()
    now, _ = ticks(g, 0, 100)
    trips = []
    for _ in range(5):
        now, _ = ticks(g, now, 105)  # 1.05 s on time
        now += 950
        trips.append(g.late(now, 10, True))
    assert trips == [False, False, True, True, True], (trips, g.level)


def test_a_loop_slow_on_every_tick_trips_in_seconds():
    """Red team rt5: `smooth` ticks of 17 ms instead of 5 over a session's end left 266 uC of DC. Each tick
    loses 7 ms beyond two ticks: (7 x 30 - 17) = 193 a tick, past 60000 at the 311th, 5.3 s in."""
    g = StallGuard()
    now, late = ticks(g, 0, 310, 17, 5)
    assert not late and g.level == 310 * 193
    now, late = ticks(g, now, 1, 17, 5)
    assert late
    # the same 17 ms ticks of a 10 ms program are within its two ticks
    g = StallGuard()
    now, late = ticks(g, 0, 10000, 17, 10)
    assert not late and g.level == 0


def test_time_lost_with_the_output_off_is_not_counted_and_an_acknowledgement_empties_the_bucket():
    """Red team rt5: stalls while idle filled the bucket and tripped at the next start; a fault acknowledged
    then restarted tripped again 30 ms later."""
    g = StallGuard()
    now = 0
    for _ in range(10):
        now, _ = ticks(g, now, 100, on=False)
        now += 950
        assert not g.late(now, 10, False)
    assert g.level == 0
    for _ in range(3):
        now, _ = ticks(g, now, 100)
        now += 950
        g.late(now, 10, True)
    assert g.level > BUDGET_MS * 30
    g.forget()
    assert g.level == 0
    now, late = ticks(g, now, 100)
    assert not late


def test_the_bucket_drains_to_zero_and_no_lower():
    g = StallGuard()
    g.late(500, 10, True)  # a 500 ms first gap: (500 - 20) x 30 - 500 = 13900
    assert g.level == 13900
    now, late = ticks(g, 500, 2000)  # 20 s drain 20000
    assert not late and g.level == 0
