import Foundation
import XCTest
import ScalingLaws
import Randomness

final class LawFamilyTests: XCTestCase {
    let truth = ChinchillaLaw(E: 1.9, A: 400, B: 900, alpha: 0.34, beta: 0.30)

    func coarse() -> ParametricFitOptions {
        var o = ParametricFitOptions()
        o.grid = .coarse
        return o
    }

    /// The fixed and bounded parametrizations' gradients against central differences of the value.
    func testConstrainedGradientsMatchFiniteDifferences() {
        let runs = SyntheticRuns.grid(law: truth, sizes: 5, tokensPerSize: 4, noise: 0.02, seed: 5)
        let objective = FitObjective(observations: runs, underTunedWeight: 0.5)
        var rng = SplitMix64(seed: 6)
        for constraint in [IrreducibleLoss.fixed(1.7), .bounded(lower: 0.5, upper: 2.2)] {
            for _ in 0..<10 {
                var x = (0..<constraint.dimension).map { _ in 2 * rng.nextUniform() }
                x[0] += 4; x[1] += 6
                var g = [Double](repeating: 0, count: x.count)
                _ = constraint.valueAndGradient(objective, x, &g)
                var scratch = g
                for k in x.indices {
                    var xp = x, xm = x
                    xp[k] += 1e-6; xm[k] -= 1e-6
                    let numeric = (constraint.valueAndGradient(objective, xp, &scratch) - constraint.valueAndGradient(objective, xm, &scratch)) / 2e-6
                    XCTAssertEqual(numeric, g[k], accuracy: 1e-5 * max(1e-3, g.map { abs($0) }.max()!), "\(constraint) component \(k)")
                }
            }
        }
    }

    /// Noise-free runs: E fixed at the truth recovers the other four exactly; a bound below the
    /// true E pins E at the bound; a bound containing it changes nothing.
    func testFixedAndBoundedE() throws {
        let runs = SyntheticRuns.grid(law: truth, sizes: 6, tokensPerSize: 5, noise: 0, seed: 1)
        var options = LawFamilyOptions()
        options.fit = coarse()
        options.fixedE = 1.9
        let fixed = try LawFamilies.fit(.fixedE, runs, options: options)
        let law = try XCTUnwrap(fixed.chinchilla)
        XCTAssertEqual(law.E, 1.9)
        assertRelative(law.alpha, truth.alpha, 1e-5)
        assertRelative(law.beta, truth.beta, 1e-5)
        assertRelative(law.A, truth.A, 1e-4)
        XCTAssertEqual(fixed.statistics.parameters, 4)
        XCTAssertLessThan(fixed.statistics.rmseLog, 1e-7)

        options.eUpper = 1.5
        let capped = try XCTUnwrap(try LawFamilies.fit(.boundedE, runs, options: options).chinchilla)
        XCTAssertLessThanOrEqual(capped.E, 1.5)
        XCTAssertGreaterThan(capped.E, 1.49)
        options.eUpper = nil  // the lowest observed loss, above the true E
        let bounded = try LawFamilies.fit(.boundedE, runs, options: options)
        XCTAssertTrue(bounded.constraint?.contains("lowest observed loss") ?? false)
        assertRelative(try XCTUnwrap(bounded.chinchilla).E, truth.E, 1e-4)
        XCTAssertThrowsError(try LawFamilies.fit(.fixedE, runs, options: LawFamilyOptions())) { e in
            XCTAssertTrue("\(e)".contains("--e"), "\(e)")
        }
    }

    /// Half the runs are under-tuned (loss 3-10% too high), more than the robust Huber fit can
    /// ignore: the asymmetric fit (weight 0.05 for runs above the law) predicts a large run closer
    /// to the truth than the symmetric fit.
    func testAsymmetricLossDiscountsUnderTunedRuns() throws {
        var runs = SyntheticRuns.grid(law: truth, sizes: 8, tokensPerSize: 6, noise: 0.002, seed: 2)
        var rng = SplitMix64(seed: 11)
        for i in runs.indices where rng.nextUniform() < 0.5 { runs[i].loss *= 1.03 + 0.07 * rng.nextUniform() }
        var symmetric = coarse()
        let s = try ParametricFit.fit(runs, options: symmetric)
        symmetric.underTunedWeight = 0.05
        let a = try ParametricFit.fit(runs, options: symmetric)
        let target = truth.loss(params: 3e9, tokens: 6e10)
        let errS = abs(s.law.loss(params: 3e9, tokens: 6e10) / target - 1)
        let errA = abs(a.law.loss(params: 3e9, tokens: 6e10) / target - 1)
        XCTAssertLessThan(errA, errS)
        XCTAssertLessThan(errA, 0.01)
        symmetric.underTunedWeight = 0
        XCTAssertThrowsError(try ParametricFit.fit(runs, options: symmetric))
    }

    /// The compute-only law: exact on noise-free frontier points; on an IsoFLOP sweep of a known
    /// L(N, D) its exponent is the frontier's, gamma = alpha beta / (alpha + beta).
    func testComputeLaw() throws {
        let known = ComputeLaw(E: 1.7, k: 60, gamma: 0.15)
        let points = [1e17, 1e18, 1e19, 1e20, 1e21, 1e22].map {
            Observation(params: 1, tokens: 1, loss: known.loss(flops: $0), flops: $0)
        }
        let fit = try ComputeLawFit.fit(points)
        assertRelative(fit.E, 1.7, 1e-5)
        assertRelative(fit.gamma, 0.15, 1e-5)
        assertRelative(fit.k, 60, 1e-4)

        let sweep = SyntheticRuns.isoFLOP(law: truth, budgets: [1e17, 1e18, 1e19, 1e20, 1e21], sizesPerBudget: 9, noise: 0)
        var options = LawFamilyOptions()
        options.fit = coarse()
        let frontier = try LawFamilies.fit(.compute, sweep, options: options)
        XCTAssertEqual(frontier.fitted.count, 5)
        let c = try XCTUnwrap(frontier.law as? ComputeLaw)
        // Parabolas in ln N only approximate each budget's curve, so allow 0.01.
        XCTAssertEqual(c.gamma, truth.alpha * truth.beta / (truth.alpha + truth.beta), accuracy: 0.01)
        XCTAssertEqual(c.E, truth.E, accuracy: 0.1)
        XCTAssertThrowsError(try ComputeLawFit.fit(Array(points.prefix(2))))
    }

    /// AIC: E fixed at a wrong value is rejected for the free law; fixed at the free fit's own E,
    /// the same fit with one parameter fewer wins. The reason names the criterion; every candidate has R² and RMSE.
    func testAutoSelectsByAIC() throws {
        let runs = SyntheticRuns.grid(law: truth, sizes: 6, tokensPerSize: 5, noise: 0.005, seed: 3)
        var options = LawFamilyOptions()
        options.fit = coarse()
        options.fixedE = 1.2
        let wrong = try LawFamilies.select(runs, options: options)
        XCTAssertEqual(wrong.choice.family, .chinchilla)
        XCTAssertEqual(Set(wrong.candidates.map(\.family)), [.chinchilla, .boundedE, .fixedE, .compute])
        XCTAssertTrue(wrong.reason.contains("lowest AIC"), wrong.reason)
        let fixedAIC = wrong.candidates.first { $0.family == .fixedE }!.statistics.aic
        XCTAssertGreaterThan(fixedAIC - wrong.choice.statistics.aic, 10)
        for c in wrong.candidates {
            XCTAssertTrue(c.statistics.r2.isFinite && c.statistics.rmse.isFinite, "\(c.family)")
        }
        XCTAssertGreaterThan(wrong.choice.statistics.r2, 0.99)

        options.fixedE = try ParametricFit.fit(runs, options: coarse()).law.E
        let right = try LawFamilies.select(runs, options: options)
        XCTAssertEqual(right.choice.family, .fixedE, right.reason)
    }
}
