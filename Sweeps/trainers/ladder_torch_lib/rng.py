"""SplitMix64 and the Feistel window order, bit for bit as Sources/ScalingLaws/SplitMix64.swift and
Sources/Training/TokenDataset+Windows.swift, so both trainers draw the same windows and initial weights."""
import numpy as np

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + GOLDEN) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def gaussians(self, n):
        """n standard normals (Box-Muller, two draws each), as `nextGaussian()` n times, vectorized."""
        k = np.arange(1, 2 * n + 1, dtype=np.uint64)
        with np.errstate(over="ignore"):
            z = np.uint64(self.state) + k * np.uint64(GOLDEN)
            z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
        u = (z >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
        u1, u2 = u[0::2], u[1::2]
        if np.any(u1 <= 0):  # the Swift loop redraws u1; one in 2^53 draws, so replay it exactly
            return np.array([self._gaussian() for _ in range(n)])
        self.state = (self.state + 2 * n * GOLDEN) & MASK
        return np.sqrt(-2 * np.log(u1)) * np.cos(2 * np.pi * u2)

    def _gaussian(self):
        u1 = (self.next() >> 11) * 2.0 ** -53
        while u1 <= 0:
            u1 = (self.next() >> 11) * 2.0 ** -53
        u2 = (self.next() >> 11) * 2.0 ** -53
        return float(np.sqrt(-2 * np.log(u1)) * np.cos(2 * np.pi * u2))


class WindowOrder:
    """A seeded permutation of range(count): a 4-round Feistel network on the next even power of
    two, cycle-walking back into range; a different order for each pass."""

    def __init__(self, count, seed, pass_index):
        self.count = count
        bits = 1
        while (1 << (2 * bits)) < count:
            bits += 1
        self.half = bits
        rng = SplitMix64((((seed * GOLDEN) & MASK) ^ (pass_index & MASK)) + 0xD1B54A32D192ED03)
        self.keys = [rng.next() for _ in range(4)]

    def __getitem__(self, i):
        x = i
        while True:
            x = self._permute(x)
            if x < self.count:
                return x

    def _permute(self, x):
        mask = (1 << self.half) - 1
        left, right = x >> self.half, x & mask
        for key in self.keys:
            z = ((right + key) & MASK) * 0xBF58476D1CE4E5B9 & MASK
            z ^= z >> 29
            left, right = right, left ^ (z & mask)
        return (left << self.half) | right
