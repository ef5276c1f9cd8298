"""Pass/fail limits of the hardware check, each with where it comes from.

The safety requirements are in docs/safety.md (SR-01..SR-12); the ESP32 facts
in the platform notes (docs/platform.md). A limit that is a design tolerance, not a
requirement, says so. The hardware ceiling itself (SR-01 layer 3) is
board.json's `analog.hw_limit_max_ua`; `check_board` refuses a board.json that
sets it above SR-01's 600 µA.
"""

from __future__ import annotations

from .errors import CheckError

# SR-01 (docs/safety.md): the firmware's hard ceiling, and the hardware layer's
# bound "at most 600 µA even with the DAC stuck at full scale".
SR01_HARD_CEILING_UA = 500.0
SR01_HW_MAX_UA = 600.0

# SR-04 (docs/safety.md): net charge per cycle at most 1 % of the phase charge;
# and the same magnitude in both polarities (design tolerance that keeps it).
CHARGE_BALANCE_PCT = 1.0
POLARITY_TOL_UA = 0.5
POLARITY_TOL_PCT = 0.5

# SR-03 (docs/safety.md): the output is off with the ESP32 in reset. "Off" is
# a load current below this.
RESET_MAX_UA = 1.0

# SR-01 at a polarity reversal with the firmware's sequence: no overshoot, the
# peak within steady + 1 % + 2 µA (design tolerance; the ceiling applies too).
REV_OVERSHOOT_PCT, REV_OVERSHOOT_UA = 1.0, 2.0

# Current tracking (the firmware's stage gain, which SR-01 layer 2 and SR-08
# rely on): ±(2 % + 2 µA), design tolerance.
TRACK_TOL_PCT = 2.0
TRACK_TOL_UA = 2.0

# Sense paths read by the firmware (SR-08 plausibility, SR-06 contact): their
# transfer matches the formula the firmware uses (design tolerances) and stays
# inside the ESP32 ADC's linear range at 11 dB (docs/platform.md).
SENSE_TOL_MV = 10.0
SENSE_TOL_PCT = 1.0
VLOAD_TOL_MV = 20.0
ADC_LINEAR_MV = (150.0, 2450.0)

# SR-09 (docs/safety.md): the USB sense pin is a digital input; the ESP32 pin
# takes at most 3.6 V. Input thresholds as fractions of VDD.
ESP32_VIH_FRAC = 0.75
ESP32_VIL_FRAC = 0.25
USB_PIN_MAX_V = 3.6

# The netlist leaves out the MOSFET body diodes (models.lib): below this forward
# voltage one carries no current, so the omission changes nothing.
BODY_FWD_MAX = 0.3


def check_board(board: dict) -> None:
    """Refuse a board.json whose hardware ceiling SR-01 does not allow."""
    hw_max = board["analog"]["hw_limit_max_ua"]
    if hw_max > SR01_HW_MAX_UA:
        raise CheckError(
            "board.json analog.hw_limit_max_ua is %g µA, above SR-01's hardware bound of %g µA (docs/safety.md)"
            % (hw_max, SR01_HW_MAX_UA)
        )
