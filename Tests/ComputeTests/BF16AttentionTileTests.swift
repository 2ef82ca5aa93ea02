import CComputeKernels
import Compute
import Randomness
import XCTest

/// The bf16 attention tiles (`cck_bf16_tile_*`) and pair packer (`cck_f32_row_pairs`) against
/// naive Swift loops in Double, on random values: every vector count, row counts around each
/// register block, odd pair counts, padded strides, with and without accumulation and lane scales.
final class BF16AttentionTileTests: XCTestCase {
    static func randomBF16(_ rng: inout SplitMix64, _ n: Int) -> [UInt16] {
        (0..<n).map { _ in BFloat16(Float(Int(rng.next() % 2001) - 1000) / 250 + 0.001).bitPattern }
    }

    static func value(_ h: UInt16) -> Double { Double(Float(bitPattern: UInt32(h) << 16)) }

    /// The contract of `cck_bf16_tile_avx512` in Double.
    static func naiveTile(a: [UInt16], lda: Int, b: [UInt32], ldb: Int, c: [Float], ldc: Int, m: Int, kp: Int,
                          nv: Int, alpha: Float, laneScale: [Float]?, accumulate: Bool) -> [Double] {
        var out = c.map(Double.init)
        for i in 0..<m {
            for j in 0..<16 * nv {
                var s = 0.0
                for p in 0..<kp {
                    let pair = b[p * ldb + j]
                    s += value(a[i * lda + 2 * p]) * value(UInt16(truncatingIfNeeded: pair))
                        + value(a[i * lda + 2 * p + 1]) * value(UInt16(truncatingIfNeeded: pair >> 16))
                }
                let old = accumulate ? Double(c[i * ldc + j]) * Double(laneScale?[j] ?? 1) : 0
                out[i * ldc + j] = Double(alpha) * s + old
            }
        }
        return out
    }

    func testTilesMatchNaiveProduct() throws {
        var rng = SplitMix64(seed: UInt64.random(in: 1...UInt64.max))
        let avx = GEMM.hasBF16DotProduct
        var worst = 0.0
        for trial in 0..<300 {
            let nv = 1 + trial % 4, m = rng.int(1...27), kp = rng.int(1...40)
            let lda = 2 * kp + 2 * rng.int(0...3), ldb = 16 * nv + rng.int(0...9), ldc = 16 * nv + rng.int(0...7)
            let a = Self.randomBF16(&rng, m * lda)
            let b = (0..<(kp * ldb)).map { _ in
                UInt32(Self.randomBF16(&rng, 1)[0]) | UInt32(Self.randomBF16(&rng, 1)[0]) << 16
            }
            let c0 = (0..<(m * ldc)).map { _ in Float(Int(rng.next() % 1001) - 500) / 100 }
            let accumulate = trial % 3 != 0
            let scale: [Float]? = trial % 2 == 0 ? (0..<(16 * nv)).map { _ in Float(rng.next() % 100) / 50 } : nil
            let alpha: Float = trial % 5 == 0 ? 0.37 : 1
            let want = Self.naiveTile(a: a, lda: lda, b: b, ldb: ldb, c: c0, ldc: ldc, m: m, kp: kp, nv: nv,
                                      alpha: alpha, laneScale: scale, accumulate: accumulate)
            let bound = Double(kp) * 16 * 16 * 2 * 1.2e-7 * 4 + 1e-5
            for useAVX in avx ? [false, true] : [false] {
                var c = c0
                (scale ?? []).withUnsafeBufferPointer { ls in
                    let f = useAVX ? cck_bf16_tile_avx512 : cck_bf16_tile_portable
                    f(a, lda, b, ldb, &c, ldc, m, kp, nv, alpha, scale == nil ? nil : ls.baseAddress, accumulate ? 1 : 0)
                }
                for i in 0..<m {
                    for j in 0..<ldc {
                        let x = i * ldc + j
                        if j >= 16 * nv {
                            XCTAssertEqual(c[x], c0[x], "past the tile's columns: written")
                            continue
                        }
                        let err = abs(Double(c[x]) - want[x])
                        worst = max(worst, err)
                        XCTAssertLessThan(err, bound, "avx \(useAVX) nv \(nv) m \(m) kp \(kp) (\(i), \(j))")
                    }
                }
            }
        }
        print("BF16AttentionTileTests: worst absolute error \(worst)")
    }

    func testRowPairsMatchNaiveRounding() {
        var rng = SplitMix64(seed: UInt64.random(in: 1...UInt64.max))
        for trial in 0..<200 {
            let rows = rng.int(1...70), cols = rng.int(1...80), ld = cols + rng.int(0...5), ldd = cols + rng.int(0...5)
            let src = (0..<(rows * ld)).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()) & 0xBFFF_FFFF) }
            var want = [UInt32](repeating: 0xDEAD_BEEF, count: (rows + 1) / 2 * ldd), got = want, portable = want
            for p in 0..<(rows + 1) / 2 {
                for j in 0..<cols {
                    let hi = 2 * p + 1 < rows ? UInt32(BFloat16(src[(2 * p + 1) * ld + j]).bitPattern) << 16 : 0
                    want[p * ldd + j] = UInt32(BFloat16(src[2 * p * ld + j]).bitPattern) | hi
                }
            }
            cck_f32_row_pairs(src, ld, rows, cols, &got, ldd)
            cck_f32_row_pairs_portable(src, ld, rows, cols, &portable, ldd)
            XCTAssert(got == want, "trial \(trial): rows \(rows) cols \(cols)")
            XCTAssert(portable == want, "trial \(trial) portable: rows \(rows) cols \(cols)")
        }
    }
}
