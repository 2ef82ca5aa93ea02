/// bfloat16: the top 16 bits of an IEEE-754 binary32 (1 sign, 8 exponent, 7 mantissa bits).
///
/// Conversion from `Float` rounds to nearest, ties to even; NaN stays NaN (made quiet, sign and
/// top payload bits kept); infinities and signed zeros are exact; subnormals round like any other
/// value (bf16 has the same exponent range as Float), and values above the largest finite bf16
/// (0x7F7F, ~3.39e38) round to infinity. Conversion to `Float` is exact.
@frozen
public struct BFloat16: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    /// The raw 16-bit storage.
    public var bitPattern: UInt16

    @inlinable public init(bitPattern: UInt16) { self.bitPattern = bitPattern }

    /// Rounds `value` to the nearest bf16, ties to even.
    @inlinable public init(_ value: Float) { bitPattern = BFloat16.round(value.bitPattern) }

    /// The exact `Float` value.
    @inlinable public var float: Float { Float(bitPattern: UInt32(bitPattern) << 16) }

    public var isNaN: Bool { float.isNaN }
    public var description: String { float.description }

    /// Round-to-nearest-even of a binary32 bit pattern to its top 16 bits.
    ///
    /// `(bits + 0x7FFF + lsb) >> 16` with `lsb` the lowest kept bit: adds just under half an ulp,
    /// plus one more when the kept part is odd, so exact halves go to the even neighbour. A NaN
    /// (exponent all ones, mantissa non-zero) is truncated and its quiet bit (0x0040) set, so a
    /// payload living only in the low 16 bits cannot turn it into infinity.
    @inlinable @inline(__always)
    public static func round(_ bits: UInt32) -> UInt16 {
        if bits & 0x7FFF_FFFF > 0x7F80_0000 { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let lsb = (bits >> 16) & 1
        return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ lsb) >> 16)
    }
}
