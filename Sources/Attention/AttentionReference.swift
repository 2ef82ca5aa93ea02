import Foundation

/// Naive attention in Double with the full score matrix materialized: the reference the fast
/// kernels are tested against. Same layout and maths as `FlashAttention` (see there); O(T^2) memory
/// per head and scalar loops, so for tests only.
public enum AttentionReference {
    /// Returns O (B, NH, T, d) and the natural-log row logsumexp (B, NH, T).
    public static func forward(q: [Double], k: [Double], v: [Double], B: Int, NH: Int, T: Int, d: Int,
                               causal: Bool) -> (out: [Double], lse: [Double]) {
        var out = [Double](repeating: 0, count: B * NH * T * d)
        var lse = [Double](repeating: 0, count: B * NH * T)
        for bh in 0..<(B * NH) {
            let p = probabilities(q: q, k: k, bh: bh, T: T, d: d, causal: causal, lse: &lse)
            let base = bh * T * d
            for i in 0..<T {
                for j in 0..<T where p[i * T + j] != 0 {
                    for c in 0..<d { out[base + i * d + c] += p[i * T + j] * v[base + j * d + c] }
                }
            }
        }
        return (out, lse)
    }

    /// Gradients of sum(O * dOut) with respect to q, k, v, each (B, NH, T, d).
    public static func backward(q: [Double], k: [Double], v: [Double], dOut: [Double],
                                B: Int, NH: Int, T: Int, d: Int, causal: Bool)
        -> (dq: [Double], dk: [Double], dv: [Double]) {
        let n = B * NH * T * d
        var dq = [Double](repeating: 0, count: n), dk = dq, dv = dq
        var lse = [Double](repeating: 0, count: B * NH * T)
        let scale = 1 / Double(d).squareRoot()
        for bh in 0..<(B * NH) {
            let p = probabilities(q: q, k: k, bh: bh, T: T, d: d, causal: causal, lse: &lse)
            let base = bh * T * d
            for i in 0..<T {
                // dP_ij = dO_i . v_j ; dS_ij = P_ij (dP_ij - sum_l P_il dP_il)
                var dp = [Double](repeating: 0, count: T)
                var rowDot = 0.0
                for j in 0..<T {
                    var acc = 0.0
                    for c in 0..<d { acc += dOut[base + i * d + c] * v[base + j * d + c] }
                    dp[j] = acc
                    rowDot += p[i * T + j] * acc
                }
                for j in 0..<T {
                    let pij = p[i * T + j]
                    if pij == 0 { continue }
                    let dsij = pij * (dp[j] - rowDot) * scale
                    for c in 0..<d {
                        dv[base + j * d + c] += pij * dOut[base + i * d + c]
                        dq[base + i * d + c] += dsij * k[base + j * d + c]
                        dk[base + j * d + c] += dsij * q[base + i * d + c]
                    }
                }
            }
        }
        return (dq, dk, dv)
    }

    /// Softmax probabilities (T x T) of head `bh`, writing that head's logsumexp into `lse`.
    static func probabilities(q: [Double], k: [Double], bh: Int, T: Int, d: Int, causal: Bool,
                              lse: inout [Double]) -> [Double] {
        let base = bh * T * d
        let scale = 1 / Double(d).squareRoot()
        var p = [Double](repeating: 0, count: T * T)
        for i in 0..<T {
            let visible = causal ? i + 1 : T
            var m = -Double.infinity
            for j in 0..<visible {
                var s = 0.0
                for c in 0..<d { s += q[base + i * d + c] * k[base + j * d + c] }
                s *= scale
                p[i * T + j] = s
                m = max(m, s)
            }
            var sum = 0.0
            for j in 0..<visible {
                p[i * T + j] = exp(p[i * T + j] - m)
                sum += p[i * T + j]
            }
            for j in 0..<visible { p[i * T + j] /= sum }
            lse[bh * T + i] = m + log(sum)
        }
        return p
    }
}

extension AttentionReference {
    /// The same reference on Float buffers (B, NH, T, d) contiguous, as the model's reference
    /// kernels and the parallel tests hold them: writes O and the row logsumexp (B, NH, T).
    public static func forward(out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>,
                               q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                               B: Int, NH: Int, T: Int, d: Int, causal: Bool = true) {
        let n = B * NH * T * d
        func doubles(_ p: UnsafePointer<Float>) -> [Double] { (0..<n).map { Double(p[$0]) } }
        let r = forward(q: doubles(q), k: doubles(k), v: doubles(v), B: B, NH: NH, T: T, d: d, causal: causal)
        for i in 0..<n { out[i] = Float(r.out[i]) }
        for i in 0..<(B * NH * T) { lse[i] = Float(r.lse[i]) }
    }

    /// Writes (not accumulates) dq, dk, dv, each (B, NH, T, d), the gradients of sum(O * dout).
    public static func backward(dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>,
                                dv: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                B: Int, NH: Int, T: Int, d: Int, causal: Bool = true) {
        let n = B * NH * T * d
        func doubles(_ p: UnsafePointer<Float>) -> [Double] { (0..<n).map { Double(p[$0]) } }
        let g = backward(q: doubles(q), k: doubles(k), v: doubles(v), dOut: doubles(dout), B: B, NH: NH, T: T, d: d, causal: causal)
        for i in 0..<n { dq[i] = Float(g.dq[i]); dk[i] = Float(g.dk[i]); dv[i] = Float(g.dv[i]) }
    }
}
