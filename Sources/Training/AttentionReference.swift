import Foundation

/// Plain causal attention with the scores materialized, in Double: the reference the fast kernel
/// and the model's gradient checks are measured against.
///
///     O = softmax(Q Kᵀ / sqrt(d) + causal mask) V,   lse_i = log Σ_j exp(s_ij)
///
/// Layout: q, k, v, out (B, NH, T, d) contiguous; lse (B, NH, T).
public enum AttentionReference {
    public static func forward(out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>,
                               q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                               B: Int, NH: Int, T: Int, d: Int, causal: Bool = true) {
        let scale = 1 / Double(d).squareRoot()
        var s = [Double](repeating: 0, count: T)
        for bh in 0..<(B * NH) {
            let base = bh * T * d
            for i in 0..<T {
                let jEnd = causal ? i + 1 : T
                var m = -Double.infinity
                for j in 0..<jEnd {
                    var dot = 0.0
                    for c in 0..<d { dot += Double(q[base + i * d + c]) * Double(k[base + j * d + c]) }
                    s[j] = dot * scale
                    m = max(m, s[j])
                }
                var sum = 0.0
                for j in 0..<jEnd { s[j] = Foundation.exp(s[j] - m); sum += s[j] }
                for c in 0..<d {
                    var o = 0.0
                    for j in 0..<jEnd { o += s[j] * Double(v[base + j * d + c]) }
                    out[base + i * d + c] = Float(o / sum)
                }
                lse[bh * T + i] = Float(m + Foundation.log(sum))
            }
        }
    }

    /// Writes dq, dk, dv (not accumulating) from dout and the forward's out and lse.
    public static func backward(dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>,
                                dv: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                out: UnsafePointer<Float>, lse: UnsafePointer<Float>,
                                B: Int, NH: Int, T: Int, d: Int, causal: Bool = true) {
        let scale = 1 / Double(d).squareRoot()
        let n = B * NH * T * d
        var gq = [Double](repeating: 0, count: n), gk = gq, gv = gq
        for bh in 0..<(B * NH) {
            let base = bh * T * d
            for i in 0..<T {
                var D = 0.0
                for c in 0..<d { D += Double(dout[base + i * d + c]) * Double(out[base + i * d + c]) }
                let jEnd = causal ? i + 1 : T
                for j in 0..<jEnd {
                    var dot = 0.0
                    for c in 0..<d { dot += Double(q[base + i * d + c]) * Double(k[base + j * d + c]) }
                    let p = Foundation.exp(dot * scale - Double(lse[bh * T + i]))
                    var dp = 0.0
                    for c in 0..<d {
                        dp += Double(dout[base + i * d + c]) * Double(v[base + j * d + c])
                        gv[base + j * d + c] += p * Double(dout[base + i * d + c])
                    }
                    let ds = p * (dp - D) * scale
                    for c in 0..<d {
                        gq[base + i * d + c] += ds * Double(k[base + j * d + c])
                        gk[base + j * d + c] += ds * Double(q[base + i * d + c])
                    }
                }
            }
        }
        for i in 0..<n { dq[i] = Float(gq[i]); dk[i] = Float(gk[i]); dv[i] = Float(gv[i]) }
    }
}
