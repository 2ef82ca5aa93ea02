/// Eight-lane `exp` and `log` for the fit objective's inner loop (AVX-512: one register).
/// Not general-purpose API: arguments are assumed finite; `exp` clamps its argument to
/// [-708, 709], `log` assumes positive normal inputs. Both are accurate to a few ulp, checked
/// against Foundation's scalar functions in the tests.
public enum _VectorMath {
    public typealias V = SIMD8<Double>
    typealias U = SIMD8<UInt64>

    // fdlibm's split of ln 2: n · ln2Hi is exact for |n| < 2^11.
    static let ln2Hi = 6.93147180369123816490e-01
    static let ln2Lo = 1.90821492927058770002e-10
    static let log2e = 1.44269504088896338700e+00

    /// `e^x`: `x = n ln 2 + r`, `|r| <= ln2/2`, degree-12 Taylor polynomial for `e^r`
    /// (truncation < 2e-16), times `2^n` built in the exponent bits.
    @inline(__always)
    public static func exp(_ x: V) -> V {
        // Clamp with selects: `clamped` goes through NaN-aware pointwiseMin/Max, which is scalar code.
        let lo = V(repeating: -708), hi = V(repeating: 709)
        let xc = x.replacing(with: lo, where: x .< lo).replacing(with: hi, where: x .> hi)
        let shifter = V(repeating: 0x1.8p52)
        let kf = shifter.addingProduct(xc, V(repeating: log2e))  // round(x log2 e) in the low bits
        let n = kf - shifter
        let r = (xc - n * ln2Hi) - n * ln2Lo
        var p = V(repeating: 1.0 / 479_001_600)  // 1/12!
        p = V(repeating: 1.0 / 39_916_800).addingProduct(p, r)
        p = V(repeating: 1.0 / 3_628_800).addingProduct(p, r)
        p = V(repeating: 1.0 / 362_880).addingProduct(p, r)
        p = V(repeating: 1.0 / 40_320).addingProduct(p, r)
        p = V(repeating: 1.0 / 5_040).addingProduct(p, r)
        p = V(repeating: 1.0 / 720).addingProduct(p, r)
        p = V(repeating: 1.0 / 120).addingProduct(p, r)
        p = V(repeating: 1.0 / 24).addingProduct(p, r)
        p = V(repeating: 1.0 / 6).addingProduct(p, r)
        p = V(repeating: 0.5).addingProduct(p, r)
        p = V(repeating: 1).addingProduct(p, r)
        p = V(repeating: 1).addingProduct(p, r)
        let bits = unsafeBitCast(kf, to: U.self)
        let scale = unsafeBitCast((bits &+ 1023) &<< 52, to: V.self)
        return p * scale
    }

    /// `log x` for positive normal `x`: `x = m 2^k` with `m ∈ [√½, √2)`,
    /// `log m = 2 atanh(f)`, `f = (m-1)/(m+1)`, `|f| <= 0.172`, odd series to `f^23`.
    @inline(__always)
    public static func log(_ x: V) -> V {
        logAndReciprocal(x).log
    }

    /// `(log x, 1/x)` with one division: `q = 1 / ((m+1) x)` gives both `1/(m+1) = q x` (for the
    /// logarithm) and `1/x = q (m+1)`.
    @inline(__always)
    public static func logAndReciprocal(_ x: V) -> (log: V, reciprocal: V) {
        let bits = unsafeBitCast(x, to: U.self)
        let biased = bits &>> 52
        let mant = unsafeBitCast((bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000, to: V.self)
        let big = mant .> V(repeating: 1.4142135623730951)
        let m = mant.replacing(with: mant * 0.5, where: big)
        var k = unsafeBitCast(biased | 0x4330_0000_0000_0000, to: V.self) - V(repeating: 0x1p52 + 1023)
        k = k.replacing(with: k + 1, where: big)
        let mPlus1 = m + 1
        let q = 1 / (mPlus1 * x)
        let f = (m - 1) * (q * x)
        let f2 = f * f
        var s = V(repeating: 1.0 / 23)
        s = V(repeating: 1.0 / 21).addingProduct(s, f2)
        s = V(repeating: 1.0 / 19).addingProduct(s, f2)
        s = V(repeating: 1.0 / 17).addingProduct(s, f2)
        s = V(repeating: 1.0 / 15).addingProduct(s, f2)
        s = V(repeating: 1.0 / 13).addingProduct(s, f2)
        s = V(repeating: 1.0 / 11).addingProduct(s, f2)
        s = V(repeating: 1.0 / 9).addingProduct(s, f2)
        s = V(repeating: 1.0 / 7).addingProduct(s, f2)
        s = V(repeating: 1.0 / 5).addingProduct(s, f2)
        s = V(repeating: 1.0 / 3).addingProduct(s, f2)
        let logM = (2 * f).addingProduct(2 * f * f2, s)
        return (k * ln2Hi + logM.addingProduct(k, V(repeating: ln2Lo)), q * mPlus1)
    }
}
