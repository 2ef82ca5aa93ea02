import Attention
import Compute

/// The two heavy operations of a transformer, behind a protocol so the model runs the same code
/// over the reference loops (for gradient checks) or the fast kernels (for training).
public protocol ModelKernels {
    /// out (R, OC) = inp (R, IC) · weightᵀ + bias
    func linearForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                       weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, rows: Int, inFeatures: Int, outFeatures: Int)
    /// dinp += dout · weight; dweight += doutᵀ · inp; dbias += Σ_rows dout.
    func linearBackward(dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                        dbias: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>,
                        weight: UnsafePointer<Float>, rows: Int, inFeatures: Int, outFeatures: Int)
    /// Attention over (B, NH, T, d), causal (key j <= query i) or full (every key: the
    /// off-diagonal blocks of ring attention); writes out and the row logsumexp.
    func attentionForward(out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>,
                          q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                          B: Int, NH: Int, T: Int, d: Int, causal: Bool)
    /// Writes dq, dk, dv from dout and the forward's out and lse. Given the out and lse of a
    /// softmax over more keys than k holds, the results are exactly those keys' contributions
    /// (what ring attention sums block by block).
    func attentionBackward(dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
                           dout: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                           v: UnsafePointer<Float>, out: UnsafePointer<Float>, lse: UnsafePointer<Float>,
                           B: Int, NH: Int, T: Int, d: Int, causal: Bool)
    /// Mixed precision matmul: `C (+)= alpha · op(A) · op(B)` with A and B 16-bit elements of
    /// `format` (raw bit patterns), fp32 accumulation and fp32 C. Row-major, shapes and leading
    /// dimensions as `GEMM.multiply`.
    func halfMatmul(_ format: HalfFormat, transposeA: Transpose, transposeB: Transpose, m: Int, n: Int, k: Int,
                    alpha: Float, a: UnsafePointer<UInt16>, lda: Int, b: UnsafePointer<UInt16>, ldb: Int,
                    c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool)
    /// Causal attention with bf16 q, k, v (B, NH, T, d); fp32 out and logsumexp.
    func attentionForward(out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>,
                          q: UnsafePointer<BFloat16>, k: UnsafePointer<BFloat16>, v: UnsafePointer<BFloat16>,
                          B: Int, NH: Int, T: Int, d: Int)
    /// Writes fp32 dq, dk, dv from bf16 q, k, v and fp32 dout, out, lse.
    func attentionBackward(dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
                           dout: UnsafePointer<Float>, q: UnsafePointer<BFloat16>, k: UnsafePointer<BFloat16>,
                           v: UnsafePointer<BFloat16>, out: UnsafePointer<Float>, lse: UnsafePointer<Float>,
                           B: Int, NH: Int, T: Int, d: Int)
    /// Runs body(part) for part in 0..<parts, possibly in parallel; parts touch disjoint data.
    func parallel(_ parts: Int, _ body: (Int) -> Void)
    /// How many parts `parallel` runs at once.
    var threads: Int { get }
}

/// Double-accumulating loops, single-threaded: slow and exact enough for finite differences.
public struct ReferenceKernels: ModelKernels {
    public init() {}
    public var threads: Int { 1 }
    public func parallel(_ parts: Int, _ body: (Int) -> Void) { for p in 0..<parts { body(p) } }

    public func linearForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                              bias: UnsafePointer<Float>?, rows: Int, inFeatures: Int, outFeatures: Int) {
        LinearReference.forward(out: out, inp: inp, weight: weight, bias: bias, rows: rows,
                                inFeatures: inFeatures, outFeatures: outFeatures)
    }

    public func linearBackward(dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                               dbias: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>,
                               weight: UnsafePointer<Float>, rows: Int, inFeatures: Int, outFeatures: Int) {
        LinearReference.backward(dinp: dinp, dweight: dweight, dbias: dbias, dout: dout, inp: inp, weight: weight,
                                 rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
    }

    public func attentionForward(out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>,
                                 q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                 B: Int, NH: Int, T: Int, d: Int, causal: Bool) {
        AttentionReference.forward(out: out, lse: lse, q: q, k: k, v: v, B: B, NH: NH, T: T, d: d, causal: causal)
    }

    public func attentionBackward(dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
                                  dout: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                  v: UnsafePointer<Float>, out: UnsafePointer<Float>, lse: UnsafePointer<Float>,
                                  B: Int, NH: Int, T: Int, d: Int, causal: Bool) {
        AttentionReference.backward(dq: dq, dk: dk, dv: dv, dout: dout, q: q, k: k, v: v, B: B, NH: NH, T: T, d: d, causal: causal)
    }
}

/// Naive references of the mixed-precision kernels (and the defaults of any `ModelKernels`):
/// operands widened exactly to fp32, products summed in Double; bf16 attention widens q, k, v and
/// runs the fp32 attention of the conforming type.
extension ModelKernels {
    /// Causal attention over (B, NH, T, d) (the model's attention).
    public func attentionForward(out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>,
                                 q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                 B: Int, NH: Int, T: Int, d: Int) {
        attentionForward(out: out, lse: lse, q: q, k: k, v: v, B: B, NH: NH, T: T, d: d, causal: true)
    }

    /// Backward of the causal attention.
    public func attentionBackward(dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
                                  dout: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                  v: UnsafePointer<Float>, out: UnsafePointer<Float>, lse: UnsafePointer<Float>,
                                  B: Int, NH: Int, T: Int, d: Int) {
        attentionBackward(dq: dq, dk: dk, dv: dv, dout: dout, q: q, k: k, v: v, out: out, lse: lse,
                          B: B, NH: NH, T: T, d: d, causal: true)
    }

    public func halfMatmul(_ format: HalfFormat, transposeA: Transpose, transposeB: Transpose, m: Int, n: Int, k: Int,
                           alpha: Float, a: UnsafePointer<UInt16>, lda: Int, b: UnsafePointer<UInt16>, ldb: Int,
                           c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        func widen(_ bits: UInt16) -> Double {
            format == .bf16 ? Double(BFloat16(bitPattern: bits).float) : Double(Float16(bitPattern: bits))
        }
        for i in 0..<m {
            for j in 0..<n {
                var s: Double = 0
                for p in 0..<k {
                    let x = transposeA == .none ? a[i * lda + p] : a[p * lda + i]
                    let y = transposeB == .none ? b[p * ldb + j] : b[j * ldb + p]
                    s += widen(x) * widen(y)
                }
                let r = Float(Double(alpha) * s)
                c[i * ldc + j] = accumulate ? c[i * ldc + j] + r : r
            }
        }
    }

    public func attentionForward(out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>,
                                 q: UnsafePointer<BFloat16>, k: UnsafePointer<BFloat16>, v: UnsafePointer<BFloat16>,
                                 B: Int, NH: Int, T: Int, d: Int) {
        let n = B * NH * T * d
        let wq = q.widenedArray(n), wk = k.widenedArray(n), wv = v.widenedArray(n)
        attentionForward(out: out, lse: lse, q: wq, k: wk, v: wv, B: B, NH: NH, T: T, d: d)
    }

    public func attentionBackward(dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
                                  dout: UnsafePointer<Float>, q: UnsafePointer<BFloat16>, k: UnsafePointer<BFloat16>,
                                  v: UnsafePointer<BFloat16>, out: UnsafePointer<Float>, lse: UnsafePointer<Float>,
                                  B: Int, NH: Int, T: Int, d: Int) {
        let n = B * NH * T * d
        let wq = q.widenedArray(n), wk = k.widenedArray(n), wv = v.widenedArray(n)
        attentionBackward(dq: dq, dk: dk, dv: dv, dout: dout, q: wq, k: wk, v: wv, out: out, lse: lse,
                          B: B, NH: NH, T: T, d: d)
    }
}

extension UnsafePointer where Pointee == BFloat16 {
    func widenedArray(_ n: Int) -> [Float] { (0..<n).map { self[$0].float } }
}
