import Compute
import Randomness
import ScalingLaws
import XCTest

/// E4M3 conversion against a naive reference: the nearest of all finite E4M3 values (ties to the
/// even mantissa), saturating at ±448, NaN for NaN and ±infinity.
final class FP8Tests: XCTestCase {
    /// The finite non-negative E4M3 values with their bit patterns, ascending.
    static let finite: [(Float, UInt8)] = (0..<0x7F).map { (FP8E4M3.decode(UInt8($0)), UInt8($0)) }

    static func reference(_ x: Float) -> UInt8 {
        if x.isNaN || x.isInfinite { return (x.sign == .minus ? 0x80 : 0) | 0x7F }
        let sign: UInt8 = x.sign == .minus ? 0x80 : 0
        let a = abs(x)
        if a >= 448 { return sign | 0x7E }
        var best = finite[0]
        for candidate in finite {
            let d = abs(candidate.0 - a), db = abs(best.0 - a)
            if d < db || (d == db && candidate.1 & 1 == 0 && best.1 & 1 == 1) { best = candidate }
        }
        return sign | best.1
    }

    func testDecodeTableMatchesTheFormat() {
        XCTAssertEqual(FP8E4M3(bitPattern: 0x7E).float, 448)
        XCTAssertEqual(FP8E4M3(bitPattern: 0x01).float, 0x1p-9)
        XCTAssertEqual(FP8E4M3(bitPattern: 0x08).float, 0x1p-6)
        XCTAssertEqual(FP8E4M3(bitPattern: 0x38).float, 1)
        XCTAssertEqual(FP8E4M3(bitPattern: 0xB8).float, -1)
        XCTAssertTrue(FP8E4M3(bitPattern: 0x7F).float.isNaN)
        XCTAssertTrue(FP8E4M3(bitPattern: 0xFF).float.isNaN)
        XCTAssertEqual(FP8E4M3(bitPattern: 0x80).float, 0)
        XCTAssertEqual(FP8E4M3(bitPattern: 0x80).float.sign, .minus)
        // every non-NaN pattern round-trips
        for b in 0..<256 where b & 0x7F != 0x7F {
            XCTAssertEqual(FP8E4M3(FP8E4M3(bitPattern: UInt8(b)).float).bitPattern, UInt8(b), "pattern \(b)")
        }
    }

    func testRoundingSaturationAndNaNAgainstReference() {
        var rng = SplitMix64(seed: 11)
        var values: [Float] = [0, -0, 448, -448, 460, 464, 470, 480, 1e6, -1e30, .infinity, -.infinity, .nan,
                               0x1p-10, 0x1p-10 * 3, 0x1p-11, 0x1p-6, 0x1p-6 * 0.97, 1.0625, 1.1875, -1.0625,
                               Float.leastNonzeroMagnitude, Float.greatestFiniteMagnitude]
        // midpoints between neighbours (ties) and random magnitudes over the whole range
        for i in 1..<Self.finite.count { values.append((Self.finite[i - 1].0 + Self.finite[i].0) / 2) }
        for _ in 0..<4000 {
            let e = Double(rng.next() % 30) - 16
            let v = Float((rng.nextUniform() + 0.5) * pow(2, e)) * (rng.next() & 1 == 0 ? 1 : -1)
            values.append(v)
        }
        for v in values {
            XCTAssertEqual(FP8E4M3(v).bitPattern, Self.reference(v), "value \(v)")
        }
        // the vectorized buffer conversion agrees with the scalar one (with a scale)
        let scale: Float = 4
        var out = [FP8E4M3](repeating: FP8E4M3(bitPattern: 0), count: values.count)
        Convert.floatToFP8E4M3(values, &out, count: values.count, scale: scale)
        for (v, o) in zip(values, out) {
            XCTAssertEqual(o.bitPattern, Self.reference(v * scale), "value \(v) x \(scale)")
        }
        XCTAssertEqual(FP8E4M3(470).bitPattern, 0x7E, "beyond the largest finite value saturates")
        XCTAssertTrue(FP8E4M3(.infinity).isNaN, "infinity has no E4M3 encoding: NaN")
    }

    func testPerTensorScaleAndDequantization() {
        XCTAssertEqual(FP8E4M3.scale(forAbsMax: 448), 1)
        XCTAssertEqual(FP8E4M3.scale(forAbsMax: 1), 256)
        XCTAssertEqual(FP8E4M3.scale(forAbsMax: 1000), 0.25)
        XCTAssertEqual(FP8E4M3.scale(forAbsMax: 0), 1)
        XCTAssertEqual(FP8E4M3.scale(forAbsMax: .nan), 1)
        var rng = SplitMix64(seed: 5)
        let x = (0..<1000).map { _ in Float(rng.nextGaussian() * 0.03) }
        let amax = Convert.absMax(x, count: x.count)
        XCTAssertEqual(amax, x.map(abs).max()!)
        let s = FP8E4M3.scale(forAbsMax: amax)
        XCTAssertLessThanOrEqual(amax * s, 448)
        XCTAssertGreaterThan(amax * s * 2, 448)
        var q = [FP8E4M3](repeating: FP8E4M3(bitPattern: 0), count: x.count)
        Convert.floatToFP8E4M3(x, &q, count: x.count, scale: s)
        var back = [Float](repeating: 0, count: x.count)
        Convert.fp8E4M3ToFloat(q, &back, count: x.count, scale: s)
        var bf = [BFloat16](repeating: BFloat16(bitPattern: 0), count: x.count)
        Convert.fp8E4M3ToBFloat16(q, &bf, count: x.count, scale: s)
        for i in x.indices {
            XCTAssertEqual(back[i], q[i].float / s, "dequantization is exact division by the scale")
            XCTAssertEqual(bf[i].float, back[i], "bf16 dequantization is exact")
            // relative error of 3 mantissa bits (half ulp = 1/16) above the subnormal range
            if abs(x[i] * s) >= 0x1p-6 { XCTAssertLessThanOrEqual(abs(back[i] - x[i]), abs(x[i]) / 16 * 1.0001) }
        }
    }
}
