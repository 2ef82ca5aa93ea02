import Foundation
import XCTest
import ScalingLaws
import Randomness

final class LBFGSTests: XCTestCase {
    /// Extended Rosenbrock: minimum 0 at (1, ..., 1).
    func testRosenbrockFromRandomStarts() {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<10 {
            let x0 = (0..<6).map { _ in -2 + 4 * rng.nextUniform() }
            let r = LBFGS().minimize(from: x0) { x, g in
                var f = 0.0
                for i in 0..<x.count { g[i] = 0 }
                for i in stride(from: 0, to: x.count, by: 2) {
                    let t1 = 1 - x[i], t2 = 10 * (x[i + 1] - x[i] * x[i])
                    f += t1 * t1 + t2 * t2
                    g[i + 1] += 20 * t2
                    g[i] += -2 * t1 - 40 * x[i] * t2
                }
                return f
            }
            for v in r.x { XCTAssertEqual(v, 1, accuracy: 1e-7, "from \(x0): \(r.status)") }
            XCTAssertLessThan(r.value, 1e-14)
        }
    }

    /// Ill-conditioned quadratic (condition number 1e6): exact minimizer known.
    func testIllConditionedQuadratic() {
        var rng = SplitMix64(seed: 5)
        let scales = (0..<5).map { pow(10.0, Double($0) * 1.5) }
        let center = (0..<5).map { _ in rng.nextGaussian() }
        let r = LBFGS().minimize(from: [Double](repeating: 3, count: 5)) { x, g in
            var f = 0.0
            for i in 0..<5 { let d = x[i] - center[i]; f += 0.5 * scales[i] * d * d; g[i] = scales[i] * d }
            return f
        }
        for i in 0..<5 { XCTAssertEqual(r.x[i], center[i], accuracy: 1e-8) }
        XCTAssertEqual(r.status, .gradientTolerance)
        XCTAssertEqual(r.lineSearchFailures, 0, "every step on a smooth quadratic should meet the strong Wolfe conditions")
    }

    /// A non-smooth function: the optimizer must stop (not loop) and return its best point.
    func testStopsOnNonSmoothFunction() {
        let r = LBFGS().minimize(from: [3, -2]) { x, g in
            g[0] = x[0] >= 0 ? 1 : -1
            g[1] = x[1] >= 0 ? 1 : -1
            return abs(x[0]) + abs(x[1])
        }
        XCTAssertLessThan(r.value, 5)
        XCTAssertLessThan(r.iterations, 1_000)
    }
}
