# boot.py: force the output off before anything else (SR-03).
# On the ESP32 the DAC value and GPIO levels survive a soft reset, and the
# watchdog keeps running, so the first statements put the output stage in its
# safe state: output enable low, both H-bridge legs low, DAC at 0. Only
# `machine` is imported before that; the pin numbers are literals on purpose
# (tests/system/test_sr03_safe_state.py checks them against hardware/board.json).
import machine

machine.Pin(27, machine.Pin.OUT, value=0)  # output enable (hardware pull-down too)
machine.Pin(32, machine.Pin.OUT, value=0)  # H-bridge leg A
machine.Pin(33, machine.Pin.OUT, value=0)  # H-bridge leg B
try:
    BOOT_DAC = machine.DAC(machine.Pin(25))  # constructing sets 0; main.py reuses it
    BOOT_DAC.write(0)
except OSError:
    # The DAC channel is still held from before a soft reset (ESP-IDF's oneshot
    # driver has no deinit). Enable and legs are already low, so no current can
    # flow; no reset here, so mpremote's raw-REPL soft reset keeps its session.
    # main.py (friendly mode only) hard-resets to get the DAC back.
    BOOT_DAC = None

try:
    import micropython

    micropython.alloc_emergency_exception_buf(100)
except (ImportError, AttributeError):
    pass
BOOT_RESET_CAUSE = machine.reset_cause()
