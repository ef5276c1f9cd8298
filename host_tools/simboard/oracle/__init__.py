"""The trace oracle: one verdict and one figure for every clause of the safety
requirements (docs/safety.md), computed from the TRUE load current and what
the simulated world did (the plant's view), never from what the firmware says
it did.

Input is a `Trace`:

- `samples`: (t_ms, load_uA, dac_code, led_green, led_red, tone_hz), the true
  signed load current and the output pins every `sample_ms`;
- `slots`: (t_end_ms, peak_uA), the exact peak |I| of every 10 ms slot of the
  plant (CPython in-process runs); without it the samples stand in;
- `phases`: (t0_ms, t1_ms, charge_uC), the exact charge of every polarity
  phase, as the plant integrates it;
- `actions`: (t_ms, action, args) what the world did to the board (the
  scenario script: buttons, contact, load, injections, USB, stalls, resets,
  power cuts, files written to the flash);
- `resets`: (t_ms, cause) as the chip rebooted;
- `events`: the firmware's observer events. They are used ONLY to name things
  (which session, why it ended, bench mode was entered); every verdict is
  measured on the plant;
- `settings_bytes`: the settings file the scenario put on the flash (None:
  none); the oracle validates it with the firmware's own validator to know
  the limits the user asked for;
- `files`: the flash's files at the end (name -> bytes); `cut_files`: a list
  of (t_ms, {name: bytes}) snapshots taken right after each power cut.

`judge(trace)` returns {"SR-01": clause, ..., "sessions": [...], "ok": bool,
"violations": [str]}; every clause has `ok`, `n` (how many instances were
judged; 0 is said, never hidden) and its figures, all numbers.

The package, one job a module:

- `trace`: the Trace, the effective settings, the firmware's own modules;
- `limits`: the numbers the clauses hold the run to;
- `view`: the plant-side series shared by the clauses (lifts, shorts, faults);
- `cycles`: polarity phases and cycles, ticks, gain steps;
- `spans`: sessions, stalls, fault windows, flow runs, contact state;
- `current_limits`: SR-01, SR-05;  `charge_balance`: SR-04;
- `contact_and_session`: SR-06, SR-07;
- `sensor_usb_watchdog`: SR-08, SR-09, SR-02;
- `flash_and_latch`: SR-10, SR-12;
- `verdict`: `judge`, `violation_classes`;
- `characterization`: `output_figures`.
"""

from simboard.oracle.characterization import output_figures
from simboard.oracle.charge_balance import sr04
from simboard.oracle.contact_and_session import sr06, sr07
from simboard.oracle.current_limits import sr01, sr05
from simboard.oracle.flash_and_latch import sr10, sr12
from simboard.oracle.limits import (
    HARD_CEILING_UA,
    HW_FAULTS,
    HW_MAX_UA,
    LIFT_MAX_MS,
    NET_MAX_RATIO,
    OPEN_OHMS,
    OVERSHOOT_MAX,
    RAMP_MAX_UA_S,
    SAMPLE_SLACK_MS,
    SENSE_FAULTS,
    SENSOR_MAX_MS,
    SESSION_HARD_S,
    SHORT_JUDGE_UA,
    SHORT_MAX_MS,
    SHORT_OHMS,
    TOLD_MAX_MS,
    TRIP_EXTRA_PCT,
    TRIP_EXTRA_UA,
    USB_MAX_MS,
)
from simboard.oracle.sensor_usb_watchdog import sr02, sr08, sr09
from simboard.oracle.spans import sessions
from simboard.oracle.trace import Trace, _firmware, effective_settings
from simboard.oracle.verdict import judge, violation_classes

__all__ = [
    "HARD_CEILING_UA", "HW_FAULTS", "HW_MAX_UA", "LIFT_MAX_MS", "NET_MAX_RATIO", "OPEN_OHMS", "OVERSHOOT_MAX",
    "RAMP_MAX_UA_S", "SAMPLE_SLACK_MS", "SENSE_FAULTS", "SENSOR_MAX_MS", "SESSION_HARD_S",
    "SHORT_JUDGE_UA", "SHORT_MAX_MS", "SHORT_OHMS", "TOLD_MAX_MS", "TRIP_EXTRA_PCT", "TRIP_EXTRA_UA",
    "USB_MAX_MS", "Trace", "_firmware", "effective_settings", "judge", "output_figures", "sessions",
    "sr01", "sr02", "sr04", "sr05", "sr06", "sr07", "sr08", "sr09", "sr10", "sr12", "violation_classes",
]
