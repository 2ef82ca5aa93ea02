import Compute
import Foundation
import XCTest

final class SIMDMathTests: XCTestCase {
    func testExpAndExp2AgainstFoundationOnRandomInputs() {
        var state: UInt64 = 0x1234_5678
        func uniform(_ lo: Float, _ hi: Float) -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return lo + (hi - lo) * Float(state >> 40) / Float(1 << 24)
        }
        var worst: Double = 0
        for _ in 0..<2000 {
            var x = SIMD16<Float>()
            for i in 0..<16 { x[i] = uniform(-80, 80) }
            let e = SIMDMath.exp(x), e2 = SIMDMath.exp2(x)
            for i in 0..<16 {
                let ref = Foundation.exp(Double(x[i]))
                worst = Swift.max(worst, abs(Double(e[i]) - ref) / ref)
                let ref2 = Foundation.exp2(Double(x[i]))
                XCTAssertEqual(Double(e2[i]), ref2, accuracy: 2e-7 * ref2)
            }
        }
        XCTAssertLessThan(worst, 1e-5, "exp relative error (x log2 e rounds in fp32: about |x| 1e-7)")
        let edges = SIMDMath.exp2(SIMD16<Float>(-.infinity, -200, -126.6, 0, 1, 127, 300, -1, 0.5, -0.5, 2, 3, 4, 5, 6, 7))
        XCTAssertEqual(edges[0], 0)
        XCTAssertEqual(edges[1], 0)
        XCTAssertEqual(edges[2], 0)
        XCTAssertEqual(edges[3], 1)
        XCTAssertEqual(edges[4], 2)
        XCTAssertEqual(edges[5], Float(pow(2.0, 127.0)), accuracy: Float(pow(2.0, 127.0)) * 1e-6)
        XCTAssertTrue(edges[6].isFinite, "clamped, not inf")
    }

    func testMaxMinSum() {
        let a = SIMD16<Float>((0..<16).map { Float($0) - 7.5 })
        let b = SIMD16<Float>((0..<16).map { Float(15 - $0) - 7.5 })
        let mx = SIMDMath.max(a, b), mn = SIMDMath.min(a, b)
        for i in 0..<16 {
            XCTAssertEqual(mx[i], Swift.max(a[i], b[i]))
            XCTAssertEqual(mn[i], Swift.min(a[i], b[i]))
        }
        XCTAssertEqual(SIMDMath.sum(a), a.sum())
    }
}
