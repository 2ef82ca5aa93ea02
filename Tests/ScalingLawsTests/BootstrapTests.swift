import Foundation
import XCTest
import ScalingLaws
import Randomness

final class BootstrapTests: XCTestCase {
    func testPercentileInterval() {
        var rng = SplitMix64(seed: 99)
        let values = (1...101).map(Double.init).shuffled(using: &rng)
        let iv = Interval.percentile(values + [.nan], level: 0.8)!
        XCTAssertEqual(iv.lower, 11, accuracy: 1e-12)
        XCTAssertEqual(iv.upper, 91, accuracy: 1e-12)
        XCTAssertEqual(iv.median, 51, accuracy: 1e-12)
        XCTAssertEqual(iv.samples, 101)
        XCTAssertNil(Interval.percentile([.nan], level: 0.8))
    }

    /// Same seed, same laws, whatever the thread count; another seed, other laws.
    func testReproducible() throws {
        let runs = SyntheticRuns.grid(law: .epoch, sizes: 8, tokensPerSize: 6, noise: 0.01, seed: 3)
        var fitOptions = ParametricFitOptions()
        fitOptions.grid = .coarse
        let fit = try ParametricFit.fit(runs, options: fitOptions)
        var options = BootstrapOptions()
        options.replicates = 12
        options.seed = 42
        options.threads = 1
        let a = try Bootstrap.run(fit: fit, fitOptions: fitOptions, options: options)
        options.threads = 2
        let b = try Bootstrap.run(fit: fit, fitOptions: fitOptions, options: options)
        XCTAssertEqual(a.laws, b.laws)
        options.seed = 43
        let c = try Bootstrap.run(fit: fit, fitOptions: fitOptions, options: options)
        XCTAssertNotEqual(a.laws, c.laws)
        XCTAssertEqual(a.laws.count, 12)
        XCTAssertEqual(Set(a.laws).count, 12, "resamples should differ")
    }

    /// Over 8 data seeds (96 noisy runs each, 50 resamples, 80% intervals) the intervals for
    /// alpha, beta, E and a = beta/(alpha+beta) cover the truth in most seeds (at least 5 of 8
    /// per parameter, at least 22 of all 32), contain the point estimate (within 1%), and have
    /// positive width. (Over 16 seeds with 100 resamples, the bootstrap SD of `a` averaged 0.0138
    /// against a sampling SD of 0.0119 across seeds, and the 80% interval covered 12 of 16.)
    func testIntervalsCoverTruthInMostSeeds() throws {
        let truth = ChinchillaLaw.epoch
        var fitOptions = ParametricFitOptions()
        fitOptions.grid = .coarse
        var covered = [String: Int]()
        for seed in UInt64(101)...108 {
            let runs = SyntheticRuns.grid(law: truth, sizes: 12, tokensPerSize: 8, noise: 0.01, seed: seed)
            let fit = try ParametricFit.fit(runs, options: fitOptions)
            var options = BootstrapOptions()
            options.replicates = 50
            options.seed = seed
            let boot = try Bootstrap.run(fit: fit, fitOptions: fitOptions, options: options)
            let iv = try XCTUnwrap(boot.lawIntervals())
            let checks: [(String, Interval, Double, Double)] = [
                ("alpha", iv.alpha, truth.alpha, fit.law.alpha), ("beta", iv.beta, truth.beta, fit.law.beta),
                ("E", iv.E, truth.E, fit.law.E), ("a", iv.a, truth.paramsExponent, fit.law.paramsExponent),
            ]
            for (name, interval, t, estimate) in checks {
                XCTAssertGreaterThan(interval.upper, interval.lower, name)
                XCTAssertEqual(interval.level, 0.8)
                XCTAssert(interval.lower <= estimate * 1.01 && estimate * 0.99 <= interval.upper,
                          "\(name) estimate \(estimate) far outside [\(interval.lower), \(interval.upper)]")
                if interval.contains(t) { covered[name, default: 0] += 1 }
            }
            XCTAssertEqual(iv.b.lower, 1 - iv.a.upper, accuracy: 1e-12)
        }
        for name in ["alpha", "beta", "E", "a"] {
            XCTAssertGreaterThanOrEqual(covered[name, default: 0], 5, "\(name) covered in \(covered[name, default: 0]) of 8 seeds")
        }
        XCTAssertGreaterThanOrEqual(covered.values.reduce(0, +), 22, "\(covered)")
    }

    /// Refits from the full fit's local minima find the same optima as refits that also try every
    /// start of a grid.
    func testLocalMinimaStartsFindGridOptima() throws {
        let runs = SyntheticRuns.grid(law: .epoch, sizes: 12, tokensPerSize: 8, noise: 0.01, seed: 12)
        var fitOptions = ParametricFitOptions()
        fitOptions.grid = .coarse
        let fit = try ParametricFit.fit(runs, options: fitOptions)
        var options = BootstrapOptions()
        options.replicates = 10
        let quick = try Bootstrap.run(fit: fit, fitOptions: fitOptions, options: options)
        options.extraGrid = .coarse
        let thorough = try Bootstrap.run(fit: fit, fitOptions: fitOptions, options: options)
        for (q, t) in zip(quick.laws, thorough.laws) {
            XCTAssertEqual(q.alpha, t.alpha, accuracy: 1e-6)
            XCTAssertEqual(q.beta, t.beta, accuracy: 1e-6)
            assertRelative(q.E, t.E, 1e-6)
        }
    }

    /// Intervals for a planned quantity: every bootstrap law's N_opt at 1e21 FLOPs.
    func testIntervalOfPlannedQuantity() throws {
        let runs = SyntheticRuns.grid(law: .epoch, sizes: 10, tokensPerSize: 6, noise: 0.01, seed: 5)
        var fitOptions = ParametricFitOptions()
        fitOptions.grid = .coarse
        let fit = try ParametricFit.fit(runs, options: fitOptions)
        var options = BootstrapOptions()
        options.replicates = 30
        let boot = try Bootstrap.run(fit: fit, fitOptions: fitOptions, options: options)
        let iv = try XCTUnwrap(boot.interval { try $0.computeOptimal(flops: 1e21).params })
        let values = try boot.laws.map { try $0.computeOptimal(flops: 1e21).params }
        XCTAssertEqual(iv.samples, 30)
        XCTAssertEqual(iv, Interval.percentile(values, level: 0.8))
        let point = try fit.law.computeOptimal(flops: 1e21).params
        XCTAssert(iv.lower < point * 1.05 && point * 0.95 < iv.upper, "\(point) vs \(iv)")
        let plan = try XCTUnwrap(boot.allocationIntervals(flops: 1e21))
        XCTAssertEqual(plan.params, iv)
        XCTAssertEqual(plan.tokens, boot.interval { try $0.computeOptimal(flops: 1e21).tokens })
        XCTAssertEqual(plan.loss.samples, 30)
        // Throwing quantities are skipped.
        XCTAssertNil(boot.interval { _ in throw ScalingLawError.invalidArgument("x") })
    }

    func testRejectsBadOptions() throws {
        let runs = SyntheticRuns.grid(law: .epoch, sizes: 4, tokensPerSize: 3, noise: 0.01, seed: 1)
        var fitOptions = ParametricFitOptions()
        fitOptions.grid = .coarse
        let fit = try ParametricFit.fit(runs, options: fitOptions)
        var options = BootstrapOptions()
        options.replicates = 0
        XCTAssertThrowsError(try Bootstrap.run(fit: fit, fitOptions: fitOptions, options: options))
        options.replicates = 5
        options.level = 1
        XCTAssertThrowsError(try Bootstrap.run(fit: fit, fitOptions: fitOptions, options: options))
    }
}
