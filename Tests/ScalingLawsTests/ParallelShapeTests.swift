import XCTest
import ScalingLaws

final class ParallelShapeTests: XCTestCase {
    /// Grouped-query attention's parameter count, by hand: qkv d (d + 2k) + d + 2k, k = kv heads · head dim.
    func testGroupedQueryAttentionParameterCount() {
        let d = 4096, f = 16_384, k = 8 * 128
        let s = ModelShape(nLayer: 2, dModel: d, nHead: 32, dFF: f, vocab: 32_000, seqLen: 4096, nKVHead: 8)
        let block = (d * (d + 2 * k) + d + 2 * k) + (d * d + d) + (2 * d * f + f + d) + 4 * d
        XCTAssertEqual(s.nonEmbeddingParameters, 2 * block + 2 * d)
        XCTAssertEqual(s.kvWidth, k)
        // Without kv heads the count is the multi-head one (12 d² + 13 d per block for f = 4d).
        let mha = ModelShape(nLayer: 2, dModel: d, nHead: 32, dFF: 4 * d, vocab: 32_000, seqLen: 4096)
        XCTAssertEqual(mha.nKVHead, 32)
        XCTAssertEqual(mha.nonEmbeddingParameters, 2 * (12 * d * d + 13 * d) + 2 * d)
        XCTAssertTrue(s.description.contains("8 kv heads"))
    }

    /// Shapes that tp and pp divide, within a few percent of N, for the models; the trade is stated.
    func testShapesAreDivisibleByUsualDegrees() throws {
        for (n, kv) in [(405e9, 8), (619e9, 8), (176e9, nil), (7e9, 8), (1.3e9, nil), (125e6, nil)] as [(Double, Int?)] {
            let p = try ModelShape.parallelSearch(params: n, vocab: 128_256, seqLen: 8192, kvHeads: kv)
            let s = p.choice.shape
            XCTAssertEqual(s.nHead % 8, 0, "\(n): \(s)")
            XCTAssertEqual(s.nKVHead, kv ?? s.nHead)
            XCTAssertEqual(s.nHead % s.nKVHead, 0)
            XCTAssertEqual(s.vocab, 128_256)
            XCTAssertEqual(p.tensorParallelDegrees, [1, 2, 4, 8], "\(n): \(s)")
            XCTAssertLessThanOrEqual(abs(p.choice.relativeError), 0.10, "\(n): \(s)")
            XCTAssertEqual(Double(p.choice.parameters) / n - 1, p.choice.relativeError, accuracy: 1e-12)
            XCTAssertTrue(p.summary.contains("from N"), p.summary)
            if n >= 1e9 {
                XCTAssertEqual(s.nLayer % 4, 0, "\(n): \(s)")
                XCTAssertLessThanOrEqual(abs(p.choice.relativeError), 0.05)
            }
            if n >= 1e10 {   // widths step by 1024 here, so the first tier is reachable
                XCTAssertEqual(p.tier, 1, "\(n): \(s)")
                XCTAssertEqual(s.nLayer % 8, 0)
                XCTAssertLessThanOrEqual(abs(p.choice.relativeError), 0.03)
                XCTAssert(p.pipelineParallelDegrees.contains(8))
            }
        }
        // 405B: the Llama 3 405B width (16,384 = 128 heads of 128), 8 kv heads.
        let llama = try ModelShape.parallelSearch(params: 405e9, vocab: 128_256, seqLen: 8192, kvHeads: 8).choice.shape
        XCTAssertEqual(llama.headDim, 128)
        XCTAssertThrowsError(try ModelShape.parallelSearch(params: 1e9, vocab: 32_000, seqLen: 2048, kvHeads: 0))
        XCTAssertThrowsError(try ModelShape.parallelSearch(params: 1e3, vocab: 32_000, seqLen: 2048))
    }
}
