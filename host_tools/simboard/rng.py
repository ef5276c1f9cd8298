"""xorshift32: a tiny PRNG that gives the same sequence on CPython and MicroPython.

`random` differs between the two interpreters (and is missing from some
builds), so every seeded quantity of the simulated board comes from here.
"""

_M32 = 0xFFFFFFFF


class Rng:
    def __init__(self, seed=0):
        # Spread small seeds over the state space; xorshift32 must not start at 0.
        s = ((seed & _M32) * 2654435761 + 0x9E3779B9) & _M32
        if s == 0:
            s = 0x6D2B79F5
        self.s = s
        for _ in range(4):
            self.next()

    def next(self):
        """Next 32-bit value (1..2**32-1)."""
        x = self.s
        x ^= (x << 13) & _M32
        x ^= x >> 17
        x ^= (x << 5) & _M32
        self.s = x
        return x

    def random(self):
        """Float in [0, 1)."""
        return self.next() / 4294967296.0

    def uniform(self, a, b):
        return a + (b - a) * (self.next() / 4294967296.0)

    def randint(self, a, b):
        """Integer in a..b inclusive."""
        return a + self.next() % (b - a + 1)

    def gauss(self, mu=0.0, sigma=1.0):
        """Approximately normal: sum of four uniforms, scaled to unit variance."""
        n = self.next() + self.next() + self.next() + self.next()
        # Mean of the sum is 2 * 2**32, variance 4/12 * 2**64.
        return mu + sigma * (n / 4294967296.0 - 2.0) * 1.7320508075688772

    def fork(self):
        """An independent stream seeded from this one."""
        return Rng(self.next())
