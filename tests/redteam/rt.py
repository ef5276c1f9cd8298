"""Helpers shared by the red-team tests: measurements on the plant's samples."""

from harness import simulate  # noqa: F401  (re-exported for the tests)

G_NOM = 2157  # nA per DAC code (board.json), what settings.py calls _GAIN_NOM
S_NOM = 3500  # µV per µA of the sense


def peak(run, t0_ms=0, t1_ms=10**12):
    """Largest |true load current| (µA) in [t0, t1] from the 10 ms samples."""
    return max([abs(s.ua) for s in run.samples if t0_ms <= s.t <= t1_ms] or [0.0])


def flowing_s(run, t0_ms=0, t1_ms=10**12, above_ua=1.0):
    """Seconds (by 10 ms samples) with |true current| above `above_ua`."""
    n = sum(1 for s in run.samples if t0_ms <= s.t <= t1_ms and abs(s.ua) > above_ua)
    return n * (run.samples[1].t - run.samples[0].t) / 1000.0


def pulses(run, min_ua=6.0):
    """Runs of samples with current over min_ua: [t_start, t_end, peak |µA|, sign].
    (Over the 2 uA `pulse` drives between its pulses to see a lift there: with
    0.5, a block's six pulses read as one, SR-06's sense current.)"""
    out, cur = [], None
    for s in run.samples:
        if abs(s.ua) > min_ua:
            if cur is None:
                cur = [s.t, s.t, 0.0, 1 if s.ua > 0 else -1]
            cur[1] = s.t
            cur[2] = max(cur[2], abs(s.ua))
        elif cur is not None:
            out.append(cur)
            cur = None
    return out


class FakeSerial:
    """The USB serial for SimApp: bytes queued by the test, replies collected.

    Not a board: the board under these tests is simboard's World (SimApp); this is
    only the console's byte stream (read_into / write), fed in step with the
    virtual clock instead of over a pty."""

    def __init__(self):
        self.inbox = bytearray()
        self.out = []

    def send(self, line):
        self.inbox += line.encode() + b"\n"

    def read_into(self, buf):
        n = min(len(buf), len(self.inbox))
        buf[:n] = self.inbox[:n]
        del self.inbox[:n]
        return n

    def write(self, s):
        self.out.append(s)

    def text(self):
        return "".join(self.out)

    def replies(self):
        return [x for x in self.text().split("\r\n") if x.startswith("ok ") or x.startswith("err ")]
