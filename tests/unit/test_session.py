"""wand.session.Session, the session state machine, driven tick by tick with
the real output engine: start -> ramp_up -> running -> ramp_down -> done, the
pause, contact lost and back (SR-06), the 20-minute hard limit (SR-07), level
bounds and the ramp rate of every user or session change (SR-05), and a fault
(SR-12). Runs on CPython and on the MicroPython unix port."""

from wand import programs
from wand import regulator as reg
from wand import session as ses
from wand.regulator import Calibration
from wand.waveform import OutputEngine

CAL = Calibration()
SR05_UA_PER_S = 200  # docs/safety.md SR-05


class Run:
    """One session, its clock and its events. Every tick checks SR-05: the
    envelope moves by at most 200 µA/s, except when a lift or a fault cuts it
    (and the 10 µA contact probe while lifted)."""

    def __init__(self, level=5, user_max_ua=400, minutes=5, cue_s=5, program="lift", engine=True):
        self.events = []
        self.eng = OutputEngine()
        self.s = ses.Session(self.eng, self._event)
        self.s.configure(program, level, user_max_ua, minutes, cue_s)
        self.now = 0
        self.engine = engine
        self.fastest = 0  # the steepest envelope change seen, µA/s

    def _event(self, now_ms, kind, a=None, b=None):
        self.events.append((now_ms, kind, a, b))

    def start(self):
        return self.s.start(self.now)

    def tick(self, load=reg.LOAD_OK, n=1):
        s = self.s
        for _ in range(n):
            el = s.tick_ms
            st0, a0 = s.state, s.amp_na
            self.now += el
            s.step(self.now, el, load)
            if st0 != ses.NO_CONTACT and s.state not in (ses.NO_CONTACT, ses.FAULT):
                rate = abs(s.amp_na - a0) // el  # nA per ms = µA/s
                assert rate <= SR05_UA_PER_S, (self.now, ses.STATE_NAMES[s.state], rate)
                if rate > self.fastest:
                    self.fastest = rate
            if self.engine:  # the output engine as the App drives it
                self.eng.step(CAL.code_for(s.amp_ua()))
                self.eng.account(el * 10, self.eng.code)

    def until(self, state, load=reg.LOAD_OK, limit_ms=3600000):
        """Tick until the session is in `state`; returns the ms it took."""
        t0 = self.now
        while self.s.state != state:
            assert self.now - t0 < limit_ms, (state, ses.STATE_NAMES[self.s.state])
            self.tick(load)
        return self.now - t0

    def kinds(self, kind):
        return [e for e in self.events if e[1] == kind]

    def states(self):
        return [e[2] for e in self.events if e[1] == "state"]


def test_sr05_sr07_a_session_ramps_up_runs_ramps_down_and_ends_on_the_timer():
    r = Run(level=5, user_max_ua=400, minutes=1, cue_s=5)
    target = r.s.level_target_ua()
    assert target == 200
    assert r.s.state == ses.IDLE and r.start()
    assert r.kinds("session_start") == [(0, "session_start", "lift", 5)]
    up = r.until(ses.RUNNING)
    # the ramp to the level's setpoint takes at least target / 200 µA/s
    assert up * SR05_UA_PER_S >= target * 1000, up
    assert r.s.amp_ua() == target and r.s.target_ua() == target
    r.until(ses.RAMP_DOWN)
    down_from = r.now
    r.until(ses.DONE)
    assert (r.now - down_from) * SR05_UA_PER_S >= target * 1000
    assert r.states() == ["ramp_up", "running", "ramp_down", "done"]
    assert r.s.ended_by == ses.END_TIMER and r.s.amp_na == 0 and not r.s.active()
    # the timer counted the minute, and not more (the ramp-down is timed to end it;
    # lift's starts up to 3 s early, its envelope waiting through each negative half)
    assert 60000 - 3000 <= r.s.delivered_ms <= 60000, r.s.delivered_ms
    assert r.kinds("session_end") == [(r.now, "session_end", "timer", r.s.delivered_ms // 1000)]
    assert not r.eng.running and r.eng.settled()
    # a cue every 5 s of delivered time while running
    cues = [e[0] for e in r.kinds("cue")]
    assert len(cues) >= 10 and all(cues[i + 1] - cues[i] == 5000 for i in range(len(cues) - 1)), cues
    # 90 uA/s; lift's fall runs at twice that in its positive halves and waits
    # through the negative ones (SR-05 allows 200)
    assert 0 < r.fastest <= 2 * ses.RAMP_UA_PER_S <= SR05_UA_PER_S
    # done: nothing moves any more
    r.tick(n=100)
    assert r.s.state == ses.DONE and r.s.amp_na == 0


def test_sr07_no_session_is_longer_than_20_minutes():
    assert ses.MAX_SESSION_MIN == 20  # docs/safety.md SR-07 (hard)
    s = ses.Session(OutputEngine())
    s.configure("lift", 3, 400, 20, 5)
    # planned 10 s short: a loop stall's hold and its payback may end it that much later
    assert s.session_ms == 20 * 60000 - ses.HARD_RESERVE_MS and ses.HARD_RESERVE_MS == 10000
    for asked in (21, 60, 600, 0, -5):
        s.configure("lift", 3, 400, asked, 5)
        assert s.session_ms == 5 * 60000, asked  # out of range: the 5-minute default
    # a 20-minute session ends on its own at 20 minutes of current
    r = Run(level=10, user_max_ua=500, minutes=20, cue_s=0, engine=False)  # (no cues: 240 events fill a 100 KB heap)
    r.start()
    r.until(ses.DONE, limit_ms=21 * 60000)
    assert r.s.ended_by == ses.END_TIMER
    assert r.s.delivered_ms <= 20 * 60000 and r.now <= 20 * 60000 + 10, (r.s.delivered_ms, r.now)


def test_sr05_level_changes_ramp_and_levels_stay_within_1_to_10():
    r = Run(level=5, user_max_ua=400)
    r.start()
    r.until(ses.RUNNING)
    assert r.s.change_level(r.now, +20) == 10 and r.s.level == 10
    assert r.s.state == ses.RAMP_UP
    t = r.until(ses.RUNNING)
    assert r.s.amp_ua() == r.s.level_target_ua() == 400  # level 10 is the user's maximum
    assert t * SR05_UA_PER_S >= 200 * 1000, t  # 200 -> 400 µA
    assert r.s.change_level(r.now, +1) == 10  # at the top: no change, no event
    assert [e[2] for e in r.kinds("level")] == [10]
    assert r.s.state == ses.RUNNING
    assert r.s.change_level(r.now, -50) == 1
    assert r.s.level_target_ua() == ses.MIN_TARGET_UA  # 40 µA would be under the lowest setpoint
    t = r.until(ses.RUNNING)
    assert r.s.amp_ua() == ses.MIN_TARGET_UA and t * SR05_UA_PER_S >= 300 * 1000, t
    assert r.s.change_level(r.now, -1) == 1
    for bad in (0, 11, -3):
        r.s.configure("lift", bad, 400, 5, 5)
        assert r.s.level == 3, bad


def test_sr06_level_setpoints_are_bounded_by_the_lowest_setpoint_and_the_user_maximum():
    s = ses.Session(OutputEngine())
    for user_max in (100, 150, 400, 500):
        last = 0
        for level in range(1, ses.LEVELS + 1):
            s.configure("lift", level, user_max, 5, 5)
            t = s.level_target_ua()
            assert ses.MIN_TARGET_UA <= t <= user_max and t >= last, (user_max, level, t)
            last = t
        assert last == user_max
    s.configure("lift", 10, 60, 5, 5)  # below the lowest setpoint: never above the maximum
    assert s.level_target_ua() == 60
    s.configure("lift", 4, 400, 5, 5)
    assert s.target_ua() == 0  # idle: no current whatever the level


def test_sr05_sr07_pause_ramps_down_stops_the_timer_and_resume_ramps_up():
    r = Run(level=5, user_max_ua=400)
    r.start()
    r.until(ses.RUNNING)
    r.tick(n=300)
    r.s.toggle_hold(r.now)
    assert r.s.state == ses.HOLD and r.s.target_ua() == 0
    a = r.s.amp_na
    for _ in range(150):  # (the envelope waits through a negative half of lift)
        r.tick()
        if r.s.amp_na < a:
            break
    assert 0 < r.s.amp_na < a  # ramps down, not cut
    t0 = r.now
    while r.s.amp_na > 0:
        r.tick()
    assert (r.now - t0 + 10) * SR05_UA_PER_S >= 200 * 1000
    for _ in range(300):  # the last cycle is paid back, current flowing (timed too)
        r.tick()
        if not r.eng.running:
            break
    paused_at = r.s.delivered_ms
    r.tick(n=6000)  # one minute paused
    assert r.s.state == ses.HOLD and r.s.delivered_ms == paused_at and r.s.amp_na == 0
    assert not r.eng.running  # paid and stopped
    r.s.toggle_hold(r.now)
    assert r.s.state == ses.RAMP_UP and r.eng.running
    r.tick()
    assert 0 < r.s.amp_na <= ses.RAMP_UA_PER_S * 10
    r.until(ses.RUNNING)
    assert r.s.amp_ua() == 200 and r.s.delivered_ms > paused_at


def test_sr06_a_lift_cuts_at_once_pauses_the_timer_and_contact_back_ramps_from_zero():
    r = Run(level=5, user_max_ua=400)
    r.start()
    r.until(ses.RUNNING)
    r.tick(n=200)
    delivered = r.s.delivered_ms
    r.tick(reg.LOAD_OPEN)
    assert r.s.state == ses.NO_CONTACT and r.s.amp_na == 0
    assert r.s.contact_losses == 1 and len(r.kinds("contact_lost")) == 1
    assert r.s.target_ua() == 0 and r.s.active()
    r.tick(reg.LOAD_OPEN, n=500)  # 5 s off the skin
    assert r.s.state == ses.NO_CONTACT
    assert r.s.delivered_ms == delivered  # the timer waits
    assert r.s.amp_ua() == programs.PROBE_UA  # only the contact probe
    # a light contact past the compliance is not contact back
    r.tick(reg.LOAD_COMPLIANCE, n=50)
    assert r.s.state == ses.NO_CONTACT and r.s.delivered_ms == delivered
    r.tick(reg.LOAD_OK)
    assert r.s.state == ses.RAMP_UP and r.s.amp_na == 0
    assert len(r.kinds("contact_back")) == 1
    t = r.until(ses.RUNNING)
    assert r.s.amp_ua() == 200 and t * SR05_UA_PER_S >= 200 * 1000, t
    assert r.s.delivered_ms > delivered
    # the time off the skin did not count: the session still ends on time
    r.until(ses.DONE)
    assert r.s.ended_by == ses.END_TIMER and r.s.delivered_ms <= 5 * 60000


def test_sr05_a_stop_ramps_down_then_ends():
    r = Run(level=6, user_max_ua=500)
    r.start()
    r.until(ses.RUNNING)
    r.s.stop(r.now, ses.END_BUTTON)
    assert r.s.state == ses.RAMP_DOWN
    t = r.until(ses.DONE)
    assert t * SR05_UA_PER_S >= 300 * 1000, t
    assert r.s.ended_by == ses.END_BUTTON and r.s.amp_na == 0
    assert r.kinds("session_end")[0][2] == ses.END_BUTTON
    r.s.toggle_hold(r.now)  # nothing to pause once done
    assert r.s.state == ses.DONE


def test_sr04_a_residue_at_a_sessions_end_is_paid_at_one_code_before_it_ends():
    """A pause keeps a residue the engine could not pay at its zero envelope (and
    a ramp-down's last cycles can leave one): a stop pays one of a code for a
    tick or more at one code, to its last tick, then ends; less ends at once."""
    for name in ("lift", "tone", "smooth", "pulse"):
        for owed_ticks in (-3, 1, 4):
            r = Run(level=3, user_max_ua=100, program=name)
            r.start()
            r.until(ses.RUNNING)
            r.s.toggle_hold(r.now)
            r.until(ses.HOLD)
            while r.eng.running:  # the pause's ramp-down, to its end
                r.tick()
            tick = r.eng.tick
            r.s._kept = owed_ticks * tick  # as a pause keeps it (session.step)
            r.s.stop(r.now, ses.END_BUTTON)
            assert r.s.state == ses.RAMP_DOWN and r.eng.paying_debt(), (name, owed_ticks)
            codes = []
            while r.s.state != ses.DONE:
                assert len(codes) < 200, (name, owed_ticks)
                r.tick()
                codes.append(r.eng.code * r.eng.polarity)
            assert all(c in (0, 1, -1) for c in codes), (name, codes)
            assert r.eng.q == (owed_ticks + sum(codes)) * tick, (name, r.eng.q)  # every code for a whole tick
            assert sum(codes) == -owed_ticks and r.s.ended_by == ses.END_BUTTON, (name, owed_ticks, codes)
    r = Run(level=3, user_max_ua=100, program="tone")
    r.start()
    r.until(ses.RUNNING)
    r.s.toggle_hold(r.now)
    r.until(ses.HOLD)
    while r.eng.running:
        r.tick()
    r.s._kept = r.eng.tick - 1  # under a code for a tick: ends at once
    r.s.stop(r.now, ses.END_BUTTON)
    assert r.s.state == ses.DONE


def test_sr12_a_fault_cuts_at_once_and_only_a_clear_allows_a_new_session():
    r = Run(level=5, user_max_ua=400)
    r.start()
    r.until(ses.RUNNING)
    delivered = r.s.delivered_ms
    r.s.fault(r.now)
    assert r.s.state == ses.FAULT and r.s.amp_na == 0 and not r.eng.running
    assert r.kinds("session_end")[-1][1:3] == ("session_end", ses.END_FAULT)
    r.tick(n=500)
    assert r.s.state == ses.FAULT and r.s.amp_na == 0 and r.s.delivered_ms == delivered
    assert not r.start()  # no session while the fault stands
    r.s.fault_cleared(r.now)
    assert r.s.state == ses.IDLE
    assert r.start() and r.s.state == ses.RAMP_UP and r.s.delivered_ms == 0 and r.s.amp_na == 0
    # the App's USB fault names its cause
    r.until(ses.RUNNING)
    r.s.fault(r.now, ses.END_USB)
    assert r.s.ended_by == ses.END_USB


def test_start_only_from_idle_or_done_and_programs_change_only_when_idle():
    r = Run()
    assert r.start() and not r.start()
    r.until(ses.RUNNING)
    assert not r.start() and len(r.kinds("session_start")) == 1
    p = r.s.program
    r.s.next_program(r.now)
    assert r.s.program is p  # not while a session runs
    r.s.stop(r.now, ses.END_BUTTON)
    r.until(ses.DONE)
    r.s.next_program(r.now)
    assert r.s.program[0] == programs.PROGRAMS[1][0]
    assert r.start() and r.s.delivered_ms == 0
    assert r.s.tick_ms == programs.tick_ms_for(r.s.program)


def test_sr05_a_pulse_trains_envelope_waits_through_a_negative_block_while_it_rises():
    """`pulse`: the start ramp does not rise while a negative block pays the
    positive one (risen on, the next block began 183 uA above its last pulse)."""
    from wand.waveform import OutputEngine

    eng = OutputEngine()
    s = ses.Session(eng)
    s.configure("pulse", 10, 500, 5, 5)
    s.start(0)
    held = moved = 0
    for t in range(10, 8000, 10):
        before = s.amp_na
        s.step(t, 10, reg.LOAD_OK)
        if s.amp_na == before and s.state == ses.RAMP_UP:
            held += 1
            assert eng.holds_rise(), t  # it waits only through a negative block
        elif s.state == ses.RAMP_UP:
            moved += 1
        eng.step(s.amp_na // 2157 if s.amp_na > 0 else 0)
        eng.account(100, eng.code)
    assert held >= 50 and moved >= 200, (held, moved)


def test_sr05_a_pulse_trains_envelope_falls_pulse_by_pulse_and_waits_through_negative_blocks():
    """`pulse` ramping down: a falling positive block ends after a pulse and
    the envelope waits through the negative one, so each pulse is at most
    one period's fall (45 uA at 90 uA/s) from the one before (at the falling
    block's mean the negative block stepped up to 220 uA/s, and the last
    pulse of the session was at 400 uA)."""
    from wand.waveform import OutputEngine

    eng = OutputEngine()
    s = ses.Session(eng)
    s.configure("pulse", 10, 500, 5, 5)
    s.start(0)
    peaks, run, last = [], 0, 0
    t = 0
    while t < 60000 and s.state != ses.DONE:
        t += 10
        if t == 12000:
            s.stop(t, ses.END_BUTTON)
        before = s.amp_na
        s.step(t, 10, reg.LOAD_OK)
        if t > 12000 and s.amp_na < before:
            assert not eng.holds_fall(), t
        eng.step(s.amp_na // 2157 if s.amp_na > 0 else 0)
        eng.account(100, eng.code)
        if eng.code:
            run = max(run, eng.code)
        elif run:
            peaks.append(run)
            run = 0
        last = t
    assert s.state == ses.DONE and last < 40000, (s.state, last)
    fall = peaks[peaks.index(max(peaks)):]
    assert len(fall) >= 15 and all(fall[k] - fall[k + 1] <= 25 for k in range(len(fall) - 1)), fall  # codes: 25 = 54 uA


def test_sr05_the_ramp_rate_the_app_sets_is_the_one_the_envelope_takes():
    """App.apply_settings slows the ramp under a stored stage gain below
    nominal (a calibration 20 % low made 90 uA/s in codes 112 real uA/s, and
    `tone`'s phases 216 uA/s apart): the envelope and the ramp-down's timing
    both take session.ramp."""
    fast = Run(level=5, user_max_ua=400, program="tone")
    slow = Run(level=5, user_max_ua=400, program="tone")
    slow.s.ramp = ses.RAMP_UA_PER_S * 1726 // reg.GAIN_NOM  # the lowest stored gain the validator takes
    assert slow.s.ramp == 72, slow.s.ramp
    for r in (fast, slow):
        r.start()
        r.tick(n=50)  # 500 ms of the start ramp
    assert fast.s.amp_na == 90 * 500 and slow.s.amp_na == 72 * 500, (fast.s.amp_na, slow.s.amp_na)
    up = slow.until(ses.RUNNING) + 500
    assert up * 72 >= slow.s.level_target_ua() * 1000, up


def test_sr07_a_slower_ramp_plans_a_20_minute_session_shorter_by_as_much():
    """A review of the slower ramp under a low stored gain: a 20-minute `pulse`
    session with stalls at its end gave 1201.1 s of current, the reserve sized
    for 90 uA/s. The reserve grows with the slower ramp's longer end."""
    s = ses.Session(OutputEngine())
    s.configure("pulse", 10, 500, 20, 0)
    assert s.session_ms == 20 * 60000 - ses.HARD_RESERVE_MS
    s.ramp = ses.RAMP_UA_PER_S * 1725 // reg.GAIN_NOM  # the lowest stored gain the validator takes: 71
    s.configure("pulse", 10, 500, 20, 0)
    assert s.session_ms == 20 * 60000 - ses.HARD_RESERVE_MS * 90 // 71, s.session_ms
    s.configure("pulse", 10, 500, 5, 0)
    assert s.session_ms == 5 * 60000  # (shorter sessions are planned whole)
