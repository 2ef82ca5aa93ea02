/// Lane-wise math on SIMD16<Float> shared by the kernels (attention's online softmax, the
/// trainer's GELU and cross-entropy). All `@inlinable` so they inline across modules.
public enum SIMDMath {
    /// Lane-wise max as compare + blend (the generic stdlib `pointwiseMax` is not inlined).
    @inlinable @inline(__always)
    public static func max(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> { a.replacing(with: b, where: b .> a) }

    /// Lane-wise min as compare + blend.
    @inlinable @inline(__always)
    public static func min(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> { a.replacing(with: b, where: b .< a) }

    /// Horizontal sum of the 16 lanes, pairwise in a fixed order.
    @inlinable @inline(__always)
    public static func sum(_ a: SIMD16<Float>) -> Float {
        let h8 = a.lowHalf + a.highHalf
        let h4 = h8.lowHalf + h8.highHalf
        let h2 = h4.lowHalf + h4.highHalf
        return h2[0] + h2[1]
    }

    /// 2^x lane-wise, relative error below 1e-7 for x in [-126, 127]; exactly 0 for x <= -126.5
    /// (and -inf); clamped at 2^127.
    ///
    /// x = n + f with n = round(x), |f| <= 1/2; 2^f by its degree-7 Taylor polynomial (truncation
    /// error (f ln 2)^8 / 8! < 6e-9); 2^n built in the exponent bits. The rounding uses the
    /// 1.5 * 2^23 trick, so the integer n sits in the low mantissa bits of `x + magic`.
    @inlinable @inline(__always)
    public static func exp2(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let xc = min(max(x, SIMD16(repeating: -127)), SIMD16(repeating: 127))
        let magic = SIMD16<Float>(repeating: 12582912)  // 1.5 * 2^23
        let t = xc + magic
        let n = t - magic
        let f = xc - n
        var p = SIMD16<Float>(repeating: 1.525273380405984e-05)
        p = SIMD16(repeating: 1.540353039338161e-04).addingProduct(p, f)
        p = SIMD16(repeating: 1.3333558146428443e-03).addingProduct(p, f)
        p = SIMD16(repeating: 9.618129107628477e-03).addingProduct(p, f)
        p = SIMD16(repeating: 5.550410866482158e-02).addingProduct(p, f)
        p = SIMD16(repeating: 0.2402265069591007).addingProduct(p, f)
        p = SIMD16(repeating: 0.6931471805599453).addingProduct(p, f)
        p = SIMD16(repeating: 1).addingProduct(p, f)
        // Bits of t are 0x4B400000 + n; (n + 127) << 23 keeps only the low 9 bits of that sum.
        let tb = unsafeBitCast(t, to: SIMD16<UInt32>.self)
        let scaleBits = (tb &+ 127) &<< 23
        return p * unsafeBitCast(scaleBits, to: SIMD16<Float>.self)
    }

    /// e^x lane-wise (through `exp2`): relative error ~1e-7; 0 below about -88.
    @inlinable @inline(__always)
    public static func exp(_ x: SIMD16<Float>) -> SIMD16<Float> { exp2(x * 1.4426950408889634) }
}
