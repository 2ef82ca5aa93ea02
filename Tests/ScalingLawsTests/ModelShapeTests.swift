import Foundation
import XCTest
import ScalingLaws
import Randomness

final class ModelShapeTests: XCTestCase {
    /// GPT-2 small (12 layers, d 768, vocab 50257, context 1024): 124,439,808 parameters, of which
    /// 85,056,000 non-embedding.
    func testGPT2SmallParameterCount() {
        let counts = ModelShape.parameterCount(nLayer: 12, dModel: 768, dFF: 3072, vocab: 50257, seqLen: 1024)
        XCTAssertEqual(counts.total, 124_439_808)
        XCTAssertEqual(counts.nonEmbedding, 85_056_000)
        XCTAssertEqual(counts.embedding, 50257 * 768 + 1024 * 768)
        let shape = ModelShape(nLayer: 12, dModel: 768, nHead: 12, dFF: 3072, vocab: 50257, seqLen: 1024)
        XCTAssertEqual(shape.totalParameters, 124_439_808)
        XCTAssertEqual(shape.parameters(.nonEmbedding), 85_056_000)
        XCTAssertEqual(shape.headDim, 64)
    }

    /// Formula by hand for a random small shape: per layer 4d²+4d + 2 d f + f + d + 4d, final norm 2d.
    func testParameterCountFormula() {
        var rng = SplitMix64(seed: 31)
        for _ in 0..<20 {
            let l = 1 + Int(rng.next() % 30), d = 32 * (1 + Int(rng.next() % 40)), f = 16 * (1 + Int(rng.next() % 200))
            let v = 100 + Int(rng.next() % 60_000), t = 16 + Int(rng.next() % 4096)
            var byHand = 0
            for _ in 0..<l {
                byHand += 3 * d * d + 3 * d      // qkv
                byHand += d * d + d              // attention output
                byHand += d * f + f + f * d + d  // MLP
                byHand += 2 * d + 2 * d          // two LayerNorms
            }
            byHand += 2 * d
            let c = ModelShape.parameterCount(nLayer: l, dModel: d, dFF: f, vocab: v, seqLen: t)
            XCTAssertEqual(c.nonEmbedding, byHand)
            XCTAssertEqual(c.total, byHand + v * d + t * d)
        }
    }

    /// Shapes within 5% of N from 1e6 to 1e11 (non-embedding and total; within 3% from 1e8 up),
    /// usual proportions: d_model / n_layer in 64–128 from 1e8 up, 32–256 from 1e7, 16–512 below.
    func testSearchHitsTargetOverRange() throws {
        var n = 1e6
        while n <= 1.01e11 {
            for counting in ParameterCounting.allCases {
                let target = counting == .total ? n + 50257 * 64 * 4 : n
                let choice = try ModelShape.search(params: target, counting: counting, vocab: 50257, seqLen: 1024)
                let s = choice.shape
                XCTAssertLessThan(abs(choice.relativeError), n >= 1e8 ? 0.03 : 0.05, "\(target) \(counting): \(s)")
                XCTAssertEqual(Double(choice.parameters) / target - 1, choice.relativeError, accuracy: 1e-12)
                XCTAssertEqual(choice.parameters, s.parameters(counting))
                XCTAssertEqual(s.dFF, 4 * s.dModel)
                XCTAssertEqual(s.dModel % s.nHead, 0)
                XCTAssert(s.headDim == 64 || (s.headDim == 32 && s.dModel < 256), "\(s)")
                if n >= 1e8 {
                    XCTAssert(ModelShape.aspectRange.contains(s.aspectRatio), "\(target): \(s)")
                } else if n >= 1e7 {
                    XCTAssert((32...256).contains(s.aspectRatio), "\(target): \(s)")
                } else {
                    XCTAssert((16...512).contains(s.aspectRatio), "\(target): \(s)")
                }
            }
            n *= 3.7
        }
    }

    func testSearchRejectsBadInput() {
        XCTAssertThrowsError(try ModelShape.search(params: 10, vocab: 100, seqLen: 64))
        XCTAssertThrowsError(try ModelShape.search(params: .nan, vocab: 100, seqLen: 64))
        XCTAssertThrowsError(try ModelShape.search(params: 1e8, vocab: 0, seqLen: 64))
    }
}
