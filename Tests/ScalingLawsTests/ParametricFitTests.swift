import Foundation
import XCTest
import ScalingLaws

final class ParametricFitTests: XCTestCase {
    /// Noise-free runs: the objective's minimum is the truth, so the full 4,500-start fit must land
    /// on it to optimizer precision (relative 1e-8 on every parameter; typically 1e-14).
    func testRecoversExactLawFromNoiseFreeRuns() throws {
        let truth = ChinchillaLaw(E: 2.1, A: 300, B: 1500, alpha: 0.31, beta: 0.33)
        let runs = SyntheticRuns.grid(law: truth, params: 1e7...1e9, sizes: 10, tokensPerSize: 6, noise: 0, seed: 3)
        XCTAssertEqual(runs.count, 60)
        let fit = try ParametricFit.fit(runs)
        XCTAssertEqual(fit.startsRun, 4_500)
        assertRelative(fit.law.E, truth.E, 1e-8)
        assertRelative(fit.law.A, truth.A, 1e-8)
        assertRelative(fit.law.B, truth.B, 1e-8)
        assertRelative(fit.law.alpha, truth.alpha, 1e-8)
        assertRelative(fit.law.beta, truth.beta, 1e-8)
        XCTAssertLessThan(fit.rmseLog, 1e-9)
        XCTAssertEqual(fit.warnings, [])
    }

    /// 250 runs (25 sizes from 1e7 to 1e9, 10 token counts each from 2 to 200 tokens per
    /// parameter) with 1% multiplicative Gaussian noise, Epoch's law as truth. Tolerances are set by
    /// the noise, not the optimizer: |Δalpha|, |Δbeta| <= 0.03, E within 3%, the allocation exponent
    /// a within 0.025 (its sampling SD is about 0.012 at this noise), the loss of an extrapolated 3B-parameter, 60B-token run within 1%, and
    /// log-residual RMSE within 10% of the 1% noise.
    func testRecoversLawFromNoisyRuns() throws {
        let truth = ChinchillaLaw.epoch
        let runs = SyntheticRuns.grid(law: truth, sizes: 25, tokensPerSize: 10, noise: 0.01, seed: 1)
        XCTAssertEqual(runs.count, 250)
        let fit = try ParametricFit.fit(runs)
        XCTAssertEqual(fit.law.alpha, truth.alpha, accuracy: 0.03)
        XCTAssertEqual(fit.law.beta, truth.beta, accuracy: 0.03)
        assertRelative(fit.law.E, truth.E, 0.03)
        XCTAssertEqual(fit.law.paramsExponent, truth.paramsExponent, accuracy: 0.025)
        assertRelative(fit.law.loss(params: 3e9, tokens: 6e10), truth.loss(params: 3e9, tokens: 6e10), 0.01)
        XCTAssertEqual(fit.rmseLog, 0.01, accuracy: 0.001)
        // The fit is at least as good as the truth under the objective it minimizes.
        XCTAssertLessThanOrEqual(fit.objective, FitObjective(observations: runs).value(truth.logParameters))
        XCTAssertEqual(fit.largestResiduals.count, 5)
        let maxAbs = fit.residuals.map { abs($0.logResidual) }.max()!
        XCTAssertEqual(abs(fit.largestResiduals[0].logResidual), maxAbs)
        XCTAssertGreaterThan(fit.startsAtBest, 1)
        XCTAssertEqual(fit.warnings, [])
    }

    /// Smaller noisy grids over several seeds (96 runs each): the same statistical tolerances hold.
    func testRecoveryOverSeeds() throws {
        let truth = ChinchillaLaw.epoch
        var options = ParametricFitOptions()
        options.grid = .coarse
        for seed in UInt64(2)...5 {
            let runs = SyntheticRuns.grid(law: truth, sizes: 12, tokensPerSize: 8, noise: 0.01, seed: seed)
            let fit = try ParametricFit.fit(runs, options: options)
            XCTAssertEqual(fit.law.alpha, truth.alpha, accuracy: 0.04, "seed \(seed)")
            XCTAssertEqual(fit.law.beta, truth.beta, accuracy: 0.03, "seed \(seed)")
            XCTAssertEqual(fit.law.paramsExponent, truth.paramsExponent, accuracy: 0.025, "seed \(seed)")
            assertRelative(fit.law.loss(params: 3e9, tokens: 6e10), truth.loss(params: 3e9, tokens: 6e10), 0.01, "seed \(seed)")
        }
    }

    /// Same result for 1 and 2 threads (best by objective, index tie-break).
    func testDeterministicAcrossThreadCounts() throws {
        let runs = SyntheticRuns.grid(law: .chinchilla, sizes: 8, tokensPerSize: 6, noise: 0.01, seed: 7)
        var one = ParametricFitOptions()
        one.grid = .coarse
        one.threads = 1
        var two = one
        two.threads = 2
        let a = try ParametricFit.fit(runs, options: one), b = try ParametricFit.fit(runs, options: two)
        XCTAssertEqual(a.parameters, b.parameters)
        XCTAssertEqual(a.bestStartIndex, b.bestStartIndex)
        XCTAssertEqual(a.localMinima, b.localMinima)
    }

    func testExcludeOutliersDropsHighestLossRuns() throws {
        var runs = SyntheticRuns.grid(law: .epoch, sizes: 8, tokensPerSize: 6, noise: 0.01, seed: 8)
        // Two corrupted runs with absurd losses.
        runs[5].loss *= 3
        runs[20].loss *= 2.5
        var options = ParametricFitOptions()
        options.grid = .coarse
        options.excludeOutliers = 2
        let fit = try ParametricFit.fit(runs, options: options)
        XCTAssertEqual(fit.observations.count, runs.count - 2)
        XCTAssertEqual(Set(fit.excluded), Set([runs[5], runs[20]]))
        XCTAssertLessThan(fit.rmseLog, 0.012)
        options.excludeOutliers = 0
        let dirty = try ParametricFit.fit(runs, options: options)
        XCTAssertGreaterThan(dirty.rmseLog, 0.05)
        XCTAssertEqual(abs(dirty.largestResiduals[0].logResidual) > 0.5, true)
    }

    /// A law whose alpha lies beyond the grid's [0, 2] gives an edge warning.
    func testWarnsWhenFitSitsOnGridEdge() throws {
        let truth = ChinchillaLaw(E: 1.5, A: 1e5, B: 400, alpha: 0.9, beta: 0.3)
        let runs = SyntheticRuns.grid(law: truth, params: 1e5...1e7, sizes: 8, tokensPerSize: 6, noise: 0, seed: 9)
        var options = ParametricFitOptions()
        options.grid = StartGrid(a: [0, 5], b: [0, 5], e: [-1, 0, 1], alpha: [0, 0.25, 0.5], beta: [0, 0.5, 1])
        let fit = try ParametricFit.fit(runs, options: options)
        assertRelative(fit.law.alpha, 0.9, 1e-6)
        XCTAssert(fit.warnings.contains { $0.contains("alpha") }, "\(fit.warnings)")
        XCTAssert(fit.warnings.contains { $0.contains("a = log A") }, "\(fit.warnings)")
    }

    func testStartGrid() {
        XCTAssertEqual(StartGrid.full.count, 4_500)
        XCTAssertEqual(StartGrid.full.start(at: 0), [0, 0, -1, 0, 0])
        XCTAssertEqual(StartGrid.full.start(at: 4_499), [25, 25, 1, 2, 2])
        XCTAssertEqual(Set((0..<4_500).map { StartGrid.full.start(at: $0) }).count, 4_500)
    }

    // MARK: bad input

    func testRejectsTooFewRuns() {
        let runs = [Observation(params: 1e7, tokens: 1e9, loss: 3), Observation(params: 2e7, tokens: 2e9, loss: 2.9),
                    Observation(params: 4e7, tokens: 1e9, loss: 2.8), Observation(params: 8e7, tokens: 3e9, loss: 2.7)]
        assertThrows(.tooFewRuns(count: 4, required: 5)) { try ParametricFit.fit(runs) }
    }

    func testRejectsSingleModelSize() {
        let runs = (1...8).map { Observation(params: 1e8, tokens: Double($0) * 1e9, loss: 3 - 0.05 * Double($0)) }
        assertThrows(.singleModelSize(1e8)) { try ParametricFit.fit(runs) }
    }

    func testRejectsSingleTokenCount() {
        let runs = (1...8).map { Observation(params: Double($0) * 1e7, tokens: 2e9, loss: 3 - 0.05 * Double($0)) }
        assertThrows(.singleTokenCount(2e9)) { try ParametricFit.fit(runs) }
    }

    func testRejectsNonPositiveAndNaNValues() {
        let good = SyntheticRuns.grid(law: .epoch, sizes: 4, tokensPerSize: 3, noise: 0.01, seed: 1)
        var bad = good
        bad[3].loss = 0
        assertThrows(.invalidValue(run: 3, field: "loss", value: 0)) { try ParametricFit.fit(bad) }
        bad = good
        bad[1].params = -5
        assertThrows(.invalidValue(run: 1, field: "params", value: -5)) { try ParametricFit.fit(bad) }
        bad = good
        bad[2].tokens = .infinity
        assertThrows(.invalidValue(run: 2, field: "tokens", value: .infinity)) { try ParametricFit.fit(bad) }
        bad = good
        bad[4].flops = -1
        assertThrows(.invalidValue(run: 4, field: "flops", value: -1)) { try ParametricFit.fit(bad) }
        bad = good
        bad[0].loss = .nan
        do {
            _ = try ParametricFit.fit(bad)
            XCTFail("NaN accepted")
        } catch let ScalingLawError.invalidValue(run, field, value) {
            XCTAssertEqual(run, 0)
            XCTAssertEqual(field, "loss")
            XCTAssert(value.isNaN)
        } catch {
            XCTFail("unexpected \(error)")
        }
    }

    func testRejectsExclusionThatLeavesTooFewRuns() {
        let runs = SyntheticRuns.grid(law: .epoch, sizes: 2, tokensPerSize: 3, noise: 0.01, seed: 1)
        var options = ParametricFitOptions()
        options.excludeOutliers = 2
        assertThrows(.tooFewRuns(count: 4, required: 5)) { try ParametricFit.fit(runs, options: options) }
    }
}
