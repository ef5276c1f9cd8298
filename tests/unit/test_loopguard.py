"""wand.loopguard (SR-02, SR-07): a loop that stalls under the watchdog's
timeout again and again is broken. Hand-computed bucket levels. Runs on
CPython and on the MicroPython unix port."""

from wand.loopguard import BUDGET_MS, StallGuard


def ticks(g, now, n, step=10):
    """n on-time ticks of `step` ms from `now`; the uptime after them, and whether any was late."""
    late = False
    for _ in range(n):
        now += step
        late = g.late(now) or late
    return now, late


def test_a_loop_on_time_never_fills_the_bucket():
    g = StallGuard()
    now, late = ticks(g, 0, 100000)  # 1000 s of 10 ms ticks
    assert not late and g.level == 0
    now, late = ticks(g, now, 1000, 20)  # ticks of 20 ms (two ticks late each: the loop's jitter) neither
    assert not late and g.level == 0


def test_two_stalls_just_under_the_watchdog_pass_and_a_third_soon_after_does_not():
    g = StallGuard()
    now, _ = ticks(g, 0, 100)
    now += 990
    assert not g.late(now)
    assert g.level == (990 - 20) * 30 - 990  # 28110: the stall's lateness, less its own time's drain
    now += 990
    assert not g.late(now)
    assert g.level == 56220  # under the 60000 of the 2000 ms budget
    now, late = ticks(g, now, 2000)  # 20 s on time drain 20000
    assert not late and g.level == 36220
    now += 990
    assert g.late(now)  # 36220 - 990 + 29100 = 64330
    assert g.level == 64330 > BUDGET_MS * 30


def test_a_third_stall_after_the_bucket_drained_enough_passes():
    g = StallGuard()
    now = 0
    for _ in range(2):
        now, _ = ticks(g, now, 100)
        now += 990
        g.late(now)
    now, late = ticks(g, now, 2500)  # 25 s
    now += 990
    assert not g.late(now) and not late  # 55220 - 25000 + 28110 = 58330


def test_stalls_of_950_ms_every_2_s_trip_at_the_third():
    """The class of SR-07's 22 stalls in a session's last minute (1202.4 s of current)."""
    g = StallGuard()
    now, _ = ticks(g, 0, 100)
    trips = []
    for _ in range(5):
        now, _ = ticks(g, now, 105)  # 1.05 s on time
        now += 950
        trips.append(g.late(now))
    assert trips == [False, False, True, True, True], (trips, g.level)


def test_the_bucket_drains_to_zero_and_no_lower():
    g = StallGuard()
    g.late(500)  # a 500 ms first gap: (500 - 20) x 30 - 500 = 13900
    assert g.level == 13900
    now, late = ticks(g, 500, 2000)  # 20 s drain 20000
    assert not late and g.level == 0
