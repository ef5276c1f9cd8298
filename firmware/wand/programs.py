"""Programs as data.

Each program is a tuple (name, half_ms, period_ms, on_ms):
- half_ms: how long the output stays in one polarity (positive half; the
  negative half lasts until the charge is balanced again, see waveform.py);
- period_ms, on_ms: within a half, the output is on for on_ms of every
  period_ms (on_ms == period_ms: a plain biphasic square wave).

So a biphasic square wave of f Hz is (name, 500/f, 500/f, 500/f); a
polarity-alternating pulse train is (name, alternation, pulse period, pulse width).
Sources for the defaults are in docs/programs.md.
"""

from micropython import const

NAME = const(0)
HALF_MS = const(1)
PERIOD_MS = const(2)
ON_MS = const(3)

PROGRAMS: tuple = (
    # 0.5 Hz biphasic square: the slow "lift" rate of microcurrent practice.
    ("lift", 1000, 1000, 1000),
    # 10 Hz biphasic square.
    ("tone", 50, 50, 50),
    # 100 Hz biphasic square: the fast microcurrent rate.
    ("smooth", 5, 5, 5),
    # 2 Hz, 100 ms monophasic pulses whose polarity alternates every 3 s;
    # balanced over each 6 s polarity period (SR-04: at most 10 s).
    ("pulse", 3000, 500, 100),
)

# Contact probe while paused (SR-06): one 10 ms pulse, the opposite one 200 ms
# later, every 400 ms; balanced like any program.
PROBE: tuple = ("probe", 200, 200, 10)
PROBE_UA = const(10)
# SR-06: between the pulses of `pulse` the output carries this much, of the
# block's polarity, so a lift there is seen within 3 ticks, not at the next
# pulse (booked and paid back like the pulses: waveform.py).
SENSE_UA = const(2)

DEFAULT = "lift"


def find(name) -> tuple | None:
    for p in PROGRAMS:
        if p[NAME] == name:
            return p
    return None


def index(name):
    for i in range(len(PROGRAMS)):
        if PROGRAMS[i][NAME] == name:
            return i
    return -1


def names() -> list:
    return [p[NAME] for p in PROGRAMS]


def frequency_mhz(program):
    """Nominal repetition rate in millihertz (one positive and one negative half)."""
    if program[ON_MS] == program[PERIOD_MS]:
        return 500000 // program[HALF_MS]
    return 1000000 // program[PERIOD_MS]


def tick_ms_for(program):
    """Loop period that can time this program: 10 ms, or 5 ms for half-periods under 10 ms."""
    if program[ON_MS] < 10 or program[HALF_MS] < 10:
        return 5
    return 10
