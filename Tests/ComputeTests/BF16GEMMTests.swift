import Compute
import Randomness
import XCTest

final class BF16GEMMTests: XCTestCase {
    static let pool2 = ThreadPool(threadCount: 2)

    /// Kernels exercised on this CPU: the portable fallback always, `dotProduct` when present.
    var kernels: [BF16Kernel] {
        GEMM.hasBF16DotProduct ? [.dotProduct, .widening, .portable, .automatic]
                               : [.widening, .portable, .automatic]
    }

    func bf16(_ x: AlignedBuffer<Float>) -> AlignedBuffer<BFloat16> {
        let out = AlignedBuffer<BFloat16>(count: x.count)
        Convert.floatToBFloat16(x.pointer, out.pointer, count: x.count)
        return out
    }

    func widened(_ x: AlignedBuffer<BFloat16>) -> AlignedBuffer<Float> {
        let out = AlignedBuffer<Float>(count: x.count)
        Convert.bfloat16ToFloat(x.pointer, out.pointer, count: x.count)
        return out
    }

    /// Checks every kernel under every kernel tier the CPU supports (the widening kernel runs the
    /// tier's fp32 micro-kernel; below `avx512bf16`, `dotProduct` falls back to `portable`) against (1) the Double reference on the same bf16 inputs (only fp32
    /// accumulation error allowed) and (2) the fp32 product of the unrounded inputs (~1e-2).
    func check(_ p: GEMMProblem, alpha: Float = 1, accumulate: Bool, pool: ThreadPool,
               file: StaticString = #filePath, line: UInt = #line) {
        let a16 = bf16(p.a), b16 = bf16(p.b)
        let want = p.freshC()
        GEMM.reference(transposeA: p.ta, transposeB: p.tb, m: p.m, n: p.n, k: p.k, alpha: alpha,
                       a: a16.pointer, lda: p.lda, b: b16.pointer, ldb: p.ldb,
                       c: want.pointer, ldc: p.ldc, accumulate: accumulate)
        let fp32 = p.freshC()
        GEMM.reference(transposeA: p.ta, transposeB: p.tb, m: p.m, n: p.n, k: p.k, alpha: alpha,
                       a: p.a.pointer, lda: p.lda, b: p.b.pointer, ldb: p.ldb,
                       c: fp32.pointer, ldc: p.ldc, accumulate: accumulate)
        // Bounds are relative to Σ|a||b| of the bf16-rounded inputs.
        let q = GEMMProblem(bf16Of: p, a: widened(a16), b: widened(b16))
        Kernels.forEachAvailable { tier in
            for kernel in kernels {
                let got = p.freshC()
                GEMM.multiply(transposeA: p.ta, transposeB: p.tb, m: p.m, n: p.n, k: p.k, alpha: alpha,
                              a: a16.pointer, lda: p.lda, b: b16.pointer, ldb: p.ldb,
                              c: got.pointer, ldc: p.ldc, accumulate: accumulate, kernel: kernel,
                              pool: pool)
                let what = "bf16 \(tier) \(kernel) \(p.ta)/\(p.tb) m=\(p.m) n=\(p.n) k=\(p.k) "
                    + "ld+\(p.ldc - p.n) acc=\(accumulate)"
                assertClose(got, want, q, alpha: alpha, accumulate: accumulate, tol: 1e-5,
                            what + " vs bf16 reference", file: file, line: line)
                assertClose(got, fp32, q, alpha: alpha, accumulate: accumulate, tol: 1e-2,
                            what + " vs fp32 reference", file: file, line: line)
            }
        }
    }

    func testAllLayoutsRandomShapes() {
        var rng = SplitMix64(seed: 11)
        for (ta, tb) in [(Transpose.none, Transpose.none), (.none, .transposed),
                         (.transposed, .none), (.transposed, .transposed)] {
            for trial in 0..<4 {
                let m = rng.int(1...60), n = rng.int(1...80), k = rng.int(1...700)
                check(GEMMProblem(ta, tb, m: m, n: n, k: k, rng: &rng), accumulate: trial % 2 == 0,
                      pool: Self.pool2)
            }
        }
    }

    func testEdgesOddKVectorsAndLeadingDimensions() {
        var rng = SplitMix64(seed: 12)
        for (m, n, k, pad) in [(14, 32, 512, 0), (15, 33, 513, 5), (1, 64, 7, 0), (64, 1, 9, 2),
                               (3, 3, 1, 1), (28, 64, 1025, 0)] {
            for (ta, tb) in [(Transpose.none, Transpose.none), (.none, .transposed),
                             (.transposed, .none)] {
                check(GEMMProblem(ta, tb, m: m, n: n, k: k, pad: pad, rng: &rng), alpha: 0.5,
                      accumulate: pad % 2 == 1, pool: Self.pool2)
            }
        }
    }

    func testResultsIndependentOfThreadCount() {
        var rng = SplitMix64(seed: 13)
        let p = GEMMProblem(.none, .transposed, m: 131, n: 97, k: 301, rng: &rng)
        let a16 = bf16(p.a), b16 = bf16(p.b)
        Kernels.forEachAvailable { tier in
            for kernel in kernels {
                var results: [[Float]] = []
                for pool in [ThreadPool(threadCount: 1), Self.pool2, ThreadPool(threadCount: 3)] {
                    let c = p.freshC()
                    GEMM.multiply(transposeB: .transposed, m: p.m, n: p.n, k: p.k,
                                  a: a16.pointer, lda: p.lda, b: b16.pointer, ldb: p.ldb,
                                  c: c.pointer, ldc: p.ldc, accumulate: true, kernel: kernel, pool: pool)
                    results.append(c.toArray())
                }
                XCTAssertEqual(results[0], results[1], "\(tier) \(kernel): 1 vs 2 threads")
                XCTAssertEqual(results[0], results[2], "\(tier) \(kernel): 1 vs 3 threads")
            }
        }
    }

    func testDotProductAndPortableAgreeClosely() throws {
        try XCTSkipUnless(GEMM.hasBF16DotProduct, "CPU has no AVX512_BF16")
        var rng = SplitMix64(seed: 14)
        let p = GEMMProblem(.none, .none, m: 50, n: 70, k: 200, rng: &rng)
        let a16 = bf16(p.a), b16 = bf16(p.b)
        let x = p.freshC(), y = p.freshC()
        for (kernel, c) in [(BF16Kernel.dotProduct, x), (.portable, y)] {
            GEMM.multiply(m: p.m, n: p.n, k: p.k, a: a16.pointer, lda: p.lda, b: b16.pointer,
                          ldb: p.ldb, c: c.pointer, ldc: p.ldc, kernel: kernel)
        }
        let q = GEMMProblem(bf16Of: p, a: widened(a16), b: widened(b16))
        assertClose(x, y, q, alpha: 1, accumulate: false, tol: 1e-5, "dotProduct vs portable")
    }
}

extension GEMMProblem {
    /// The same problem with operands replaced (used to take Σ|a||b| over bf16-rounded values).
    init(bf16Of p: GEMMProblem, a: AlignedBuffer<Float>, b: AlignedBuffer<Float>) {
        self.init(p.ta, p.tb, m: p.m, n: p.n, k: p.k, lda: p.lda, ldb: p.ldb, ldc: p.ldc,
                  a: a, b: b, c0: p.c0)
    }
}
