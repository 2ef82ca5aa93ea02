import Attention
import Compute
import Randomness
import XCTest

/// Relative error allowed on the bf16 dot path against the Double reference on the same bf16
/// inputs: P, dS and dO are rounded to bf16 (8 significant bits, relative step 2^-8) where they
/// enter a product, so each output carries errors of that order averaged over its terms.
let bf16DotTolerance = 1.5e-2

/// The `vdpbf16ps` flash path (`FlashAttention.forward/backward(..., kernel:)` with bf16 inputs):
/// its portable tiles on every CPU, its AVX-512 tiles where the CPU has AVX512_BF16.
final class FlashAttentionBF16DotTests: XCTestCase {
    var kernels: [BF16Kernel] { GEMM.hasBF16DotProduct ? [.portable, .dotProduct] : [.portable] }
    /// Largest relative gap between the AVX-512 and the portable tiles seen in a sweep (printed).
    var tileGap = 0.0

    func check(_ c: AttentionCase, seed: UInt64, worst: inout Double) throws {
        var rng = SplitMix64(seed: seed)
        let q = roundedToBF16(rng.array(c.count, scale: 2)), k = roundedToBF16(rng.array(c.count, scale: 2))
        let v = roundedToBF16(rng.array(c.count, scale: 1)), g = rng.array(c.count, scale: 1)
        func dbl(_ x: [Float]) -> [Double] { x.map(Double.init) }
        let ref = AttentionReference.forward(q: dbl(q), k: dbl(k), v: dbl(v), B: c.B, NH: c.NH, T: c.T, d: c.d,
                                             causal: c.causal)
        let grad = AttentionReference.backward(q: dbl(q), k: dbl(k), v: dbl(v), dOut: dbl(g),
                                               B: c.B, NH: c.NH, T: c.T, d: c.d, causal: c.causal)
        var results: [AttentionResult] = []
        for kernel in kernels {
            let got = try runFlashBF16(c, q: q, k: k, v: v, dOut: g, threads: 2, kernel: kernel)
            results.append(got)
            let errors: [(String, Double)] = [
                ("out", relativeError(got.out, ref.out)), ("lse", relativeError(got.lse, ref.lse)),
                ("dq", relativeError(got.dq, grad.dq)), ("dk", relativeError(got.dk, grad.dk)),
                ("dv", relativeError(got.dv, grad.dv)),
            ]
            for (name, err) in errors {
                worst = max(worst, err)
                XCTAssertLessThan(err, bf16DotTolerance, "\(kernel) \(c) seed=\(seed): \(name) relative error \(err)")
            }
            // lse takes no bf16 product of P: it is as exact as the fp32 scores (scores of bf16 q, k).
            XCTAssertLessThan(relativeError(got.lse, ref.lse), 1e-5, "\(kernel) \(c) seed=\(seed): lse")
        }
        if results.count == 2 {
            // Same packed operands: the AVX-512 and portable tiles differ in the fp32 summation
            // order, which flips the bf16 rounding of a few P and dS elements (a step of 2^-8 in
            // single terms); closer to each other than either is to the reference.
            let (a, b) = (results[0], results[1])
            for (name, x, y) in [("out", a.out, b.out), ("dq", a.dq, b.dq), ("dk", a.dk, b.dk), ("dv", a.dv, b.dv)] {
                let err = relativeError(y, x.map(Double.init))
                tileGap = max(tileGap, err)
                XCTAssertLessThan(err, bf16DotTolerance / 3, "\(c) seed=\(seed): \(name) avx512 vs portable tiles \(err)")
            }
        }
    }

    func testMatchesReference() throws {
        let seed = freshSeed()
        print("FlashAttentionBF16DotTests seed \(seed)")
        var n: UInt64 = 0, worst = 0.0
        for T in [1, 7, 64, 129] {
            for d in [16, 24, 32, 64, 128] {
                for causal in [true, false] {
                    try check(AttentionCase(B: 2, NH: 2, T: T, d: d, causal: causal), seed: seed &+ n, worst: &worst)
                    n += 1
                }
            }
        }
        for (T, d) in [(1000, 32), (333, 64), (200, 96)] {
            try check(AttentionCase(B: 1, NH: 2, T: T, d: d, causal: true), seed: seed &+ n, worst: &worst)
            n += 1
        }
        print("FlashAttentionBF16DotTests: worst relative error \(worst), AVX-512 against portable tiles \(tileGap)")
    }

    /// Forward and backward of case `c` with `kernel` on inputs from a fixed seed (the same for every call).
    func run(_ c: AttentionCase, _ kernel: BF16Kernel) throws -> AttentionResult {
        var rng = SplitMix64(seed: 1234)
        let q = rng.array(c.count, scale: 2), k = rng.array(c.count, scale: 2)
        let v = rng.array(c.count, scale: 1), g = rng.array(c.count, scale: 1)
        return try runFlashBF16(c, q: q, k: k, v: v, dOut: g, threads: 2, kernel: kernel)
    }

    /// The dot path is not the widening path with a different name: its P and dS roundings show.
    func testDiffersFromWideningPath() throws {
        let c = AttentionCase(B: 1, NH: 2, T: 130, d: 32, causal: true)
        let wide = try run(c, .widening), dot = try run(c, .portable)
        XCTAssertNotEqual(wide.out, dot.out)
        XCTAssertEqual(wide.lse, dot.lse, accuracy: 1e-4)
    }

    /// Odd head dims cannot be read as pairs in place: every kernel choice widens, bit for bit.
    func testOddHeadDimWidens() throws {
        let c = AttentionCase(B: 1, NH: 2, T: 70, d: 25, causal: true)
        let wide = try run(c, .widening)
        for kernel in kernels { XCTAssert(try run(c, kernel) == wide, "\(kernel)") }
        XCTAssertFalse(FlashAttention.usesBF16DotProduct(d: 25))
    }

    /// Same bits for 1, 2 and 3 threads (one chunk per head, and several key chunks per head).
    func testThreadCountDoesNotChangeResults() throws {
        let seed = freshSeed()
        print("FlashAttentionBF16DotTests threads seed \(seed)")
        var rng = SplitMix64(seed: seed)
        for c in [AttentionCase(B: 3, NH: 4, T: 200, d: 32, causal: true),
                  AttentionCase(B: 1, NH: 2, T: 333, d: 64, causal: true)] {
            let q = rng.array(c.count, scale: 2), k = rng.array(c.count, scale: 2)
            let v = rng.array(c.count, scale: 1), g = rng.array(c.count, scale: 1)
            for kernel in kernels {
                let one = try runFlashBF16(c, q: q, k: k, v: v, dOut: g, threads: 1, kernel: kernel)
                for threads in [2, 3] {
                    let other = try runFlashBF16(c, q: q, k: k, v: v, dOut: g, threads: threads, kernel: kernel)
                    XCTAssert(one == other, "\(kernel) \(c) seed=\(seed): threads=\(threads) differs from threads=1")
                }
            }
        }
    }
}

private func XCTAssertEqual(_ a: [Float], _ b: [Float], accuracy: Float, file: StaticString = #filePath,
                            line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
    XCTAssertLessThanOrEqual(worst, accuracy, file: file, line: line)
}
