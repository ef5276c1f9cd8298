# Freeze the wand package into a MicroPython firmware image, so its bytecode
# runs from flash instead of the heap (micropython-lib manifest syntax).
#
#   cd micropython/ports/esp32
#   make BOARD=ESP32_GENERIC FROZEN_MANIFEST=/path/to/microwand/firmware/manifest.py
#
# boot.py and main.py stay files on the board's filesystem (MicroPython runs
# them by name); `wandctl deploy` copies them.
include("$(PORT_DIR)/boards/manifest.py")
package("wand", opt=3)
