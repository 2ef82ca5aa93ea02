import Foundation
import XCTest
import ScalingLaws
import Randomness

final class RolloutTests: XCTestCase {
    let budgets = [1e16, 3e16, 1e17, 3e17, 1e18, 3e18]

    func coarse() -> ParametricFitOptions {
        var o = ParametricFitOptions()
        o.grid = .coarse
        return o
    }

    /// Noise-free runs of one law: every window's refit recovers it, so every held-out run is
    /// predicted to optimizer precision, however far out.
    func testNoiseFreeLawIsPredictedExactlyInEveryWindow() throws {
        let law = ChinchillaLaw(E: 1.9, A: 400, B: 900, alpha: 0.34, beta: 0.30)
        let runs = SyntheticRuns.isoFLOP(law: law, budgets: budgets, noise: 0)
        var options = RolloutOptions()
        options.windows = 3
        let r = try Rollout.parametric(runs, options: options, fitOptions: coarse())
        XCTAssertEqual(r.groups.map(\.label), ["1e+16", "3e+16", "1e+17", "3e+17", "1e+18", "3e+18"])
        XCTAssertNil(r.binWidthDecades, "sweep labels are used, not bins")
        XCTAssertEqual(r.windows.map(\.heldOutGroups), [1, 2, 3])
        XCTAssertEqual(r.windows.map(\.trainingRuns), [35, 28, 21])
        for w in r.windows {
            XCTAssertEqual(w.predictions.count, 7 * w.heldOutGroups)
            XCTAssertEqual(w.groups.count, w.heldOutGroups)
            for p in w.predictions { XCTAssertEqual(p.totalError, 0, accuracy: 1e-6, "\(p.observation.name ?? "")") }
            assertRelative(w.parameters["E"]!, law.E, 1e-4)
        }
        // Held-out groups lie log10(3) and 1 decade beyond the fitted ones in window 2.
        XCTAssertEqual(r.windows[1].groups.map(\.decadesBeyond)[0], log10(1e18 / 3e17), accuracy: 1e-9)
        XCTAssertEqual(r.windows[1].groups.map(\.decadesBeyond)[1], 1, accuracy: 1e-9)
        XCTAssertNil(r.stopped)
    }

    /// The top budget's runs are 3% worse than the law: window 1 reports +3% total error for it,
    /// and a reducible error of 3% of L̂ / (L̂ - E), computed by hand.
    func testReportsTheErrorOfADeviatingTopBudget() throws {
        let law = ChinchillaLaw(E: 1.9, A: 400, B: 900, alpha: 0.34, beta: 0.30)
        var runs = SyntheticRuns.isoFLOP(law: law, budgets: budgets, noise: 0)
        for i in runs.indices where runs[i].budget == "3e+18" { runs[i].loss *= 1.03 }
        var options = RolloutOptions()
        options.windows = 1
        let r = try Rollout.parametric(runs, options: options, fitOptions: coarse())
        let w = try XCTUnwrap(r.windows.first)
        XCTAssertEqual(w.groups.count, 1)
        XCTAssertEqual(w.groups[0].group.label, "3e+18")
        XCTAssertEqual(w.groups[0].meanTotalError, 0.03, accuracy: 1e-6)
        for p in w.predictions {
            let truth = law.loss(params: p.observation.params, tokens: p.observation.tokens)
            XCTAssertEqual(p.reducibleError, 0.03 * truth / (truth - law.E), accuracy: 1e-5)
        }
        XCTAssertEqual(w.rmsTotalError, 0.03, accuracy: 1e-6)
    }

    /// Imported runs without labels, each with its own 6ND: binned by log10 C at the stated width.
    func testUnlabelledRunsAreBinnedByLogCompute() throws {
        let law = ChinchillaLaw.epoch
        var rng = SplitMix64(seed: 4)
        var runs: [Observation] = []
        for _ in 0..<60 {
            let logC = 18 + 2 * rng.nextUniform()  // 1e18 ... 1e20
            let n = pow(10, 8 + 1.2 * rng.nextUniform())
            let d = pow(10, logC) / (6 * n)
            runs.append(Observation(params: n, tokens: d, loss: law.loss(params: n, tokens: d)))
        }
        let binning = LogBinning(widthDecades: 0.5)
        let (groups, binned) = Rollout.groups(runs, axis: .compute, binning: binning)
        XCTAssertTrue(binned)
        XCTAssertEqual(groups.reduce(0) { $0 + $1.members.count }, 60)
        for g in groups {
            let k = binning.index(of: g.group.value)
            for i in g.members { XCTAssertLessThanOrEqual(abs(log10(runs[i].computeFlops) - Double(k) * 0.5), 0.25 + 1e-12) }
        }
        XCTAssertEqual(groups.map(\.group.value), groups.map(\.group.value).sorted())
        var options = RolloutOptions()
        options.binning = binning
        options.windows = 1
        let r = try Rollout.parametric(runs, options: options, fitOptions: coarse())
        XCTAssertEqual(r.binWidthDecades, 0.5)
        XCTAssertEqual(r.windows.count, 1)
        XCTAssertEqual(r.windows[0].predictions.count, groups.last!.members.count)
    }

    /// Held out by model size: the largest sizes are predicted from the smaller ones.
    func testParamsAxisHoldsOutTheLargestSizes() throws {
        let runs = SyntheticRuns.grid(law: .epoch, params: 1e7...1e9, sizes: 6, tokensPerSize: 5, noise: 0, seed: 2)
        var options = RolloutOptions()
        options.axis = .params
        options.binning = LogBinning(widthDecades: 0.1)
        options.windows = 2
        let r = try Rollout.parametric(runs, options: options, fitOptions: coarse())
        XCTAssertEqual(r.groups.count, 6)
        let largest = runs.map(\.params).max()!
        XCTAssertTrue(r.windows[0].predictions.allSatisfy { $0.observation.params == largest })
        XCTAssertEqual(r.windows[1].predictions.count, 10)
        for p in r.windows.flatMap(\.predictions) { XCTAssertEqual(p.totalError, 0, accuracy: 1e-6) }
    }

    /// Too few groups: the rollout stops and says why; bad options are refused.
    func testStopsWhenTooFewGroupsAreLeft() throws {
        let runs = SyntheticRuns.isoFLOP(law: .epoch, budgets: [1e17, 1e18, 1e19], noise: 0)
        var options = RolloutOptions()
        options.windows = 3
        let r = try Rollout.parametric(runs, options: options, fitOptions: coarse())
        XCTAssertEqual(r.windows.count, 1)
        XCTAssertTrue(r.stopped?.contains("window 2 would leave 1 group(s)") ?? false, r.stopped ?? "nil")
        options.windows = 0
        XCTAssertThrowsError(try Rollout.parametric(runs, options: options))
        options.windows = 1
        options.binning = LogBinning(widthDecades: 0)
        XCTAssertThrowsError(try Rollout.parametric(runs, options: options)) { e in
            XCTAssertTrue("\(e)".contains("Bin width"))
        }
    }
}
