import Foundation
import XCTest
import ScalingLaws
import Randomness

final class FitObjectiveTests: XCTestCase {
    func testVectorExpMatchesFoundation() {
        var rng = SplitMix64(seed: 1)
        var worst = 0.0
        for _ in 0..<2_000 {
            var v = SIMD8<Double>()
            for k in 0..<8 { v[k] = -700 + 1400 * rng.nextUniform() }
            if rng.nextUniform() < 0.5 { for k in 0..<8 { v[k] = (rng.nextUniform() - 0.5) * 4 } }
            let e = _VectorMath.exp(v)
            for k in 0..<8 { worst = max(worst, abs(e[k] / Foundation.exp(v[k]) - 1)) }
        }
        XCTAssertLessThan(worst, 1e-15)
    }

    func testVectorLogMatchesFoundation() {
        var rng = SplitMix64(seed: 2)
        var worst = 0.0, worstInverse = 0.0
        for _ in 0..<2_000 {
            var v = SIMD8<Double>()
            for k in 0..<8 { v[k] = Foundation.exp(-300 + 600 * rng.nextUniform()) }
            if rng.nextUniform() < 0.5 { for k in 0..<8 { v[k] = 1 + 2 * rng.nextUniform() } }
            let l = _VectorMath.log(v)
            let (l2, inverse) = _VectorMath.logAndReciprocal(v)
            for k in 0..<8 {
                worst = max(worst, abs(l[k] - Foundation.log(v[k])) / max(1, abs(Foundation.log(v[k]))))
                XCTAssertEqual(l2[k], l[k])
                worstInverse = max(worstInverse, abs(inverse[k] * v[k] - 1))
            }
        }
        XCTAssertLessThan(worst, 1e-15)
        XCTAssertLessThan(worstInverse, 1e-15)
    }

    func randomRuns(_ count: Int, seed: UInt64) -> [Observation] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let n = Foundation.exp(Foundation.log(1e6) + rng.nextUniform() * Foundation.log(1e4))
            let d = n * (1 + 100 * rng.nextUniform())
            return Observation(params: n, tokens: d, loss: ChinchillaLaw.epoch.loss(params: n, tokens: d) * (1 + 0.02 * rng.nextGaussian()))
        }
    }

    func randomPoint(_ rng: inout SplitMix64) -> [Double] {
        [25 * rng.nextUniform(), 25 * rng.nextUniform(), -1 + 2 * rng.nextUniform(), 2 * rng.nextUniform(), 2 * rng.nextUniform()]
    }

    /// Fast (SIMD) path against the scalar reference, with run counts that are not multiples of 8
    /// and bootstrap-style weights.
    func testFastPathMatchesReference() {
        var rng = SplitMix64(seed: 3)
        for count in [5, 13, 64, 251] {
            let runs = randomRuns(count, seed: UInt64(count))
            let weights = (0..<count).map { _ in Double(Int(rng.next() % 4)) }
            for objective in [FitObjective(observations: runs), FitObjective(observations: runs, weights: weights),
                              FitObjective(observations: runs, weights: weights, underTunedWeight: 0.3)] {
                for _ in 0..<50 {
                    var x = randomPoint(&rng)
                    if rng.nextUniform() < 0.2 { x[0] = 900 }  // exercises the overflow-safe branch
                    var gFast = [Double](repeating: 0, count: 5), gRef = gFast
                    let fFast = objective.valueAndGradient(x, gradient: &gFast)
                    let fRef = objective.referenceValueAndGradient(x, gradient: &gRef)
                    assertRelative(fFast, fRef, 1e-12, "objective at \(x)")
                    let scale = gRef.map { abs($0) }.max()!
                    for k in 0..<5 { XCTAssertEqual(gFast[k], gRef[k], accuracy: 1e-12 * scale + 1e-300) }
                }
            }
        }
    }

    /// Analytic gradient against central differences (symmetric and asymmetric objectives).
    func testGradientMatchesFiniteDifferences() {
        let runs = randomRuns(40, seed: 9)
        var rng = SplitMix64(seed: 4)
        for objective in [FitObjective(observations: runs), FitObjective(observations: runs, underTunedWeight: 0.25)] {
        for _ in 0..<20 {
            let x = randomPoint(&rng)
            var g = [Double](repeating: 0, count: 5)
            _ = objective.valueAndGradient(x, gradient: &g)
            let h = 1e-7
            var numeric = [Double](repeating: 0, count: 5)
            for k in 0..<5 {
                var xp = x, xm = x
                xp[k] += h
                xm[k] -= h
                numeric[k] = (objective.referenceValue(xp) - objective.referenceValue(xm)) / (2 * h)
            }
            let scale = g.map { abs($0) }.max()!
            for k in 0..<5 {
                XCTAssertEqual(numeric[k], g[k], accuracy: 1e-5 * scale, "component \(k) at \(x)")
            }
        }
        }
    }

    func testHuber() {
        XCTAssertEqual(FitObjective.huber(5e-4, delta: 1e-3), 0.5 * 25e-8, accuracy: 1e-20)
        XCTAssertEqual(FitObjective.huber(-3e-3, delta: 1e-3), 1e-3 * (3e-3 - 0.5e-3), accuracy: 1e-20)
    }
}
