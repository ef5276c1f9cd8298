"""The numbers the safety requirements set (docs/safety.md), in one place:
the current limits (SR-01), ramp (SR-05), charge balance (SR-04), lift,
short and overshoot times (SR-06), session length (SR-07), sensor (SR-08)
and USB (SR-09) reaction times, and the fault names the scenarios inject.
"""

HARD_CEILING_UA = 500
HW_MAX_UA = 600.0
TRIP_EXTRA_PCT = 10  # SR-01 layer 2 trips above limit*1.10 + 10 uA
TRIP_EXTRA_UA = 10
RAMP_MAX_UA_S = 200.0
NET_MAX_RATIO = 0.01
LIFT_MAX_MS = 100
TOLD_MAX_MS = 100
SHORT_MAX_MS = 2000  # SR-06 sets no time for a short: 2 s of drive into it (the firmware: 0.4..1.0 s)
OVERSHOOT_MAX = 0.05
SESSION_HARD_S = 1200
SENSOR_MAX_MS = 500
USB_MAX_MS = 50
SAMPLE_SLACK_MS = 10  # one sample period of measurement granularity
SHORT_OHMS = 200.0
SHORT_JUDGE_UA = 85  # regulator._SHORT_MIN_UA: the command from which a short is judged
OPEN_OHMS = 1.0e6  # a resistor this large is a lift for the stage (21.5 V at 21.5 uA)
# and this large the open air for a pulse train's sense current between its pulses (the compliance at
# 2 uA); under it that current flows, a lift there is seen at the next pulse (review: 1 MOhm)
SENSE_OPEN_OHMS = 1.2e7
HW_FAULTS = ("gain_drift",)
SENSE_FAULTS = ("sense_stuck", "sense_frozen", "sense_open", "sense_gain")
