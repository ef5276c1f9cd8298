"""The simulated ESP32's fixed facts: tick arithmetic, reset causes, pin modes
and pin capabilities as on the ESP32 port, and the two exceptions that stop
the chip (`ChipReset`, `SimEnd`). Shared by the World's parts and by
`simboard.machine`/`time`/`esp32` (through `simboard.world`)."""

TICKS_PERIOD = 1 << 30
TICKS_MAX = TICKS_PERIOD - 1
TICKS_HALF = TICKS_PERIOD >> 1

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5

# Pin modes/pulls as on the ESP32 port.
IN = 1
OUT = 3
OPEN_DRAIN = 7
PULL_DOWN = 1
PULL_UP = 2

VALID_PINS = tuple(list(range(0, 6)) + list(range(12, 20)) + [21, 22, 23, 25, 26, 27]
                   + list(range(32, 40)))
INPUT_ONLY = (34, 35, 36, 37, 38, 39)
RTC_PINS = (0, 2, 4, 12, 13, 14, 15, 25, 26, 27, 32, 33, 34, 35, 36, 37, 38, 39)
ADC1_PINS = (32, 33, 34, 35, 36, 37, 38, 39)
ADC2_PINS = (0, 2, 4, 12, 13, 14, 15, 25, 26, 27)
DAC_PINS = (25, 26)
RTC_MEM_MAX = 2048
FOREVER = 1 << 62


class ChipReset(BaseException):
    """The chip reset: ChipReset(cause, arg=None); cause is 'wdt', 'hard',
    'deepsleep' (arg: sleep ms), 'power_cut' or 'stale'."""

    @property
    def cause(self):
        return self.args[0] if self.args else "hard"

    @property
    def arg(self):
        return self.args[1] if len(self.args) > 1 else None


class SimEnd(BaseException):
    """The scripted end of the simulation was reached."""
