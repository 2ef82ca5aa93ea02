import CComputeKernels
import Compute
import Randomness
import XCTest

/// The AVX-512 packers of the `vdpbf16ps` GEMM against a naive packing, on random bit patterns:
/// every width, row or column count below and above a 16-lane chunk, odd k, padded strides.
final class BF16PackTests: XCTestCase {
    /// dst[p*width + i] = pair (row i, k 2p and 2p+1) of a row-major `rows x ld` source.
    static func naiveRows(_ src: [UInt16], ld: Int, kc: Int, rows: Int, width: Int) -> [UInt32] {
        let kc2 = (kc + 1) / 2
        var out = [UInt32](repeating: 0, count: kc2 * width)
        for p in 0..<kc2 {
            for i in 0..<rows {
                let hi = 2 * p + 1 < kc ? UInt32(src[i * ld + 2 * p + 1]) << 16 : 0
                out[p * width + i] = UInt32(src[i * ld + 2 * p]) | hi
            }
        }
        return out
    }

    /// Panel t, pair p, lane j = pair (column t*width + j, k 2p and 2p+1) of a `kc x ld` source.
    static func naivePanels(_ src: [UInt16], ld: Int, kc: Int, cols: Int, width: Int) -> [UInt32] {
        let kc2 = (kc + 1) / 2, panels = (cols + width - 1) / width
        var out = [UInt32](repeating: 0, count: panels * kc2 * width)
        for t in 0..<panels {
            for p in 0..<kc2 {
                for j in 0..<width where t * width + j < cols {
                    let c = t * width + j
                    let hi = 2 * p + 1 < kc ? UInt32(src[(2 * p + 1) * ld + c]) << 16 : 0
                    out[(t * kc2 + p) * width + j] = UInt32(src[2 * p * ld + c]) | hi
                }
            }
        }
        return out
    }

    func testAVX512PackersMatchNaivePacking() throws {
        try XCTSkipUnless(GEMM.hasBF16DotProduct, "CPU has no AVX-512 BF16 (the packers' tier)")
        var rng = SplitMix64(seed: 21)
        for trial in 0..<400 {
            let width = trial % 2 == 0 ? Int(CCK_BF16_MR) : Int(CCK_BF16_NR)
            let kc = rng.int(1...90), rows = rng.int(1...width)
            let ldRows = kc + rng.int(0...5)
            let src = (0..<(width * ldRows)).map { _ in UInt16(truncatingIfNeeded: rng.next()) }
            var got = [UInt32](repeating: 0xDEAD_BEEF, count: (kc + 1) / 2 * width)
            cck_bf16_pack_rows(src, ldRows, kc, rows, width, &got)
            XCTAssert(got == Self.naiveRows(src, ld: ldRows, kc: kc, rows: rows, width: width),
                      "rows: width \(width) rows \(rows) kc \(kc) ld \(ldRows)")

            let cols = rng.int(1...(3 * width + 5)), ldCols = cols + rng.int(0...5)
            let src2 = (0..<(kc * ldCols)).map { _ in UInt16(truncatingIfNeeded: rng.next()) }
            let panels = (cols + width - 1) / width
            var got2 = [UInt32](repeating: 0xDEAD_BEEF, count: panels * ((kc + 1) / 2) * width)
            cck_bf16_pack_pair_panels(src2, ldCols, kc, cols, width, &got2)
            XCTAssert(got2 == Self.naivePanels(src2, ld: ldCols, kc: kc, cols: cols, width: width),
                      "panels: width \(width) cols \(cols) kc \(kc) ld \(ldCols)")
        }
    }
}
