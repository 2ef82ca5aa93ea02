import Foundation
import XCTest
import ScalingLaws
import Randomness

final class IsoFLOPTests: XCTestCase {
    /// Runs on exact parabolas `loss = 2 + 3 C^-0.05 + 0.06 v²` in `v = log(N / N_opt)`, with
    /// `N_opt = k C^a` and sizes at `v` evenly spaced over `offset ± spread`.
    func syntheticBudgets(k: Double, a: Double, budgets: [Double], sizesPerBudget: Int = 7, spread: Double = 1.5,
                          offset: Double = 0, labelled: Bool) -> [Observation] {
        var rng = SplitMix64(seed: 17)
        var out: [Observation] = []
        for (i, c) in budgets.enumerated() {
            let logOpt = log(k) + a * log(c)
            for j in 0..<sizesPerBudget {
                let v = offset - spread + 2 * spread * Double(j) / Double(sizesPerBudget - 1)
                let n = exp(logOpt + v)
                let loss = 2 + 3 * pow(c, -0.05) + 0.06 * v * v
                // Small FLOP jitter (within the grouping tolerance) for grouping by FLOPs.
                let flops = c * (1 + 0.01 * rng.nextUniform())
                out.append(Observation(params: n, tokens: flops / (6 * n), loss: loss, flops: flops,
                                       budget: labelled ? "B\(i)" : nil))
            }
        }
        return out.shuffled(using: &rng)
    }

    func testRecoversVerticesAndExponents() throws {
        let budgets = [1e17, 1e18, 1e19, 1e20]
        for labelled in [true, false] {
            let runs = syntheticBudgets(k: 0.09, a: 0.5, budgets: budgets, labelled: labelled)
            let fit = try IsoFLOP.fit(runs)
            XCTAssertEqual(fit.budgets.count, 4)
            for b in fit.budgets {
                // The group's FLOPs are jittered by up to 1%; vertices are exact for the nominal budget.
                let nominal = budgets.min { abs(log($0 / b.flops)) < abs(log($1 / b.flops)) }!
                assertRelative(b.optimalParams, 0.09 * pow(nominal, 0.5), 1e-8, "vertex of \(b.label)")
                assertRelative(b.optimalTokens, b.flops / (6 * b.optimalParams), 1e-12)
                XCTAssertEqual(b.minimumLoss, 2 + 3 * pow(nominal, -0.05), accuracy: 1e-9)
                XCTAssertEqual(b.runs, 7)
                XCTAssertGreaterThan(b.coefficients[2], 0)
            }
            XCTAssertEqual(fit.paramsExponent, 0.5, accuracy: 0.005)
            XCTAssertEqual(fit.tokensExponent, 0.5, accuracy: 0.005)
            assertRelative(fit.optimalParams(flops: 1e21), 0.09 * pow(1e21, 0.5), 0.03)
            assertRelative(fit.optimalTokens(flops: 1e21), 1e21 / (6 * 0.09 * pow(1e21, 0.5)), 0.03)
        }
    }

    /// IsoFLOP profiles of a Chinchilla law: vertices near the law's own optimum (within 10%).
    func testProfilesOfALawPointToItsOptimum() throws {
        let law = ChinchillaLaw.epoch
        var runs: [Observation] = []
        for c in [1e18, 1e19, 1e20] {
            let opt = try law.computeOptimal(flops: c).params
            for j in -4...4 {
                let n = opt * exp(0.25 * Double(j))
                runs.append(Observation(params: n, tokens: c / (6 * n), loss: law.loss(params: n, tokens: c / (6 * n))))
            }
        }
        let fit = try IsoFLOP.fit(runs)
        for b in fit.budgets { assertRelative(b.optimalParams, try law.computeOptimal(flops: b.flops).params, 0.1) }
        XCTAssertEqual(fit.paramsExponent, law.paramsExponent, accuracy: 0.02)
    }

    func testVertexOutsideSampledRangeThrows() {
        // Every sampled size sits left of the optimum: the vertex is extrapolated.
        let runs = syntheticBudgets(k: 0.09, a: 0.5, budgets: [1e18, 1e19], spread: 1, offset: -2.5, labelled: true)
        do {
            _ = try IsoFLOP.fit(runs)
            XCTFail("expected vertexOutsideRange")
        } catch let ScalingLawError.vertexOutsideRange(budget, vertex, lo, hi) {
            XCTAssertEqual(budget, "B0")
            XCTAssertGreaterThan(vertex, hi)
            XCTAssertLessThan(lo, hi)
        } catch {
            XCTFail("unexpected \(error)")
        }
    }

    func testUnusableBudgetsCanBeSkipped() throws {
        // the 1e19 budget samples only sizes far above its optimum: no vertex inside
        var runs = syntheticBudgets(k: 0.09, a: 0.5, budgets: [1e17, 1e18, 1e20], labelled: true)
        runs += syntheticBudgets(k: 0.09, a: 0.5, budgets: [1e19], offset: 3, labelled: false).map {
            var o = $0
            o.budget = "far"
            return o
        }
        XCTAssertThrowsError(try IsoFLOP.fit(runs))
        let fit = try IsoFLOP.fit(runs, skippingUnusableBudgets: true)
        XCTAssertEqual(fit.budgets.count, 3)
        XCTAssertEqual(fit.refused.count, 1)
        XCTAssertTrue(fit.refused[0].contains("far"), fit.refused[0])
        XCTAssertEqual(fit.paramsExponent, 0.5, accuracy: 2e-3)  // budgets jitter by up to 1%
    }

    func testDownwardParabolaThrows() {
        let runs = (0..<5).map { j -> Observation in
            let u = Double(j) - 2
            return Observation(params: 1e8 * exp(u), tokens: 1e18 / (6e8 * exp(u)), loss: 3 - 0.1 * u * u, flops: 1e18, budget: "C1")
        }
        assertThrows(.parabolaOpensDownward(budget: "C1")) { try IsoFLOP.fit(runs) }
    }

    func testTooFewSizesAndBudgets() {
        let two = [Observation(params: 1e8, tokens: 1e9, loss: 3, budget: "x"), Observation(params: 2e8, tokens: 5e8, loss: 3.1, budget: "x")]
        assertThrows(.tooFewSizesInBudget(budget: "x", count: 2)) { try IsoFLOP.fit(two) }
        let oneBudget = syntheticBudgets(k: 0.09, a: 0.5, budgets: [1e18], labelled: true)
        assertThrows(.tooFewBudgets(count: 1)) { try IsoFLOP.fit(oneBudget) }
        var bad = oneBudget
        bad[0].loss = -1
        assertThrows(.invalidValue(run: 0, field: "loss", value: -1)) { try IsoFLOP.fit(bad) }
    }

    func testGroupingByFlopsTolerance() {
        let runs = [1e18, 1.05e18, 0.98e18, 3e18, 3.1e18, 1e19].map { Observation(params: 1e8, tokens: $0 / 6e8, loss: 3, flops: $0) }
        let groups = IsoFLOP.groups(runs, flopsTolerance: 0.1)
        XCTAssertEqual(groups.map(\.runs.count), [3, 2, 1])
        XCTAssertEqual(IsoFLOP.groups(runs, flopsTolerance: 0.01).count, 6)
    }
}
