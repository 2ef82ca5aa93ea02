// MERGE NOTE: minimal stand-in for the `Compute` module's bf16 type. At merge, replace this file by
// Compute's type (same storage: the upper 16 bits of an IEEE-754 binary32) and adapt
// `AttentionElement` conformance in TileLoad.swift; nothing else in this module depends on it.

/// bfloat16: 1 sign bit, 8 exponent bits, 7 mantissa bits, stored as the upper half of a `Float`.
public struct BF16: Equatable, Sendable {
    /// Raw bit pattern (the upper 16 bits of the equivalent `Float`).
    public var bits: UInt16

    @inlinable public init(bits: UInt16) { self.bits = bits }

    /// Rounds `value` to the nearest bf16, ties to even; NaN stays NaN (quiet), infinities stay infinite.
    @inlinable public init(_ value: Float) {
        let u = value.bitPattern
        if value.isNaN {
            bits = UInt16(truncatingIfNeeded: (u >> 16) | 0x0040)
        } else {
            let roundingBias: UInt32 = 0x7FFF &+ ((u >> 16) & 1)
            bits = UInt16(truncatingIfNeeded: (u &+ roundingBias) >> 16)
        }
    }

    /// Exact widening to `Float`.
    @inlinable public var float: Float { Float(bitPattern: UInt32(bits) << 16) }
}
