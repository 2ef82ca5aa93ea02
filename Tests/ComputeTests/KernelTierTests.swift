import Compute
import Randomness
import XCTest

/// The tier dispatch itself and each tier's attention tiles against a naive reference.
final class KernelTierTests: XCTestCase {
    func testCPUReportsItsTiersAndSelectionRoundTrips() throws {
        let tiers = Kernels.cpu.tiers
        XCTAssertEqual(tiers.first, .portable, "every CPU runs the portable tier")
        XCTAssertEqual(tiers, tiers.sorted(), "tiers listed lowest first")
        XCTAssertEqual(Kernels.best, tiers.last)
        XCTAssertFalse(Kernels.cpu.model.isEmpty)
        let before = Kernels.tier
        Kernels.forEachAvailable { tier in
            XCTAssertEqual(Kernels.tier, tier)
            XCTAssertEqual(Kernels.active.tier, tier == .avx512bf16 ? .avx512 : tier)
        }
        XCTAssertEqual(Kernels.tier, before, "forEachAvailable restores the selected tier")
        for tier in KernelTier.allCases where !tiers.contains(tier) {
            XCTAssertThrowsError(try Kernels.select(tier)) { error in
                XCTAssertTrue("\(error)".contains(tier.rawValue), "\(error)")
            }
        }
    }

    func testTierNamesParseAndBadNamesAreNamed() throws {
        for tier in KernelTier.allCases {
            XCTAssertEqual(try Kernels.parse(tier.rawValue.uppercased(), source: "LADDER_ISA"), tier)
        }
        XCTAssertThrowsError(try Kernels.parse("sse9", source: "LADDER_ISA")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("LADDER_ISA") && text.contains("sse9") && text.contains("avx2"), text)
        }
    }

    func testRegisterTilesPerTier() {
        XCTAssertEqual([Kernels.table(for: .avx512).mr, Kernels.table(for: .avx512).nr], [14, 32])
        XCTAssertEqual([Kernels.table(for: .avx2).mr, Kernels.table(for: .avx2).nr], [6, 16])
        XCTAssertEqual([Kernels.table(for: .portable).mr, Kernels.table(for: .portable).nr], [6, 8])
    }

    /// Each available tier's attention tiles on odd sizes against a Double reference; tiers with
    /// FMA (AVX2, AVX-512) run the same FMA chain per element, so they agree bit for bit.
    func testAttentionTilesMatchReferenceAndAgreeAcrossFMATiers() {
        var rng = SplitMix64(seed: 21)
        for (m, k, n, cols) in [(1, 1, 1, 16), (7, 13, 5, 48), (13, 64, 70, 64), (6, 3, 6, 80)] {
            // scores: C[m, 64] = A[m, k] · Bt[k, 64] (lda = k + 3, ldb = 64 + 5, ldc = 64 + 7)
            let a = rng.buffer(m * (k + 3)), bt = rng.buffer(k * 69)
            var want = [Double](repeating: 0, count: m * 64)
            for i in 0..<m { for j in 0..<64 { for p in 0..<k {
                want[i * 64 + j] += Double(a[i * (k + 3) + p]) * Double(bt[p * 69 + j])
            } } }
            // accumulate: C[m, cols] += A(i, j) · B[n, cols], A read transposed (ars = 1, acs = m)
            let at = rng.buffer(n * m), b = rng.buffer(n * (cols + 2)), c0 = rng.buffer(m * (cols + 1))
            var wantAcc = [Double](repeating: 0, count: m * cols)
            for i in 0..<m { for j in 0..<cols {
                var s = Double(c0[i * (cols + 1) + j])
                for p in 0..<n { s += Double(at[p * m + i]) * Double(b[p * (cols + 2) + j]) }
                wantAcc[i * cols + j] = s
            } }
            var fmaResults: [[Float]] = []
            Kernels.forEachAvailable { tier in
                let t = Kernels.active
                let c = AlignedBuffer<Float>(count: m * 71)
                t.attentionScores(a.pointer, k + 3, bt.pointer, 69, c.pointer, 71, m, k)
                let acc = AlignedBuffer<Float>(count: c0.count)
                acc.pointer.update(from: c0.pointer, count: c0.count)
                t.attentionAccumulate(at.pointer, 1, m, b.pointer, cols + 2, acc.pointer, cols + 1, m, n, cols)
                var got: [Float] = []
                for i in 0..<m { for j in 0..<64 {
                    let w = want[i * 64 + j]
                    XCTAssertEqual(Double(c[i * 71 + j]), w, accuracy: 1e-5 * Double(k + 1),
                                   "\(tier) scores m=\(m) k=\(k) (\(i), \(j))")
                    got.append(c[i * 71 + j])
                } }
                for i in 0..<m { for j in 0..<cols {
                    XCTAssertEqual(Double(acc[i * (cols + 1) + j]), wantAcc[i * cols + j], accuracy: 1e-5 * Double(n + 1),
                                   "\(tier) accumulate m=\(m) n=\(n) cols=\(cols) (\(i), \(j))")
                    got.append(acc[i * (cols + 1) + j])
                } }
                if tier != .portable { fmaResults.append(got) }
            }
            for other in fmaResults.dropFirst() {
                XCTAssertEqual(other, fmaResults[0], "FMA tiers differ at m=\(m) k=\(k) n=\(n)")
            }
        }
    }
}
