import Attention
import Compute
import Randomness
import XCTest

final class FlashAttentionTests: XCTestCase {
    /// Largest relative error seen in a sweep (printed).
    var worst = 0.0

    /// Forward (O, lse) and backward (dQ, dK, dV) of every kernel tier the CPU supports against
    /// the Double reference.
    func check(_ c: AttentionCase, type: InputType, seed: UInt64, tolerance: Double,
               file: StaticString = #filePath, line: UInt = #line) throws {
        var rng = SplitMix64(seed: seed)
        var q = rng.array(c.count, scale: 2), k = rng.array(c.count, scale: 2), v = rng.array(c.count, scale: 1)
        let dOut = rng.array(c.count, scale: 1)
        var results: [(KernelTier, AttentionResult, Bool)] = []
        try Kernels.forEachAvailable { tier in
            let dot = type == .bf16 && FlashAttention.usesBF16DotProduct(d: c.d)
            results.append((tier, try runFlash(c, q: q, k: k, v: v, dOut: dOut, type: type, threads: 2), dot))
        }
        let unroundedQ = q, unroundedK = k, unroundedV = v
        if type == .bf16 { q = roundedToBF16(q); k = roundedToBF16(k); v = roundedToBF16(v) }
        func dbl(_ x: [Float]) -> [Double] { x.map(Double.init) }
        let ref = AttentionReference.forward(q: dbl(q), k: dbl(k), v: dbl(v), B: c.B, NH: c.NH, T: c.T, d: c.d,
                                             causal: c.causal)
        let grad = AttentionReference.backward(q: dbl(q), k: dbl(k), v: dbl(v), dOut: dbl(dOut),
                                               B: c.B, NH: c.NH, T: c.T, d: c.d, causal: c.causal)
        for (tier, got, dot) in results {
            // The dot path rounds P, dS and dO to bf16 inside the products (FlashAttentionBF16DotTests).
            let tolerance = dot ? bf16DotTolerance : tolerance
            let errors: [(String, Double)] = [
                ("out", relativeError(got.out, ref.out)), ("lse", relativeError(got.lse, ref.lse)),
                ("dq", relativeError(got.dq, grad.dq)), ("dk", relativeError(got.dk, grad.dk)),
                ("dv", relativeError(got.dv, grad.dv)),
            ]
            if !dot { worst = max(worst, errors.map(\.1).max()!) }
            for (name, err) in errors {
                XCTAssertLessThan(err, tolerance, "\(tier) \(type) \(c) seed=\(seed): \(name) relative error \(err)",
                                  file: file, line: line)
            }
            if type == .bf16 {
                // Looser bound against the unrounded inputs: bf16 keeps 8 significant bits.
                let exact = AttentionReference.forward(q: dbl(unroundedQ), k: dbl(unroundedK), v: dbl(unroundedV),
                                                       B: c.B, NH: c.NH, T: c.T, d: c.d, causal: c.causal)
                let err = relativeError(got.out, exact.out)
                XCTAssertLessThan(err, 3e-2, "\(tier) bf16 \(c) seed=\(seed): out vs unrounded inputs \(err)",
                                  file: file, line: line)
            }
        }
    }

    func sweep(type: InputType) throws {
        let seed = freshSeed()
        print("FlashAttentionTests \(type) seed \(seed)")
        var n: UInt64 = 0
        for T in [1, 7, 64, 129] {
            for d in [16, 24, 32, 64, 128] {
                for causal in [true, false] {
                    try check(AttentionCase(B: 2, NH: 2, T: T, d: d, causal: causal), type: type,
                              seed: seed &+ n, tolerance: 1e-5)
                    n += 1
                }
            }
        }
        for d in [16, 32, 64, 128] {
            for causal in [true, false] {
                try check(AttentionCase(B: 1, NH: 1, T: 1000, d: d, causal: causal), type: type,
                          seed: seed &+ n, tolerance: 1e-5)
                n += 1
            }
        }
        print("FlashAttentionTests \(type): worst relative error \(worst)")
    }

    func testFP32MatchesReference() throws { try sweep(type: .fp32) }

    func testBF16MatchesReference() throws { try sweep(type: .bf16) }

    /// Same bits for 1, 2 and 3 threads, in every kernel tier: with many heads (one chunk per head) and with few heads
    /// (several key chunks per head, dQ partials summed in chunk order).
    func testThreadCountDoesNotChangeResults() throws {
        let seed = freshSeed()
        print("testThreadCountDoesNotChangeResults seed \(seed)")
        var rng = SplitMix64(seed: seed)
        for c in [AttentionCase(B: 3, NH: 4, T: 200, d: 32, causal: true),
                  AttentionCase(B: 1, NH: 2, T: 333, d: 64, causal: true),
                  AttentionCase(B: 1, NH: 1, T: 300, d: 48, causal: false)] {
            let q = rng.array(c.count, scale: 2), k = rng.array(c.count, scale: 2)
            let v = rng.array(c.count, scale: 1), g = rng.array(c.count, scale: 1)
            try Kernels.forEachAvailable { tier in
                let one = try runFlash(c, q: q, k: k, v: v, dOut: g, type: .fp32, threads: 1)
                for threads in [2, 3] {
                    let other = try runFlash(c, q: q, k: k, v: v, dOut: g, type: .fp32, threads: threads)
                    XCTAssert(one == other, "\(tier) \(c) seed=\(seed): threads=\(threads) differs from threads=1")
                }
            }
        }
    }

    func testRejectsUnsupportedShapes() {
        var out = [Float](repeating: 0, count: 4 * 129), lse = [Float](repeating: 0, count: 4)
        let x = [Float](repeating: 1, count: 4 * 129)
        XCTAssertThrowsError(try FlashAttention.forward(q: x, k: x, v: x, out: &out, lse: &lse,
                                                        B: 1, NH: 1, T: 4, d: 129, causal: true, threads: 1))
        XCTAssertThrowsError(try FlashAttention.forward(q: x, k: x, v: x, out: &out, lse: &lse,
                                                        B: 1, NH: 1, T: 0, d: 16, causal: true, threads: 1))
        XCTAssertThrowsError(try FlashAttention.forward(q: x, k: x, v: x, out: &out, lse: &lse,
                                                        B: 1, NH: 1, T: 4, d: 16, causal: true, threads: 0))
        XCTAssertThrowsError(try NaiveAttention.forward(q: x, k: x, v: x, out: &out, lse: &lse,
                                                        B: 1, NH: 1, T: 4, d: 24, causal: true, threads: 1))
    }

    func testBF16RoundsToNearestEven() {
        XCTAssertEqual(BF16(1.0).bitPattern, 0x3F80)
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to even (1.0).
        XCTAssertEqual(BF16(1.00390625).bitPattern, 0x3F80)
        // 1 + 3 * 2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6: ties to even (1 + 2^-6).
        XCTAssertEqual(BF16(1.01171875).bitPattern, 0x3F82)
        XCTAssertEqual(BF16(1.005).float, 1.0078125)
        XCTAssertEqual(BF16(-2.5).float, -2.5)
        XCTAssert(BF16(Float.nan).float.isNaN)
        XCTAssertEqual(BF16(Float.infinity).float, .infinity)
    }
}
