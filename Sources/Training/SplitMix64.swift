/// A small seeded generator (Steele et al. 2014) so that runs, data windows and initialization
/// reproduce exactly from a seed; its whole state is one UInt64, which checkpoints store.
public struct SplitMix64: RandomNumberGenerator, Codable, Equatable, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Standard normal by Box-Muller.
    public mutating func normal() -> Double {
        let u1 = max(uniform(), 1e-300), u2 = uniform()
        return (-2 * _logD(u1)).squareRoot() * _cosD(2 * Double.pi * u2)
    }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
@inline(__always) func _logD(_ x: Double) -> Double { log(x) }
@inline(__always) func _cosD(_ x: Double) -> Double { cos(x) }
