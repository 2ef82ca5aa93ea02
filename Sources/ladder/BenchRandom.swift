import Randomness
import ScalingLaws

/// Seeded uniform random inputs for the benchmarks.
struct BenchRandom {
    var rng: SplitMix64
    init(seed: UInt64) { rng = SplitMix64(seed: seed) }
    mutating func next() -> UInt64 { rng.next() }
    /// Uniform in [-1, 1).
    mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }
    mutating func floats(_ n: Int) -> [Float] { (0..<n).map { _ in uniform() } }
}
