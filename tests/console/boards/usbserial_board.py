"""A MicroPython unix-port process serving the console on its own stdin/stdout.

Run as `micropython usbserial_board.py`: the real `wand.usbserial.UsbSerial`
reads the process's stdin without blocking and the real `Console` answers,
driven by a 10 ms loop, with the scripted target of tests/unit/console_fakes.py. It
prints how many ticks ran when its stdin closes... it never does in tests:
the test kills it.
"""

import sys
import time

here = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
sys.path.insert(0, here + "/../../unit")
sys.path.insert(0, here + "/../../../firmware")

from console_fakes import FakeTarget  # noqa: E402

from wand.console import Console  # noqa: E402
from wand.usbserial import UsbSerial  # noqa: E402

console = Console(FakeTarget(bench=True), UsbSerial())
start = time.ticks_ms()
while True:
    now = time.ticks_diff(time.ticks_ms(), start)
    console.poll(now)
    time.sleep_ms(10)
