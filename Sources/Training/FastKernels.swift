import Attention
import Compute

/// The training kernels: blocked SIMD GEMM for the linear layers, flash attention, and the
/// persistent thread pool for everything row-parallel.
public struct FastKernels: ModelKernels {
    public let pool: ThreadPool
    /// Attention's bf16 kernel (`FlashAttention.forward(..., kernel:)`): `.automatic` multiplies
    /// bf16 q, k, v on `vdpbf16ps` where bf16 GEMMs do (P, dS and dO rounded to bf16 there);
    /// `.widening` keeps the exact fp32 tiles (what tests comparing with `ReferenceKernels` use).
    public let bf16Attention: BF16Kernel

    public init(pool: ThreadPool, bf16Attention: BF16Kernel = .automatic) {
        self.pool = pool
        self.bf16Attention = bf16Attention
    }

    public var threads: Int { pool.threadCount }

    public func parallel(_ parts: Int, _ body: (Int) -> Void) { pool.parallelFor(parts, body: body) }

    public func linearForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                              bias: UnsafePointer<Float>?, rows R: Int, inFeatures IC: Int, outFeatures OC: Int) {
        if let bias {
            pool.parallelFor(min(threads, R)) { part in
                for r in ThreadPool.partition(R, parts: min(threads, R), part: part) {
                    (out + r * OC).update(from: bias, count: OC)
                }
            }
        }
        GEMM.multiply(transposeA: .none, transposeB: .transposed, m: R, n: OC, k: IC,
                      a: inp, lda: IC, b: weight, ldb: IC, c: out, ldc: OC, accumulate: bias != nil, pool: pool)
    }

    public func linearBackward(dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                               dbias: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>,
                               weight: UnsafePointer<Float>, rows R: Int, inFeatures IC: Int, outFeatures OC: Int) {
        GEMM.multiply(transposeA: .none, transposeB: .none, m: R, n: IC, k: OC,
                      a: dout, lda: OC, b: weight, ldb: IC, c: dinp, ldc: IC, accumulate: true, pool: pool)
        GEMM.multiply(transposeA: .transposed, transposeB: .none, m: OC, n: IC, k: R,
                      a: dout, lda: OC, b: inp, ldb: IC, c: dweight, ldc: IC, accumulate: true, pool: pool)
        if let dbias {
            // columns split between threads: each bias element summed over rows in a fixed order
            let parts = min(threads, max(1, OC / 16))
            pool.parallelFor(parts) { part in
                let cols = ThreadPool.partition(OC, parts: parts, part: part)
                for r in 0..<R {
                    let row = dout + r * OC
                    for o in cols { dbias[o] += row[o] }
                }
            }
        }
    }

    public func halfMatmul(_ format: HalfFormat, transposeA: Transpose, transposeB: Transpose, m: Int, n: Int, k: Int,
                           alpha: Float, a: UnsafePointer<UInt16>, lda: Int, b: UnsafePointer<UInt16>, ldb: Int,
                           c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        switch format {
        case .bf16:
            GEMM.multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                          a: UnsafeRawPointer(a).assumingMemoryBound(to: BFloat16.self), lda: lda,
                          b: UnsafeRawPointer(b).assumingMemoryBound(to: BFloat16.self), ldb: ldb,
                          c: c, ldc: ldc, accumulate: accumulate, pool: pool)
        case .fp16:
            GEMM.multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                          a: UnsafeRawPointer(a).assumingMemoryBound(to: Float16.self), lda: lda,
                          b: UnsafeRawPointer(b).assumingMemoryBound(to: Float16.self), ldb: ldb,
                          c: c, ldc: ldc, accumulate: accumulate, pool: pool)
        }
    }

    public func attentionForward(out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>,
                                 q: UnsafePointer<BFloat16>, k: UnsafePointer<BFloat16>, v: UnsafePointer<BFloat16>,
                                 B: Int, NH: Int, T: Int, d: Int) {
        do {
            try FlashAttention.forward(q: q, k: k, v: v, out: out, lse: lse, B: B, NH: NH, T: T, d: d,
                                       causal: true, threads: threads, pool: pool, kernel: bf16Attention)
        } catch {
            preconditionFailure("attention shape rejected after model validation: \(error)")
        }
    }

    public func attentionBackward(dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
                                  dout: UnsafePointer<Float>, q: UnsafePointer<BFloat16>, k: UnsafePointer<BFloat16>,
                                  v: UnsafePointer<BFloat16>, out: UnsafePointer<Float>, lse: UnsafePointer<Float>,
                                  B: Int, NH: Int, T: Int, d: Int) {
        do {
            try FlashAttention.backward(q: q, k: k, v: v, out: out, lse: lse, dOut: dout, dq: dq, dk: dk, dv: dv,
                                        B: B, NH: NH, T: T, d: d, causal: true, threads: threads, pool: pool,
                                        kernel: bf16Attention)
        } catch {
            preconditionFailure("attention shape rejected after model validation: \(error)")
        }
    }

    public func attentionForward(out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>,
                                 q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                 B: Int, NH: Int, T: Int, d: Int, causal: Bool) {
        do {
            try FlashAttention.forward(q: q, k: k, v: v, out: out, lse: lse, B: B, NH: NH, T: T, d: d,
                                       causal: causal, threads: threads, pool: pool)
        } catch {
            preconditionFailure("attention shape rejected after model validation: \(error)")
        }
    }

    public func attentionBackward(dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
                                  dout: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                  v: UnsafePointer<Float>, out: UnsafePointer<Float>, lse: UnsafePointer<Float>,
                                  B: Int, NH: Int, T: Int, d: Int, causal: Bool) {
        do {
            try FlashAttention.backward(q: q, k: k, v: v, out: out, lse: lse, dOut: dout, dq: dq, dk: dk, dv: dv,
                                        B: B, NH: NH, T: T, d: d, causal: causal, threads: threads, pool: pool)
        } catch {
            preconditionFailure("attention shape rejected after model validation: \(error)")
        }
    }
}
