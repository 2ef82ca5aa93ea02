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

/// Lane-wise max / min as compare + blend (the generic stdlib `pointwiseMax` is not inlined).
@_transparent func vmax(_ a: V16, _ b: V16) -> V16 { a.replacing(with: b, where: b .> a) }
@_transparent func vmin(_ a: V16, _ b: V16) -> V16 { a.replacing(with: b, where: b .< a) }

/// Horizontal sum of the 16 lanes (pairwise: fixed order).
@inline(__always) func hsum(_ a: V16) -> Float {
    let h8 = a.lowHalf + a.highHalf
    let h4 = h8.lowHalf + h8.highHalf
    let h2 = h4.lowHalf + h4.highHalf
    return h2[0] + h2[1]
}

/// log2(e) and ln(2): the kernels work in base 2 (scores pre-multiplied by log2 e, `exp2v`).
let log2e: Float = 1.4426950408889634
let ln2: Float = 0.6931471805599453

/// 2^x lane-wise, relative error below 1e-7 for x in [-126, 127]; exactly 0 for x <= -126.5 (and -inf).
///
/// x = n + f with n = round(x), |f| <= 1/2; 2^f by its degree-7 Taylor polynomial (truncation
/// error (f ln 2)^8 / 8! < 6e-9); 2^n built in the exponent bits. The rounding uses the
/// 1.5 * 2^23 trick, so the integer n sits in the low mantissa bits of `x + magic`.
@_transparent func exp2v(_ x: V16) -> V16 {
    let xc = vmin(vmax(x, V16(repeating: -127)), V16(repeating: 127))
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

/// Causal masks as data (no SIMD compares) for a transposed score tile, row j = key j, lane i =
/// query i, key j visible to query i iff j <= i (diagonal tile): for lanes i0..<i0+16 of row j,
/// `load16(CausalMask.bias + 64 - j + i0)` is -inf where i < j and 0 elsewhere;
/// `load16(CausalMask.keep + 64 - j + i0)` is 0 where i < j and 1 elsewhere.
enum CausalMask {
    static let bias: UnsafeMutablePointer<Float> = table(masked: -.infinity, visible: 0)
    static let keep: UnsafeMutablePointer<Float> = table(masked: 0, visible: 1)

    private static func table(masked: Float, visible: Float) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: 128)
        for k in 0..<128 { p[k] = k < 64 ? masked : visible }
        return p
    }
}

/// Row masks for the naive kernel: `load16(RowMask.keep + 64 - n)` has 1 on its first n lanes
/// (0...16), 0 on the rest.
enum RowMask {
    static let keep: UnsafeMutablePointer<Float> = {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: 128)
        for k in 0..<128 { p[k] = k < 64 ? 1 : 0 }
        return p
    }()
}
