import Compute
import Randomness
import ScalingLaws
import Training
import XCTest

/// The mixed-precision kernels (FastKernels) against their naive references (the ModelKernels
/// defaults that ReferenceKernels uses) on random inputs.
final class MixedKernelTests: XCTestCase {
    static func halves(_ n: Int, _ format: HalfFormat, _ rng: inout SplitMix64) -> [UInt16] {
        (0..<n).map { _ in
            let x = Float(rng.nextGaussian())
            return format == .bf16 ? BFloat16(x).bitPattern : Float16(x).bitPattern
        }
    }

    func testHalfMatmulMatchesReference() {
        let pool = ThreadPool(threadCount: 2)
        let fast = FastKernels(pool: pool), reference = ReferenceKernels()
        var rng = SplitMix64(seed: 21)
        for format in [HalfFormat.bf16, .fp16] {
            for (ta, tb) in [(Transpose.none, Transpose.transposed), (.none, .none), (.transposed, .none)] {
                for (m, n, k) in [(37, 45, 70), (3, 100, 17), (64, 33, 600)] {
                    let a = Self.halves(m * k, format, &rng), b = Self.halves(k * n, format, &rng)
                    let lda = ta == .none ? k : m, ldb = tb == .none ? n : k
                    let c0 = (0..<(m * n)).map { _ in Float(rng.nextGaussian()) }
                    for accumulate in [false, true] {
                        var got = c0, want = c0
                        fast.halfMatmul(format, transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 0.75,
                                        a: a, lda: lda, b: b, ldb: ldb, c: &got, ldc: n, accumulate: accumulate)
                        reference.halfMatmul(format, transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 0.75,
                                             a: a, lda: lda, b: b, ldb: ldb, c: &want, ldc: n, accumulate: accumulate)
                        var worst: Float = 0
                        for i in got.indices { worst = max(worst, abs(got[i] - want[i]) / (1 + abs(want[i]))) }
                        XCTAssertLessThan(worst, 2e-5, "\(format) \(ta)\(tb) \(m)x\(n)x\(k) accumulate \(accumulate)")
                    }
                }
            }
        }
    }

    /// The training's bf16 attention against the reference kernels: exact fp32 tiles to summation
    /// order; the `vdpbf16ps` tiles (AVX-512 where the CPU has them, the portable twin everywhere)
    /// to bf16 rounding of P, dS and dO, relative to each tensor's largest element.
    func testBF16AttentionMatchesReference() {
        let pool = ThreadPool(threadCount: 2)
        let reference = ReferenceKernels()
        var rng = SplitMix64(seed: 8)
        let (B, NH, T, d) = (2, 2, 40, 16)
        let n = B * NH * T * d
        func bf(_ n: Int) -> [BFloat16] { (0..<n).map { _ in BFloat16(Float(rng.nextGaussian())) } }
        let q = bf(n), k = bf(n), v = bf(n)
        let dout = (0..<n).map { _ in Float(rng.nextGaussian()) }
        var out2 = [Float](repeating: 0, count: n), lse2 = [Float](repeating: 0, count: B * NH * T)
        reference.attentionForward(out: &out2, lse: &lse2, q: q, k: k, v: v, B: B, NH: NH, T: T, d: d)
        let zero = [Float](repeating: 0, count: n)
        var dq2 = zero, dk2 = zero, dv2 = zero
        reference.attentionBackward(dq: &dq2, dk: &dk2, dv: &dv2, dout: dout, q: q, k: k, v: v, out: out2, lse: lse2,
                                    B: B, NH: NH, T: T, d: d)
        let dots: [BF16Kernel] = GEMM.hasBF16DotProduct ? [.portable, .dotProduct] : [.portable]
        for kernel in [BF16Kernel.widening] + dots {
            let fast = FastKernels(pool: pool, bf16Attention: kernel)
            // exact tiles: absolute 1e-4 (out) and 1e-3 (gradients) as before; dot tiles: 1.5% of the
            // tensor's largest element (measured worst 0.5% in AttentionTests)
            let (outTol, gradTol): (Float, Float) = kernel == .widening ? (1e-4, 1e-3) : (0, 0)
            var out1 = zero, lse1 = [Float](repeating: 0, count: B * NH * T)
            fast.attentionForward(out: &out1, lse: &lse1, q: q, k: k, v: v, B: B, NH: NH, T: T, d: d)
            var dq1 = zero, dk1 = zero, dv1 = zero
            fast.attentionBackward(dq: &dq1, dk: &dk1, dv: &dv1, dout: dout, q: q, k: k, v: v, out: out2, lse: lse2,
                                   B: B, NH: NH, T: T, d: d)
            for i in lse1.indices { XCTAssertEqual(lse1[i], lse2[i], accuracy: 1e-4, "\(kernel) lse") }
            for (name, a, b, tol) in [("out", out1, out2, outTol), ("dq", dq1, dq2, gradTol),
                                      ("dk", dk1, dk2, gradTol), ("dv", dv1, dv2, gradTol)] {
                let scale = b.map(abs).max()!
                let bound = tol > 0 ? tol : 0.015 * scale
                let worst = zip(a, b).map { abs($0 - $1) }.max()!
                XCTAssertLessThanOrEqual(worst, bound, "\(kernel) \(name): worst difference \(worst), largest element \(scale)")
            }
        }
    }
}
