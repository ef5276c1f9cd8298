"""micropython usbserial_idle.py N: poll an idle UsbSerial N times, print the
heap bytes allocated meanwhile (`alloc <bytes>`). Run with a stdin that stays
open and silent (a pipe nobody writes to).

Not a board: it measures one class (`wand.usbserial.UsbSerial`) alone on the
MicroPython unix port, where gc.mem_alloc() counts what its read costs. The
simulated board would add the firmware's and the simulator's allocations to
the figure."""

import gc
import sys

here = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
sys.path.insert(0, here + "/../../../firmware")

from wand.usbserial import UsbSerial  # noqa: E402

serial = UsbSerial()
buf = bytearray(64)
serial.read_into(buf)  # first call builds the poller
n = int(sys.argv[1])
got = 0
gc.collect()
before = gc.mem_alloc()
i = 0
while i < n:
    got += serial.read_into(buf)
    i += 1
print("alloc", gc.mem_alloc() - before, "read", got)
