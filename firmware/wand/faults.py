"""Fault codes (the blink code of a fault is its number of red blinks), and
the names of the chip's reset causes, which the fault latch depends on."""

from micropython import const

NONE = const(0)
OVERCURRENT = const(1)  # SR-01 monitor
SENSE_STUCK = const(2)  # SR-08
SENSE_OPEN = const(3)  # SR-08
GAIN_DRIFT = const(4)  # SR-08
BOOT_SENSE = const(5)  # SR-08 boot check
SHORT = const(6)  # SR-06
WATCHDOG = const(7)  # SR-12
BATTERY_CRITICAL = const(8)  # SR-09
INTERNAL = const(9)  # exception in the control loop
USB_POWER = const(10)  # USB power appeared during a session outside bench mode (SR-09)
LOOP_STALL = const(11)  # the loop stalled under the watchdog again and again (SR-02, SR-07)

# machine.reset_cause() on the ESP32 port, and by name (the boot's log line, `status`)
PWRON_RESET = const(1)  # power applied (or a brown-out)
WDT_RESET = const(3)
DEEPSLEEP_RESET = const(4)  # the power button's wake from the idle auto-off or a switch-off
RESET_NAMES = {PWRON_RESET: "power_on", 2: "hard", WDT_RESET: "watchdog", DEEPSLEEP_RESET: "deepsleep", 5: "soft"}

_NAMES = (
    "none",
    "overcurrent",
    "sense_stuck",
    "sense_open",
    "gain_drift",
    "boot_sense",
    "short",
    "watchdog",
    "battery_critical",
    "internal",
    "usb_power",
    "loop_stall",
)


def name(code):
    if 0 <= code < len(_NAMES):
        return _NAMES[code]
    return "unknown"
