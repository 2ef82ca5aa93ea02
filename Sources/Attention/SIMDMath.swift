typealias V16 = SIMD16<Float>

@inline(__always) func load16(_ p: UnsafePointer<Float>) -> V16 {
    UnsafeRawPointer(p).loadUnaligned(as: V16.self)
}

@inline(__always) func load16(_ p: UnsafeMutablePointer<Float>) -> V16 {
    UnsafeRawPointer(p).loadUnaligned(as: V16.self)
}

@inline(__always) func store16(_ v: V16, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: V16.self)
}

/// log2(e) and ln(2): the kernels work in base 2 (scores pre-multiplied by log2 e, `exp2v`).
let log2e: Float = 1.4426950408889634
let ln2: Float = 0.6931471805599453

/// 2^x lane-wise, relative error below 1e-7 for x in [-126, 127]; exactly 0 for x <= -126.5 (and -inf).
///
/// x = n + f with n = round(x), |f| <= 1/2; 2^f by its degree-7 Taylor polynomial (truncation
/// error (f ln 2)^8 / 8! < 6e-9); 2^n built in the exponent bits. The rounding uses the
/// 1.5 * 2^23 trick, so the integer n sits in the low mantissa bits of `x + magic`.
@inline(__always) func exp2v(_ x: V16) -> V16 {
    let xc = pointwiseMin(pointwiseMax(x, V16(repeating: -127)), V16(repeating: 127))
    let magic = V16(repeating: 12582912)  // 1.5 * 2^23
    let t = xc + magic
    let n = t - magic
    let f = xc - n
    var p = V16(repeating: 1.525273380405984e-05)
    p = V16(repeating: 1.540353039338161e-04).addingProduct(p, f)
    p = V16(repeating: 1.3333558146428443e-03).addingProduct(p, f)
    p = V16(repeating: 9.618129107628477e-03).addingProduct(p, f)
    p = V16(repeating: 5.550410866482158e-02).addingProduct(p, f)
    p = V16(repeating: 0.2402265069591007).addingProduct(p, f)
    p = V16(repeating: 0.6931471805599453).addingProduct(p, f)
    p = V16(repeating: 1).addingProduct(p, f)
    // Bits of t are 0x4B400000 + n; (n + 127) << 23 keeps only the low 9 bits of that sum.
    let tb = unsafeBitCast(t, to: SIMD16<UInt32>.self)
    let scaleBits = (tb &+ 127) &<< 23
    return p * unsafeBitCast(scaleBits, to: V16.self)
}

/// Lane indices 0, 1, ..., 15 as floats (for masks against a column limit).
let laneIndex = V16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
