import Foundation
import XCTest
import ScalingLaws

final class FitQualityTests: XCTestCase {
    func interval(_ lo: Double, _ hi: Double) -> Interval {
        Interval(lower: lo, upper: hi, level: 0.8, median: (lo + hi) / 2, samples: 100)
    }

    func intervals(e: (Double, Double), alpha: (Double, Double), beta: (Double, Double), a: (Double, Double)) -> LawIntervals {
        LawIntervals(E: interval(e.0, e.1), A: interval(1, 2), B: interval(1, 2), alpha: interval(alpha.0, alpha.1),
                     beta: interval(beta.0, beta.1), a: interval(a.0, a.1), b: interval(0.4, 0.5))
    }

    /// The thresholds as stated: E's lower end below 1% of E, or an exponent's half-width above 0.1.
    func testFlagsAtTheStatedThresholds() {
        let law = ChinchillaLaw(E: 1.8, A: 400, B: 900, alpha: 0.34, beta: 0.30)
        let good = FitQuality.assess(law: law, intervals: intervals(e: (1.7, 1.9), alpha: (0.30, 0.38), beta: (0.25, 0.35),
                                                                    a: (0.40, 0.55)), resamples: 100)
        XCTAssertFalse(good.isPoorlyDetermined)
        XCTAssertEqual(good.level, 0.8)

        let zeroE = FitQuality.assess(law: law, intervals: intervals(e: (0.017, 1.9), alpha: (0.30, 0.38), beta: (0.25, 0.35),
                                                                     a: (0.40, 0.55)), resamples: 100)
        XCTAssertEqual(zeroE.flags.map(\.code), ["irreducible_loss_reaches_zero"])
        XCTAssertTrue(zeroE.flags[0].description.contains("reaches 0"))
        // Just above the floor (1% of 1.8 = 0.018) is not flagged.
        XCTAssertFalse(FitQuality.assess(law: law, intervals: intervals(e: (0.019, 1.9), alpha: (0.30, 0.38), beta: (0.25, 0.35),
                                                                         a: (0.40, 0.55)), resamples: 100).isPoorlyDetermined)

        let wide = FitQuality.assess(law: law, intervals: intervals(e: (1.7, 1.9), alpha: (0.20, 0.41), beta: (0.20, 0.44),
                                                                    a: (0.40, 0.61)), resamples: 100)
        XCTAssertEqual(wide.flags.count, 3)
        XCTAssertEqual(wide.flags.map(\.code), Array(repeating: "exponent_poorly_determined", count: 3))
        XCTAssertTrue(wide.flags[0].description.hasPrefix("alpha"))
        XCTAssertTrue(wide.flags[2].description.hasPrefix("a = beta/(alpha+beta)"))
        // Half-width just under 0.1 is not flagged.
        XCTAssertFalse(FitQuality.assess(law: law, intervals: intervals(e: (1.7, 1.9), alpha: (0.25, 0.449), beta: (0.25, 0.35),
                                                                        a: (0.40, 0.55)), resamples: 100).isPoorlyDetermined)
    }

    /// From real bootstraps: 250 runs over two decades of N with 1% noise determine the law; 15 runs
    /// over a narrow range with 5% noise do not.
    func testWideGridIsDeterminedAndTinyNoisyGridIsNot() throws {
        var fitOptions = ParametricFitOptions()
        fitOptions.grid = .coarse
        var bootOptions = BootstrapOptions()
        bootOptions.replicates = 60
        bootOptions.level = 0.95  // the flags use 80% intervals whatever level the bootstrap reports

        let wide = SyntheticRuns.grid(law: .epoch, sizes: 25, tokensPerSize: 10, noise: 0.01, seed: 1)
        let wideFit = try ParametricFit.fit(wide, options: fitOptions)
        let wideQuality = try XCTUnwrap(FitQuality.assess(law: wideFit.law, bootstrap: try Bootstrap.run(fit: wideFit, fitOptions: fitOptions, options: bootOptions)))
        XCTAssertEqual(wideQuality.flags, [], "\(wideQuality.flags)")
        XCTAssertEqual(wideQuality.level, 0.8)

        let tiny = SyntheticRuns.isoFLOP(law: .epoch, budgets: [1e17, 3e17, 1e18], sizesPerBudget: 5, spanDecades: 0.6, noise: 0.05, seed: 3)
        let tinyFit = try ParametricFit.fit(tiny, options: fitOptions)
        let tinyQuality = try XCTUnwrap(FitQuality.assess(law: tinyFit.law, bootstrap: try Bootstrap.run(fit: tinyFit, fitOptions: fitOptions, options: bootOptions)))
        XCTAssertTrue(tinyQuality.isPoorlyDetermined)
    }
}
