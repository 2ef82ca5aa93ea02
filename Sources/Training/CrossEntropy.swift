import Compute
/// Softmax cross-entropy over the vocabulary, fused: the loss per row, and in backward the
/// gradient of `scale * sum(losses)` with respect to the logits, written over the logits.
///
///     loss_r = logsumexp(logits[r, :]) - logits[r, target_r]
///     dlogits[r, v] = scale * (softmax(logits[r, :])_v - [v == target_r])
///
/// Shapes: logits (R, V) with R = B*T rows; targets (R); losses (R).
public enum CrossEntropy {
    /// Row losses in nats; returns their mean. Saves the logsumexp per row for backward.
    @discardableResult
    public static func forward(losses: UnsafeMutablePointer<Float>, logsumexp: UnsafeMutablePointer<Float>,
                               logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>,
                               rows: Int, V: Int) -> Float {
        var total: Double = 0
        for r in 0..<rows {
            let l = logits + r * V
            let lse = rowLogSumExp(l, V)
            logsumexp[r] = lse
            let t = Int(targets[r])
            precondition(t >= 0 && t < V, "target \(t) outside the vocabulary of \(V)")
            losses[r] = lse - l[t]
            total += Double(losses[r])
        }
        return Float(total / Double(max(rows, 1)))
    }

    /// Overwrites logits with d(scale * sum losses)/dlogits.
    public static func backward(logitsToGradient logits: UnsafeMutablePointer<Float>,
                                logsumexp: UnsafePointer<Float>, targets: UnsafePointer<Int32>,
                                rows: Int, V: Int, scale: Float) {
        for r in 0..<rows {
            let l = logits + r * V
            let lse = SIMD16<Float>(repeating: logsumexp[r])
            let s = SIMD16<Float>(repeating: scale)
            var i = 0
            while i + 16 <= V {
                VectorMath.store(s * VectorMath.exp(VectorMath.load(l + i) - lse), l + i)
                i += 16
            }
            while i < V {
                l[i] = scale * VectorMath.exp(SIMD16(repeating: l[i]) - lse)[0]
                i += 1
            }
            l[Int(targets[r])] -= scale
        }
    }

    @inline(__always)
    static func rowLogSumExp(_ l: UnsafePointer<Float>, _ V: Int) -> Float {
        var m: Float = -.infinity
        var mv = SIMD16<Float>(repeating: -.infinity)
        var i = 0
        while i + 16 <= V { mv = SIMDMath.max(mv, VectorMath.load(l + i)); i += 16 }
        m = mv.max()
        while i < V { m = max(m, l[i]); i += 1 }
        let mm = SIMD16<Float>(repeating: m)
        var acc = SIMD16<Float>()
        i = 0
        while i + 16 <= V { acc += VectorMath.exp(VectorMath.load(l + i) - mm); i += 16 }
        var s = acc.sum()
        while i < V { s += VectorMath.exp(SIMD16(repeating: l[i] - m))[0]; i += 1 }
        return m + _log(s)
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _log(_ x: Float) -> Float { logf(x) }
#else
import Darwin
@inline(__always) func _log(_ x: Float) -> Float { logf(x) }
#endif
