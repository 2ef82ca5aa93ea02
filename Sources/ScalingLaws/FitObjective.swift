import Foundation

/// The parametric-fit objective of Hoffmann et al. 2022 (Approach 3):
///
///     f(a, b, e, alpha, beta) = Σ_i w_i · Huber_δ( LSE(a - alpha log N_i, b - beta log D_i, e) - log L_i )
///
/// with `LSE(x, y, z) = log(e^x + e^y + e^z)` (so `exp(LSE) = A/N^alpha + B/D^beta + E`),
/// `Huber_δ(r) = r²/2` for `|r| <= δ`, else `δ(|r| - δ/2)`, and `δ = 1e-3`.
/// It is a SUM (weights `w_i` are bootstrap multiplicities, 1 for a plain fit), not a mean.
/// With `underTunedWeight` κ < 1 a run above the law (r < 0: observed loss higher than predicted,
/// as an under-tuned run's is) counts κ · w_i instead of w_i (an asymmetric Huber loss).
///
/// Gradient: with `h = Huber'(r) = clamp(r, -δ, δ)` and softmax weights `s_1, s_2, s_3` of the
/// three LSE terms, `∂/∂a = Σ w h s_1`, `∂/∂b = Σ w h s_2`, `∂/∂e = Σ w h s_3`,
/// `∂/∂alpha = -Σ w h s_1 log N`, `∂/∂beta = -Σ w h s_2 log D`.
///
/// Variable order everywhere: `[a, b, e, alpha, beta]`.
///
/// ``valueAndGradient(_:gradient:)`` is the fast path (eight runs per step with ``_VectorMath``);
/// ``referenceValueAndGradient(_:gradient:)`` is the plain scalar reference it is tested against.
public final class FitObjective: Sendable {
    /// Huber threshold δ (1e-3 as in Hoffmann et al. and Besiroglu et al.).
    public let delta: Double
    /// Weight factor of runs above the law (r < 0); 1 is the symmetric objective.
    public let underTunedWeight: Double
    /// Number of runs.
    public let count: Int
    // Per-run columns for the reference.
    let logParams: [Double]
    let logTokens: [Double]
    let logLoss: [Double]
    let weights: [Double]
    // Blocks of 8 runs for the fast path: 8 log N, 8 log D, 8 log L, 8 weights; the last block is
    // zero-padded (padding has weight 0).
    let packed: [Double]

    /// - Parameters:
    ///   - weights: per-run multiplicity (nil: all 1).
    public init(observations: [Observation], weights: [Double]? = nil, delta: Double = 1e-3, underTunedWeight: Double = 1) {
        precondition(weights == nil || weights!.count == observations.count, "one weight per observation")
        self.delta = delta
        self.underTunedWeight = underTunedWeight
        self.count = observations.count
        self.logParams = observations.map { Foundation.log($0.params) }
        self.logTokens = observations.map { Foundation.log($0.tokens) }
        self.logLoss = observations.map { Foundation.log($0.loss) }
        self.weights = weights ?? [Double](repeating: 1, count: observations.count)
        let blocks = (observations.count + 7) / 8
        var packed = [Double](repeating: 0, count: blocks * 32)
        for i in 0..<observations.count {
            let base = (i / 8) * 32 + i % 8
            packed[base] = logParams[i]
            packed[base + 8] = logTokens[i]
            packed[base + 16] = logLoss[i]
            packed[base + 24] = self.weights[i]
        }
        self.packed = packed
    }

    /// Huber loss `r²/2` inside `|r| <= δ`, linear `δ(|r| - δ/2)` outside.
    @inline(__always)
    public static func huber(_ r: Double, delta: Double) -> Double {
        let ar = abs(r)
        return ar <= delta ? 0.5 * r * r : delta * (ar - 0.5 * delta)
    }

    /// Objective value only.
    public func value(_ x: [Double]) -> Double {
        var g = [Double](repeating: 0, count: 5)
        return valueAndGradient(x, gradient: &g)
    }

    /// Objective value; writes the gradient (5 entries) into `gradient`.
    public func valueAndGradient(_ x: [Double], gradient: inout [Double]) -> Double {
        let a = x[0], b = x[1], e = x[2], alpha = x[3], beta = x[4]
        var out = (f: 0.0, ga: 0.0, gb: 0.0, ge: 0.0, gAlpha: 0.0, gBeta: 0.0)
        packed.withUnsafeBufferPointer { p in
            out = Self.kernel(UnsafeRawPointer(p.baseAddress!), blocks: p.count / 32,
                              a: a, b: b, e: e, alpha: alpha, beta: beta, delta: self.delta, kappa: self.underTunedWeight)
        }
        gradient[0] = out.ga
        gradient[1] = out.gb
        gradient[2] = out.ge
        gradient[3] = -out.gAlpha
        gradient[4] = -out.gBeta
        return out.f
    }

    /// The SIMD loop over blocks of 8 runs (`packed` layout: per block 8 log N, 8 log D, 8 log L,
    /// 8 weights). Returns the objective and the gradient sums (`gAlpha`, `gBeta` without the sign).
    @inline(never)
    static func kernel(_ base: UnsafeRawPointer, blocks: Int, a: Double, b: Double, e: Double,
                       alpha: Double, beta: Double, delta: Double, kappa: Double)
        -> (f: Double, ga: Double, gb: Double, ge: Double, gAlpha: Double, gBeta: Double) {
        typealias V = SIMD8<Double>
        let va = V(repeating: a), vb = V(repeating: b), ve = V(repeating: e)
        let vAlpha = V(repeating: alpha), vBeta = V(repeating: beta)
        let vDelta = V(repeating: delta), minusDelta = V(repeating: -delta)
        let halfDelta2 = V(repeating: 0.5 * delta * delta)
        let limit = V(repeating: 600), one = V(repeating: 1), half = V(repeating: 0.5)
        let vKappa = V(repeating: kappa), zero = V()
        var f = V(), ga = V(), gb = V(), ge = V(), gAlpha = V(), gBeta = V()
        for block in 0..<blocks {
            let off = block * 256
            let lnN = base.loadUnaligned(fromByteOffset: off, as: V.self)
            let lnD = base.loadUnaligned(fromByteOffset: off + 64, as: V.self)
            let lnL = base.loadUnaligned(fromByteOffset: off + 128, as: V.self)
            let w0 = base.loadUnaligned(fromByteOffset: off + 192, as: V.self)
            let t1 = va - vAlpha * lnN
            let t2 = vb - vBeta * lnD
            // LSE relative to e: log(e^t1 + e^t2 + e^e) = e + log(u1 + u2 + 1), u_k = e^(t_k - e),
            // two exponentials instead of three. When t_k - e could overflow, fall back to
            // shifting by the lane-wise maximum m (x1 + x2 + x3 with max(x_k) = 1).
            let d1 = t1 - ve, d2 = t2 - ve
            let x1: V, x2: V, x3: V, shift: V
            if any(d1 .> limit) || any(d2 .> limit) {
                let m = t1.replacing(with: t2, where: t2 .> t1).replacing(with: ve, where: ve .> t1 .& ve .> t2)
                x1 = _VectorMath.exp(t1 - m)
                x2 = _VectorMath.exp(t2 - m)
                x3 = _VectorMath.exp(ve - m)
                shift = m
            } else {
                x1 = _VectorMath.exp(d1)
                x2 = _VectorMath.exp(d2)
                x3 = one
                shift = ve
            }
            let s = x1 + x2 + x3
            let (logS, invS) = _VectorMath.logAndReciprocal(s)
            let r = shift + logS - lnL
            let w = w0.replacing(with: w0 * vKappa, where: r .< zero)
            let ar = r.replacing(with: -r, where: r .< 0)
            let quadratic = half * r * r
            let linear = vDelta * ar - halfDelta2
            f = f.addingProduct(w, quadratic.replacing(with: linear, where: ar .> vDelta))
            let clipped = r.replacing(with: minusDelta, where: r .< minusDelta).replacing(with: vDelta, where: r .> vDelta)
            let h = w * clipped * invS
            let h1 = h * x1, h2 = h * x2
            ga += h1
            gb += h2
            ge = ge.addingProduct(h, x3)
            gAlpha = gAlpha.addingProduct(h1, lnN)
            gBeta = gBeta.addingProduct(h2, lnD)
        }
        return (f.sum(), ga.sum(), gb.sum(), ge.sum(), gAlpha.sum(), gBeta.sum())
    }

    /// Objective value from the scalar reference.
    public func referenceValue(_ x: [Double]) -> Double {
        var g = [Double](repeating: 0, count: 5)
        return referenceValueAndGradient(x, gradient: &g)
    }

    /// Scalar reference of ``valueAndGradient(_:gradient:)`` (Foundation `exp`/`log`, one run at a time).
    public func referenceValueAndGradient(_ x: [Double], gradient: inout [Double]) -> Double {
        let a = x[0], b = x[1], e = x[2], alpha = x[3], beta = x[4]
        var f = 0.0, ga = 0.0, gb = 0.0, ge = 0.0, gAlpha = 0.0, gBeta = 0.0
        for i in 0..<count {
            let t1 = a - alpha * logParams[i]
            let t2 = b - beta * logTokens[i]
            let m = max(t1, max(t2, e))
            let x1 = Foundation.exp(t1 - m), x2 = Foundation.exp(t2 - m), x3 = Foundation.exp(e - m)
            let s = x1 + x2 + x3
            let r = m + Foundation.log(s) - logLoss[i]
            let w = weights[i] * (r < 0 ? underTunedWeight : 1)
            f += w * Self.huber(r, delta: delta)
            let h = w * min(max(r, -delta), delta) / s
            ga += h * x1
            gb += h * x2
            ge += h * x3
            gAlpha -= h * x1 * logParams[i]
            gBeta -= h * x2 * logTokens[i]
        }
        gradient[0] = ga
        gradient[1] = gb
        gradient[2] = ge
        gradient[3] = gAlpha
        gradient[4] = gBeta
        return f
    }
}
