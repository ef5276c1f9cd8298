"""A scripted serial and a recording console target (MicroPython-compatible).

`FakeTarget` implements the console target contract of docs/architecture.md
with a small state (state, level, settings, fault); every method call is
counted so tests can check that bad input reached nothing that changes state.

Neither is a board. FakeSerial is the byte stream of one module (the line
reader / Console: read_into, write), scripted byte by byte; FakeTarget is the
one interface the Console calls, so the console's parser and SR-11 fuzz can
count every call into it. Both run on the MicroPython unix port with the unit
tests. Tests of the console with the real App under it use simboard's World
(tests/console/appboard.py).
"""

MUTATORS = ("calibrate_start", "settings_set", "bench_start", "bench_stop", "bench_level",
            "clear_fault", "reboot", "enter_repl")


class FakeSerial:
    def __init__(self):
        self.inbox = bytearray()
        self.out = []
        self.reads = 0
        self.max_read = 1 << 20  # bytes the "wire" delivers per read at most
        self.clock = 0  # ms, advanced by run()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.inbox.extend(data)

    def read_into(self, buf):
        self.reads += 1
        n = min(len(buf), len(self.inbox), self.max_read)
        for i in range(n):
            buf[i] = self.inbox[i]
        self.inbox = self.inbox[n:]
        return n

    def write(self, s):
        self.out.append(s)

    def text(self):
        return "".join(self.out)

    def take_lines(self):
        """Complete output lines so far, in order; clears them."""
        text = "".join(self.out)
        self.out = []
        lines = text.split("\r\n")
        rest = lines.pop()
        if rest:
            self.out.append(rest)
        return lines


class FakeTarget:
    def __init__(self, bench=True):
        self.bench = bench
        self.state = "idle"
        self.level = 0
        self.fault = None
        self.settings = {"session_min": 5, "user_max_ua": 400, "idle_off_s": 120}
        self.calls = []
        self.cal_ticks = -1
        self.cal_result = {"gain": 1.01, "offset_ua": -2.0}
        self.raise_in = None  # name of a method that raises
        self.repl = 0
        self.reboots = 0

    def _call(self, name):
        self.calls.append(name)
        if self.raise_in == name:
            raise RuntimeError("boom in " + name)

    def mutations(self):
        return [c for c in self.calls if c in MUTATORS]

    def snapshot(self):
        return (self.state, self.level, self.fault, sorted(self.settings.items()), self.repl,
                self.reboots, self.cal_ticks >= 0)

    def hello(self):
        self._call("hello")
        return {"fw": "0.1.0", "protocol": 1, "board": "microwand-v1", "reset_cause": "power_on"}

    def status(self):
        self._call("status")
        return {"state": self.state, "program": "lift", "level": self.level,
                "setpoint_ua": self.level * 20, "measured_ua": self.level * 20 - 1,
                "load_ohms": None, "battery_v": 3.9, "usb": True, "bench": self.bench,
                "fault": self.fault, "uptime_s": 12, "wdt_armed": True}

    def log_tail(self, n):
        self._call("log_tail")
        events = [{"t": i, "event": "e%d" % i} for i in range(40)]
        return events[-n:]

    def fault_history(self):
        self._call("fault_history")
        return [{"t": 3, "code": 6, "name": "SHORT"}]

    def selftest(self):
        self._call("selftest")
        return [["output_off", True, "dac 0"], ["sense_zero", True, "0.4 uA"]]

    def calibrate_start(self, ohms):
        self._call("calibrate_start")
        if not self.bench:
            return "denied bench mode only"
        self.cal_ticks = 3
        return None

    def calibrate_poll(self):
        self._call("calibrate_poll")
        if self.cal_ticks < 0:
            return "not calibrating"
        if self.cal_ticks > 0:
            self.cal_ticks -= 1
            return None
        self.cal_ticks = -1
        return self.cal_result

    def settings_get(self, name):
        self._call("settings_get")
        if name is None:
            return dict(self.settings)
        if name not in self.settings:
            return None
        return {name: self.settings[name]}

    def settings_set(self, name, value):
        self._call("settings_set")
        try:
            v = int(value)
        except ValueError:
            return "arg not a number: " + value
        if name == "user_max_ua" and v > 500:
            return "denied above the hard ceiling of 500 uA"
        self.settings[name] = v
        return None

    def bench_start(self):
        self._call("bench_start")
        if self.fault is not None:
            return "state fault latched"
        self.state = "running"
        return None

    def bench_stop(self):
        self._call("bench_stop")
        self.state = "idle"
        return None

    def bench_level(self, n):
        self._call("bench_level")
        if n > 10:
            return "arg level 0..10"
        self.level = n
        return None

    def clear_fault(self):
        self._call("clear_fault")
        self.fault = None
        return None

    def telemetry(self):
        self._call("telemetry")
        return (1234, self.level * 20, self.level * 20 - 1, self.state)

    def reboot(self):
        self._call("reboot")
        self.reboots += 1

    def enter_repl(self):
        self._call("enter_repl")
        self.repl += 1


def run(console, serial, ticks, step_ms=10):
    """Poll the console `ticks` times, the clock (`serial.clock`) moving on."""
    t = serial.clock
    for _ in range(ticks):
        console.poll(t)
        t += step_ms
    serial.clock = t
    return t


def exchange(console, serial, line, ticks=20):
    """Send one line, run some ticks, return the reply lines (no telemetry/info)."""
    serial.send(line)
    run(console, serial, ticks)
    return [x for x in serial.take_lines() if x.startswith("ok ") or x.startswith("err ")]


def new_console(bench=True):
    """A Console on a FakeSerial and FakeTarget, its banner already read."""
    from wand.console import Console

    serial = FakeSerial()
    target = FakeTarget(bench)
    console = Console(target, serial)
    run(console, serial, 3)
    banner = serial.take_lines()
    assert banner and banner[0].startswith("# ")
    return console, serial, target


def ok_payload(reply_lines):
    """The JSON of the single `ok` reply in `reply_lines`."""
    import json

    assert len(reply_lines) == 1, reply_lines
    assert reply_lines[0].startswith("ok "), reply_lines
    return json.loads(reply_lines[0][3:])


def err_message(reply_lines, code):
    """The message of the single `err CODE` reply in `reply_lines`."""
    assert len(reply_lines) == 1, reply_lines
    words = reply_lines[0].split(" ", 2)
    assert words[0] == "err" and words[1] == code, reply_lines
    assert len(words) == 3 and words[2]
    return words[2]
