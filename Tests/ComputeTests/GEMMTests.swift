import Compute
import Randomness
import XCTest

final class GEMMTests: XCTestCase {
    static let pool2 = ThreadPool(threadCount: 2)
    static let pool3 = ThreadPool(threadCount: 3)
    let transposes: [(Transpose, Transpose)] = [(.none, .none), (.none, .transposed),
                                                 (.transposed, .none), (.transposed, .transposed)]

    /// Runs the fast fp32 GEMM of every kernel tier the CPU supports and the Double reference
    /// on `p` and compares them.
    func check(_ p: GEMMProblem, alpha: Float = 1, accumulate: Bool, pool: ThreadPool,
               file: StaticString = #filePath, line: UInt = #line) {
        let want = p.freshC()
        GEMM.reference(transposeA: p.ta, transposeB: p.tb, m: p.m, n: p.n, k: p.k, alpha: alpha,
                       a: p.a.pointer, lda: p.lda, b: p.b.pointer, ldb: p.ldb,
                       c: want.pointer, ldc: p.ldc, accumulate: accumulate)
        Kernels.forEachAvailable { tier in
            let got = p.freshC()
            GEMM.multiply(transposeA: p.ta, transposeB: p.tb, m: p.m, n: p.n, k: p.k, alpha: alpha,
                          a: p.a.pointer, lda: p.lda, b: p.b.pointer, ldb: p.ldb,
                          c: got.pointer, ldc: p.ldc, accumulate: accumulate, pool: pool)
            assertClose(got, want, p, alpha: alpha, accumulate: accumulate, tol: 1e-5,
                        "fp32 \(tier) \(p.ta)/\(p.tb) m=\(p.m) n=\(p.n) k=\(p.k) ld+\(p.ldc - p.n) "
                        + "alpha=\(alpha) acc=\(accumulate) threads=\(pool.threadCount)",
                        file: file, line: line)
        }
    }

    func testAllLayoutsRandomShapes() {
        var rng = SplitMix64(seed: 1)
        for (ta, tb) in transposes {
            for trial in 0..<6 {
                let m = rng.int(1...70), n = rng.int(1...90), k = rng.int(1...300)
                let p = GEMMProblem(ta, tb, m: m, n: n, k: k, rng: &rng)
                check(p, accumulate: trial % 2 == 1, pool: Self.pool2)
            }
        }
    }

    func testTileAndBlockBoundaries() {
        // Exact tile multiples, one off either side, k across the k block, m across the row
        // block: AVX-512's 14×32 tile, 512 k block and 70-row block; AVX2's 6×16 tile, 384 k
        // block and 96-row block; portable's 6×8 tile, 256 k block and 144-row block.
        var rng = SplitMix64(seed: 2)
        for (m, n, k) in [(14, 32, 512), (13, 31, 511), (15, 33, 513), (71, 64, 1025), (70, 65, 1), (84, 96, 17),
                          (6, 16, 384), (7, 17, 385), (97, 15, 383), (145, 9, 255), (144, 8, 260)] {
            for (ta, tb) in transposes {
                check(GEMMProblem(ta, tb, m: m, n: n, k: k, rng: &rng), accumulate: false,
                      pool: Self.pool2)
            }
        }
    }

    func testRowAndColumnVectors() {
        var rng = SplitMix64(seed: 3)
        for (m, n, k) in [(1, 77, 40), (77, 1, 40), (1, 1, 300), (5, 1, 1), (1, 200, 3)] {
            for (ta, tb) in transposes {
                check(GEMMProblem(ta, tb, m: m, n: n, k: k, rng: &rng), accumulate: true,
                      pool: Self.pool2)
            }
        }
    }

    func testAccumulateAlphaAndLeadingDimensions() {
        var rng = SplitMix64(seed: 4)
        for (ta, tb) in transposes {
            let p = GEMMProblem(ta, tb, m: 45, n: 70, k: 130, pad: 9, rng: &rng)
            check(p, alpha: -0.75, accumulate: true, pool: Self.pool2)
            check(p, alpha: 2.5, accumulate: false, pool: Self.pool3)
        }
    }

    func testLargerMatrixMultithreaded() {
        var rng = SplitMix64(seed: 5)
        let p = GEMMProblem(.none, .none, m: 300, n: 200, k: 600, rng: &rng)
        check(p, accumulate: true, pool: Self.pool2)
        let q = GEMMProblem(.transposed, .none, m: 100, n: 333, k: 280, rng: &rng)
        check(q, accumulate: false, pool: Self.pool3)
        // Tall and narrow, partial tiles at both ends: threads split the rows.
        let t = GEMMProblem(.transposed, .transposed, m: 575, n: 250, k: 70, pad: 5, rng: &rng)
        check(t, alpha: -1.25, accumulate: true, pool: Self.pool2)
        // Wide and short: threads split the columns.
        let w = GEMMProblem(.none, .transposed, m: 30, n: 300, k: 530, pad: 2, rng: &rng)
        check(w, alpha: 1.5, accumulate: true, pool: Self.pool2)
    }

    func testAccumulateEqualsTwoCalls() {
        // C = A1 B1 then C += A2 B2 equals the reference of the sum (gradient accumulation).
        var rng = SplitMix64(seed: 6)
        let p = GEMMProblem(.transposed, .none, m: 40, n: 50, k: 60, rng: &rng)
        let want = p.freshC()
        GEMM.reference(transposeA: .transposed, m: 40, n: 50, k: 60, alpha: 2, a: p.a.pointer,
                       lda: p.lda, b: p.b.pointer, ldb: p.ldb, c: want.pointer, ldc: p.ldc)
        Kernels.forEachAvailable { tier in
            let got = p.freshC()
            for acc in [false, true] {
                GEMM.multiply(transposeA: .transposed, m: 40, n: 50, k: 60, a: p.a.pointer, lda: p.lda,
                              b: p.b.pointer, ldb: p.ldb, c: got.pointer, ldc: p.ldc, accumulate: acc,
                              pool: Self.pool2)
            }
            assertClose(got, want, p, alpha: 2, accumulate: false, tol: 1e-5, "two-step accumulate \(tier)")
        }
    }

    func testZeroKClearsOrKeeps() {
        var rng = SplitMix64(seed: 7)
        let c = rng.buffer(12), a = rng.buffer(4), b = rng.buffer(4)
        let before = c.toArray()
        GEMM.multiply(m: 3, n: 4, k: 0, a: a.pointer, lda: 1, b: b.pointer, ldb: 4, c: c.pointer,
                      ldc: 4, accumulate: true)
        XCTAssertEqual(c.toArray(), before)
        GEMM.multiply(m: 3, n: 4, k: 0, a: a.pointer, lda: 1, b: b.pointer, ldb: 4, c: c.pointer,
                      ldc: 4, accumulate: false)
        XCTAssertEqual(c.toArray(), Array(repeating: 0, count: 12))
    }

    func testOverwriteIgnoresNaNInC() {
        var rng = SplitMix64(seed: 8)
        let p = GEMMProblem(.none, .none, m: 20, n: 40, k: 30, rng: &rng)
        let want = p.freshC()
        GEMM.reference(m: 20, n: 40, k: 30, a: p.a.pointer, lda: p.lda, b: p.b.pointer,
                       ldb: p.ldb, c: want.pointer, ldc: p.ldc)
        Kernels.forEachAvailable { tier in
            let got = p.freshC()
            got.fill(.nan)
            GEMM.multiply(m: 20, n: 40, k: 30, a: p.a.pointer, lda: p.lda, b: p.b.pointer, ldb: p.ldb,
                          c: got.pointer, ldc: p.ldc, accumulate: false, pool: Self.pool2)
            assertClose(got, want, p, alpha: 1, accumulate: false, tol: 1e-5, "NaN-filled C \(tier)")
        }
    }

    func testResultsIndependentOfThreadCount() {
        Kernels.forEachAvailable { tier in
            var rng = SplitMix64(seed: 9)
            for (ta, tb) in transposes {
                // The first and last shapes are split by rows (the last one because splitting its
                // columns would make both threads pack all of A), the middle two by columns
                // (see _Partition).
                for (m, n, k) in [(157, 61, 300), (30, 300, 40), (14, 100, 600), (574, 256, 40)] {
                    let p = GEMMProblem(ta, tb, m: m, n: n, k: k, pad: 3, rng: &rng)
                    var results: [[Float]] = []
                    for pool in [ThreadPool(threadCount: 1), Self.pool2, Self.pool3] {
                        let c = p.freshC()
                        GEMM.multiply(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 0.5,
                                      a: p.a.pointer, lda: p.lda, b: p.b.pointer, ldb: p.ldb,
                                      c: c.pointer, ldc: p.ldc, accumulate: true, pool: pool)
                        results.append(c.toArray())
                    }
                    XCTAssertEqual(results[0], results[1], "1 vs 2 threads \(tier) \(ta)/\(tb) \(m)x\(n)x\(k)")
                    XCTAssertEqual(results[0], results[2], "1 vs 3 threads \(tier) \(ta)/\(tb) \(m)x\(n)x\(k)")
                }
            }
        }
    }
}
