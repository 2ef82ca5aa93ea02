import Compute
import Randomness
import XCTest

final class BFloat16Tests: XCTestCase {
    func bits(_ f: Float) -> UInt16 { BFloat16(f).bitPattern }
    func fromBits(_ b: UInt32) -> UInt16 { BFloat16(Float(bitPattern: b)).bitPattern }

    func testExactValuesRoundTrip() {
        for x: Float in [0, -0, 1, -1, 0.5, 2, 3, -1.5, 256, 1.0 / 128] {
            XCTAssertEqual(BFloat16(x).float, x)
            XCTAssertEqual(BFloat16(x).float.sign, x.sign)
        }
        XCTAssertEqual(bits(1), 0x3F80)
        XCTAssertEqual(bits(-2), 0xC000)
    }

    func testRoundToNearestTiesToEven() {
        // 1 + 2^-8 is exactly halfway between 1 (0x3F80, even) and 1 + 2^-7 (0x3F81): rounds down.
        XCTAssertEqual(fromBits(0x3F80_8000), 0x3F80)
        // 0x3F81_8000 is halfway between 0x3F81 (odd) and 0x3F82 (even): rounds up.
        XCTAssertEqual(fromBits(0x3F81_8000), 0x3F82)
        // Just above / below the half.
        XCTAssertEqual(fromBits(0x3F80_8001), 0x3F81)
        XCTAssertEqual(fromBits(0x3F81_7FFF), 0x3F81)
        // Negative values round on magnitude.
        XCTAssertEqual(fromBits(0xBF80_8000), 0xBF80)
        XCTAssertEqual(fromBits(0xBF81_8000), 0xBF82)
        // Carry into the exponent: 0x3FFF_8000 (ties, odd) -> 0x4000 = 2.0.
        XCTAssertEqual(fromBits(0x3FFF_8000), 0x4000)
        XCTAssertEqual(BFloat16(Float(bitPattern: 0x3FFF_8000)).float, 2)
    }

    func testInfinityAndOverflow() {
        XCTAssertEqual(bits(.infinity), 0x7F80)
        XCTAssertEqual(bits(-.infinity), 0xFF80)
        // Largest finite bf16 is 0x7F7F; Float.greatestFiniteMagnitude (0x7F7FFFFF) rounds up to inf.
        XCTAssertEqual(bits(.greatestFiniteMagnitude), 0x7F80)
        XCTAssertEqual(fromBits(0x7F7F_7FFF), 0x7F7F)
        XCTAssertEqual(fromBits(0x7F7F_8000), 0x7F80)  // tie, odd -> even = infinity
    }

    func testNaNStaysNaN() {
        XCTAssertTrue(BFloat16(.nan).isNaN)
        XCTAssertTrue(BFloat16(-.nan).isNaN)
        // Signalling NaN whose payload lives only in the low 16 bits must not become infinity.
        let snan = Float(bitPattern: 0x7F80_0001)
        XCTAssertTrue(snan.isNaN)
        XCTAssertEqual(BFloat16(snan).bitPattern, 0x7FC0)
        XCTAssertTrue(BFloat16(Float(bitPattern: 0xFF80_0001)).isNaN)
        XCTAssertEqual(BFloat16(Float(bitPattern: 0xFF80_0001)).bitPattern, 0xFFC0)
        // A NaN with all-ones mantissa must not carry into the sign bit.
        XCTAssertEqual(fromBits(0x7FFF_FFFF), 0x7FFF)
    }

    func testSubnormals() {
        // Smallest float subnormal (2^-149) is below half of the smallest bf16 subnormal: -> 0.
        XCTAssertEqual(fromBits(0x0000_0001), 0x0000)
        // Smallest bf16 subnormal 2^-133 = 0x0001 is exact.
        XCTAssertEqual(fromBits(0x0001_0000), 0x0001)
        XCTAssertEqual(BFloat16(bitPattern: 1).float, Float(bitPattern: 0x0001_0000))
        // Ties in the subnormal range go to even: 0x0000_8000 -> 0, 0x0001_8000 -> 0x0002.
        XCTAssertEqual(fromBits(0x0000_8000), 0x0000)
        XCTAssertEqual(fromBits(0x0001_8000), 0x0002)
        XCTAssertEqual(fromBits(0x8001_8001), 0x8002)
        // Largest subnormal rounds up into the smallest normal.
        XCTAssertEqual(fromBits(0x007F_FFFF), 0x0080)
    }

    func testRoundingIsNearestOnRandomValues() {
        var rng = SplitMix64(seed: 21)
        for _ in 0..<20_000 {
            let x = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            if x.isNaN || x.isInfinite { continue }
            let r = BFloat16(x).float
            if r.isInfinite { XCTAssertGreaterThan(abs(x), Float(bitPattern: 0x7F7F_0000)); continue }
            // Neighbours one bf16 ulp away are never closer.
            let lower = Float(bitPattern: (r.bitPattern >> 16 &- 1) << 16)
            let upper = Float(bitPattern: (r.bitPattern >> 16 &+ 1) << 16)
            let d = abs(Double(x) - Double(r))
            if lower.isFinite { XCTAssertLessThanOrEqual(d, abs(Double(x) - Double(lower))) }
            if upper.isFinite { XCTAssertLessThanOrEqual(d, abs(Double(x) - Double(upper))) }
        }
    }

    func testVectorConversionsMatchScalar() {
        var rng = SplitMix64(seed: 22)
        let specials: [UInt32] = [0x7F80_0001, 0xFF80_0001, 0x7FC0_0000, 0x7F80_0000, 0xFF80_0000,
                                  0x3F80_8000, 0x3F81_8000, 0x0001_8000, 0x007F_FFFF, 0x7F7F_FFFF,
                                  0x8000_0000, 0x0000_0001]
        let count = 16 * 40 + 7  // vector body plus scalar tail
        let src = AlignedBuffer<Float>(count: count)
        for i in 0..<count {
            src[i] = Float(bitPattern: i < specials.count ? specials[i]
                                                           : UInt32(truncatingIfNeeded: rng.next()))
        }
        let b16 = AlignedBuffer<BFloat16>(count: count)
        Convert.floatToBFloat16(src.pointer, b16.pointer, count: count)
        let back = AlignedBuffer<Float>(count: count)
        Convert.bfloat16ToFloat(b16.pointer, back.pointer, count: count)
        for i in 0..<count {
            XCTAssertEqual(b16[i].bitPattern, BFloat16(src[i]).bitPattern, "element \(i)")
            XCTAssertEqual(back[i].bitPattern, UInt32(b16[i].bitPattern) << 16)
        }
        let h = AlignedBuffer<Float16>(count: count)
        Convert.floatToFloat16(src.pointer, h.pointer, count: count)
        Convert.float16ToFloat(h.pointer, back.pointer, count: count)
        for i in 0..<count {
            let want = Float16(src[i])
            if want.isNaN {
                XCTAssertTrue(h[i].isNaN, "fp16 element \(i)")
                XCTAssertTrue(back[i].isNaN)
            } else {
                XCTAssertEqual(h[i].bitPattern, want.bitPattern, "fp16 element \(i)")
                XCTAssertEqual(back[i], Float(want))
            }
        }
    }
}
