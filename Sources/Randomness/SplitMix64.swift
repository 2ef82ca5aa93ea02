#if !hasFeature(Embedded)
import Foundation
#endif

/// SplitMix64 (Steele, Lea & Flood 2014): a small, fast, seedable generator, so bootstrap
/// resamples and synthetic data reproduce exactly from a seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1p-53
    }
}

// Apart, so that the generator also compiles as Embedded Swift (no Foundation there): the arm64
// kernel check (`.ci/arm64-check`) draws its inputs from it.
#if !hasFeature(Embedded)
extension SplitMix64 {
    /// Standard normal (Box–Muller).
    public mutating func nextGaussian() -> Double {
        var u1 = nextUniform()
        while u1 <= 0 { u1 = nextUniform() }
        let u2 = nextUniform()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * .pi * u2)
    }
}
#endif
