import Randomness

/// Seeded uniform random inputs for the benchmarks.
public struct BenchRandom {
    var rng: SplitMix64
    public init(seed: UInt64) { rng = SplitMix64(seed: seed) }
    public mutating func next() -> UInt64 { rng.next() }
    /// Uniform in [-1, 1).
    public mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }
    public mutating func floats(_ n: Int) -> [Float] { (0..<n).map { _ in uniform() } }
}
