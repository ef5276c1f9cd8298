"""The shims let firmware run as its own MicroPython process on the simulated board."""

import subprocess
from pathlib import Path

import pytest

from wandctl import paths
from wandctl.tools import find_tool

ROOT = Path(__file__).resolve().parents[2]
MPY = Path(find_tool("micropython"))
SHIM = ROOT / "host_tools" / "simboard" / "shim"

PROG = """
import machine, time, esp32
print("cause", machine.reset_cause(), machine.RTC().memory())
dac = machine.DAC(machine.Pin(25))
oe = machine.Pin(27, machine.Pin.OUT, value=1)
a = machine.Pin(32, machine.Pin.OUT, value=1)
dac.write(100)
adc = machine.ADC(machine.Pin(36), atten=machine.ADC.ATTN_11DB)
t0 = time.ticks_ms()
time.sleep_ms(50)
print("elapsed", time.ticks_diff(time.ticks_ms(), t0))
print("sense_mv", adc.read_uv() // 100000)
try:
    machine.Pin(34, machine.Pin.OUT)
except ValueError as e:
    print("strict", e)
while True:
    time.sleep_ms(100)
"""


@pytest.mark.skipif(not MPY.exists(), reason="MicroPython unix port not installed")
def test_shim_runs_firmware_as_a_micropython_process_until_sim_end(tmp_path):
    env = dict(paths.micropython_env(first=SHIM), SIMBOARD_SEED="2", SIMBOARD_SECONDS="1",
               SIMBOARD_LOAD_OHMS="2000", SIMBOARD_RESET_CAUSE="3", SIMBOARD_RTC="6869",
               SIMBOARD_FLASH=str(tmp_path))
    r = subprocess.run([str(MPY), "-X", "heapsize=100wK", "-c", PROG], capture_output=True, text=True,
                       env=env, cwd=str(tmp_path), timeout=60)
    lines = r.stdout.splitlines()
    assert lines[0] == "cause 3 b'hi'"
    assert lines[1] == "elapsed 50"
    # 100 codes ~ 216 uA -> 200 + 3.5 * 216 mV ~ 0.96 V, in units of 100 mV
    assert lines[2] in ("sense_mv 9", "sense_mv 10")
    assert lines[3] == "strict pin can only be input"
    assert "SimEnd" in r.stdout + r.stderr  # the scripted end stops the process
    assert r.returncode != 0
