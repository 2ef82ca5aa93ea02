import Attention
import Compute
import Randomness
import XCTest

final class NaiveAndGradientTests: XCTestCase {
    func testNaiveFP32MatchesReference() throws {
        let seed = freshSeed()
        print("testNaiveFP32MatchesReference seed \(seed)")
        var rng = SplitMix64(seed: seed)
        for c in [AttentionCase(B: 1, NH: 3, T: 7, d: 16, causal: true),
                  AttentionCase(B: 2, NH: 1, T: 129, d: 64, causal: true),
                  AttentionCase(B: 1, NH: 2, T: 100, d: 32, causal: false)] {
            let q = rng.array(c.count, scale: 2), k = rng.array(c.count, scale: 2)
            let v = rng.array(c.count, scale: 1), g = rng.array(c.count, scale: 1)
            func dbl(_ x: [Float]) -> [Double] { x.map(Double.init) }
            let ref = AttentionReference.forward(q: dbl(q), k: dbl(k), v: dbl(v), B: c.B, NH: c.NH, T: c.T,
                                                 d: c.d, causal: c.causal)
            let grad = AttentionReference.backward(q: dbl(q), k: dbl(k), v: dbl(v), dOut: dbl(g),
                                                   B: c.B, NH: c.NH, T: c.T, d: c.d, causal: c.causal)
            try Kernels.forEachAvailable { tier in
                let got = try runNaive(c, q: q, k: k, v: v, dOut: g, threads: 2)
                for (name, err) in [("out", relativeError(got.out, ref.out)), ("lse", relativeError(got.lse, ref.lse)),
                                    ("dq", relativeError(got.dq, grad.dq)), ("dk", relativeError(got.dk, grad.dk)),
                                    ("dv", relativeError(got.dv, grad.dv))] {
                    XCTAssertLessThan(err, 1e-5, "naive \(tier) \(c) seed=\(seed): \(name) relative error \(err)")
                }
            }
        }
    }

    /// Central finite differences of L = sum(O * W) (W random) against the analytic gradients: the
    /// Double reference's backward (tight), and the flash kernel's backward through its own fp32 forward.
    func testGradientsMatchFiniteDifferences() throws {
        let seed = freshSeed()
        print("testGradientsMatchFiniteDifferences seed \(seed)")
        var rng = SplitMix64(seed: seed)
        for c in [AttentionCase(B: 1, NH: 2, T: 5, d: 16, causal: true),
                  AttentionCase(B: 1, NH: 1, T: 4, d: 3, causal: false)] {
            let q = rng.array(c.count, scale: 1.5), k = rng.array(c.count, scale: 1.5)
            let v = rng.array(c.count, scale: 1), w = rng.array(c.count, scale: 1)
            func dbl(_ x: [Float]) -> [Double] { x.map(Double.init) }
            let wd = dbl(w)
            func lossReference(_ q: [Double], _ k: [Double], _ v: [Double]) -> Double {
                let o = AttentionReference.forward(q: q, k: k, v: v, B: c.B, NH: c.NH, T: c.T, d: c.d,
                                                   causal: c.causal).out
                return zip(o, wd).reduce(0) { $0 + $1.0 * $1.1 }
            }
            func lossFlash(_ q: [Float], _ k: [Float], _ v: [Float]) throws -> Double {
                var out = [Float](repeating: 0, count: c.count), lse = [Float](repeating: 0, count: c.B * c.NH * c.T)
                try FlashAttention.forward(q: q, k: k, v: v, out: &out, lse: &lse, B: c.B, NH: c.NH, T: c.T,
                                           d: c.d, causal: c.causal, threads: 1)
                return zip(out, wd).reduce(0) { $0 + Double($1.0) * $1.1 }
            }
            let analytic = AttentionReference.backward(q: dbl(q), k: dbl(k), v: dbl(v), dOut: wd,
                                                       B: c.B, NH: c.NH, T: c.T, d: c.d, causal: c.causal)
            let flash = try runFlash(c, q: q, k: k, v: v, dOut: w, type: .fp32, threads: 1)
            var worstFlash = 0.0
            defer { print("flash grad vs FD: worst \(worstFlash) for \(c)") }
            let inputs = [q, k, v]
            let analyticGrads = [analytic.dq, analytic.dk, analytic.dv]
            let flashGrads = [flash.dq, flash.dk, flash.dv]
            for which in 0..<3 {
                for idx in 0..<c.count {
                    // Reference: Double, step 1e-5.
                    var xs = inputs.map(dbl)
                    let h = 1e-5
                    xs[which][idx] += h
                    let up = lossReference(xs[0], xs[1], xs[2])
                    xs[which][idx] -= 2 * h
                    let down = lossReference(xs[0], xs[1], xs[2])
                    let fd = (up - down) / (2 * h)
                    XCTAssertEqual(analytic0: analyticGrads[which][idx], fd, 1e-6,
                                   "\(c) seed=\(seed) input \(which) index \(idx): reference grad vs FD")
                    // Flash fp32 forward: step 1e-2 (float rounding of the loss ~1e-6); observed error ~2e-5.
                    var fs = inputs
                    let hf: Float = 1e-2
                    fs[which][idx] += hf
                    let upF = try lossFlash(fs[0], fs[1], fs[2])
                    fs[which][idx] -= 2 * hf
                    let downF = try lossFlash(fs[0], fs[1], fs[2])
                    let fdF = (upF - downF) / (2 * Double(hf))
                    worstFlash = max(worstFlash, abs(Double(flashGrads[which][idx]) - fdF) / max(1, abs(fdF)))
                    XCTAssertEqual(analytic0: Double(flashGrads[which][idx]), fdF, 3e-4,
                                   "\(c) seed=\(seed) input \(which) index \(idx): flash grad vs FD")
                }
            }
        }
    }
}

/// |a - b| <= tol * max(1, |b|).
func XCTAssertEqual(analytic0 a: Double, _ b: Double, _ tol: Double, _ message: String,
                    file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertLessThanOrEqual(abs(a - b), tol * max(1, abs(b)), "\(message): \(a) vs \(b)", file: file, line: line)
}
