# main.py: run the wand. boot.py and main.py share their globals on MicroPython,
# so the DAC boot.py made (one DAC per boot) is handed over here.
import time

import machine

try:
    import esp32
except ImportError:
    esp32 = None

from wand.app import main

main(machine, time, esp32, dac=globals().get("BOOT_DAC"))
