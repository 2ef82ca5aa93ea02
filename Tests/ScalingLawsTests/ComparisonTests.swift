import Foundation
import XCTest
import ScalingLaws

final class ComparisonTests: XCTestCase {
    let truth = ChinchillaLaw(E: 1.9, A: 400, B: 900, alpha: 0.34, beta: 0.30)
    let budgets = [1e17, 3e17, 1e18, 3e18, 1e19]

    func options(replicates: Int) -> ComparisonOptions {
        var o = ComparisonOptions()
        o.fit.grid = .coarse
        o.bootstrap.replicates = replicates
        return o
    }

    /// The multiplier between two known laws: a law whose frontier is the baseline's at 2C.
    func testMultiplierOfKnownLaws() throws {
        // Scaling A by 2^(-a alpha) and B by 2^(-b beta) (both 2^-gamma) makes L*(C) = L*_base(2C).
        let g = truth.alpha * truth.beta / (truth.alpha + truth.beta)
        let better = ChinchillaLaw(E: truth.E, A: truth.A * pow(2, -g), B: truth.B * pow(2, -g), alpha: truth.alpha, beta: truth.beta)
        for c in [1e18, 1e21, 1e24] {
            XCTAssertEqual(Comparison.multiplier(baseline: truth, variant: better, flops: c), 2, accuracy: 1e-6)
            XCTAssertEqual(Comparison.multiplier(baseline: better, variant: truth, flops: c), 0.5, accuracy: 1e-6)
        }
    }

    /// Noise-free ladders, the variant's compute worth 2.5 x: the joint fit recovers 2.5; with 0.5%
    /// noise, sharing is justified (AIC; meaningless without noise, where both fits are exact).
    func testNoiseFreeLaddersRecoverTheMultiplier() throws {
        let base = SyntheticRuns.isoFLOP(law: truth, budgets: budgets, noise: 0)
        let variant = SyntheticRuns.isoFLOP(law: truth, budgets: budgets, noise: 0, computeMultiplier: 2.5)
        var o = options(replicates: 0)
        o.plannedFlops = [1e21]
        let r = try Comparison.run(baseline: ("base", base), variants: [("variant", variant)], options: o)
        XCTAssertEqual(r.names, ["base", "variant"])
        XCTAssertEqual(r.multipliers[0].value, 2.5, accuracy: 2.5e-4)
        XCTAssertEqual(r.planned.count, 1)
        XCTAssertEqual(r.planned[0].value, 2.5, accuracy: 0.01)
        XCTAssertEqual(r.joint.alpha, truth.alpha, accuracy: 1e-4)
        let noisy = try Comparison.run(baseline: ("base", SyntheticRuns.isoFLOP(law: truth, budgets: budgets, noise: 0.005, seed: 5)),
                                       variants: [("variant", SyntheticRuns.isoFLOP(law: truth, budgets: budgets, noise: 0.005,
                                                                                    computeMultiplier: 2.5, seed: 6))],
                                       options: options(replicates: 0))
        XCTAssertTrue(noisy.sharingJustified, "ΔAIC \(noisy.deltaAIC)")
    }

    /// A variant with other exponents: sharing is not justified (ΔAIC > 0), and the separate fits'
    /// multiplier changes with the budget.
    func testDifferentExponentsAreNotShared() throws {
        let base = SyntheticRuns.isoFLOP(law: truth, budgets: budgets, noise: 0.002, seed: 1)
        let steeper = ChinchillaLaw(E: 1.9, A: 900, B: 2500, alpha: 0.42, beta: 0.38)
        let variant = SyntheticRuns.isoFLOP(law: steeper, budgets: budgets, noise: 0.002, seed: 2)
        var o = options(replicates: 0)
        o.plannedFlops = [1e19, 1e22]
        let r = try Comparison.run(baseline: ("base", base), variants: [("steeper", variant)], options: o)
        XCTAssertFalse(r.sharingJustified, "ΔAIC \(r.deltaAIC)")
        let truthAt = [1e19, 1e22].map { Comparison.multiplier(baseline: truth, variant: steeper, flops: $0) }
        XCTAssertGreaterThan(truthAt[1] / truthAt[0], 1.5)
        for (p, t) in zip(r.planned, truthAt) { XCTAssertEqual(p.value / t, 1, accuracy: 0.15, "at \(p.flops!)") }
    }

    /// The goal: over 10 seeds of noisy ladders (1% noise, 5 budgets x 7 sizes each), the
    /// joint multiplier is within 10% of the true 2.0 every time, and its 80% bootstrap interval
    /// covers 2.0 in at least 8 of 10.
    func testRecoversMultiplierWithCalibratedIntervalOverSeeds() throws {
        let m = 2.0
        var covered = 0
        var report: [String] = []
        for seed in UInt64(1)...10 {
            let base = SyntheticRuns.isoFLOP(law: truth, budgets: budgets, noise: 0.01, seed: seed)
            let variant = SyntheticRuns.isoFLOP(law: truth, budgets: budgets, noise: 0.01, computeMultiplier: m, seed: seed + 100)
            var o = options(replicates: 100)
            o.bootstrap.seed = seed
            let r = try Comparison.run(baseline: ("base", base), variants: [("variant", variant)], options: o)
            let est = r.multipliers[0]
            let iv = try XCTUnwrap(est.interval)
            report.append(String(format: "seed %d: %.3f [%.3f, %.3f]", seed, est.value, iv.lower, iv.upper))
            XCTAssertEqual(est.value / m, 1, accuracy: 0.10, "seed \(seed)")
            if iv.contains(m) { covered += 1 }
        }
        print("multiplier over seeds: " + report.joined(separator: "; "))
        XCTAssertGreaterThanOrEqual(covered, 8, report.joined(separator: "\n"))
    }
}
