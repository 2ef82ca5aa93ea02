import Randomness
import Reports
import ScalingLaws
import XCTest

/// The report says when the parametric law is poorly determined, as `fit` does.
final class FitQualityReportTests: XCTestCase {
    func testWideBootstrapIntervalsAreFlaggedAndNarrowOnesAreNot() throws {
        let law = ChinchillaLaw(E: 1.2, A: 40, B: 5000, alpha: 0.45, beta: 0.7)
        var rng = SplitMix64(seed: 11)
        func laws(spread: Double) -> [ChinchillaLaw] {
            (0..<100).map { _ in
                ChinchillaLaw(E: law.E * (1 + 0.02 * rng.nextGaussian()), A: law.A, B: law.B,
                              alpha: law.alpha + spread * rng.nextGaussian(), beta: law.beta + spread * rng.nextGaussian())
            }
        }
        let wide = ParametricSummary(law: law, source: .computed, bootstrap: laws(spread: 0.2), level: 0.8, residuals: [])
        let flagged = try XCTUnwrap(wide.quality)
        XCTAssertTrue(flagged.isPoorlyDetermined)
        XCTAssertTrue(flagged.flags.contains { "\($0)".contains("alpha") }, "\(flagged.flags)")
        let narrow = ParametricSummary(law: law, source: .computed, bootstrap: laws(spread: 0.005), level: 0.8, residuals: [])
        XCTAssertEqual(narrow.quality?.isPoorlyDetermined, false)
        XCTAssertNil(ParametricSummary(law: law, source: .computed, bootstrap: [], level: nil, residuals: []).quality)
    }
}
