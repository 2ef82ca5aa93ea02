import XCTest
import Training
import ScalingLaws
import Randomness

/// The interleaved held-out split, shuffled sampling without repeats, and evaluation that does
/// not depend on the training batch.
final class DataWindowTests: XCTestCase {
    func testInterleavedSplitSpreadsBlocksThroughTheCorpus() {
        let tokens = (0..<100_000).map { Int32($0 % 251) }
        let parts = TokenDataset.split(tokens, valFraction: 0.02, split: .interleaved, block: 1000)
        XCTAssertEqual(parts.train.count + parts.validation.count, tokens.count)
        XCTAssertEqual(parts.validation.count, 2000)
        // validation blocks come from the middle and the end, not one tail
        let positions = TokenDataset.split((0..<100_000).map { Int32($0 % 1_000_000) }, valFraction: 0.02,
                                           split: .interleaved, block: 1000).validation
        XCTAssertEqual(positions.first, 49_000)
        XCTAssertEqual(positions.last, 99_999)
        let tail = TokenDataset.split(tokens, valFraction: 0.02, split: .tail, block: 1000)
        XCTAssertEqual(Array(tail.validation), Array(tokens[98_000...]))
    }

    /// Every window drawn in one pass is distinct, so no token is read twice as an input until the
    /// split has been read once; a second pass uses another order; the order is the seed's.
    func testShuffledSamplingReadsNoTokenTwicePerPass() {
        let n = 64 * 500 + 1
        var data = TokenDataset(train: (0..<n).map { Int32($0 % 256) }, validation: Array(repeating: 0, count: 200),
                                vocab: 256, bytesPerToken: 1, source: "test", sampling: .shuffled)
        data.train = (0..<n).map { Int32(truncatingIfNeeded: $0) } // positions, to see which window was read
        let T = 64, B = 7, W = data.trainWindows(T: T)
        XCTAssertEqual(W, 500)
        var rng = SplitMix64(seed: 1)
        var starts: [Int32] = []
        let inputs = UnsafeMutablePointer<Int32>.allocate(capacity: B * T), targets = UnsafeMutablePointer<Int32>.allocate(capacity: B * T)
        defer { inputs.deallocate(); targets.deallocate() }
        var sample = 0
        while sample < 2 * W {
            data.sampleTrain(B: B, T: T, firstSample: sample, seed: 9, rng: &rng, inputs: inputs, targets: targets)
            for b in 0..<B { starts.append(inputs[b * T]); XCTAssertEqual(targets[b * T], inputs[b * T] + 1) }
            sample += B
        }
        let first = starts.prefix(W), second = starts.dropFirst(W).prefix(W)
        XCTAssertEqual(Set(first).count, W, "a window repeated within the first pass")
        XCTAssertEqual(Set(first), Set(second))
        XCTAssertNotEqual(Array(first), Array(second))
        XCTAssertTrue(first.allSatisfy { $0 % Int32(T) == 0 })
        // not in order: the permutation moves most windows
        XCTAssertGreaterThan(zip(first, 0...).filter { Int($0.0) / T != $0.1 }.count, W * 9 / 10)
        XCTAssertEqual(data.passes(samples: W, T: T), 1)
    }

    /// The final evaluation over the whole held-out split gives the same loss whatever the batch.
    func testEvaluationDoesNotDependOnTheBatch() throws {
        var rng = SplitMix64(seed: 4)
        let text = (0..<40_000).map { _ in Int32(rng.next() % 40) }
        let data = TokenDataset(train: Array(text[..<30_000]), validation: Array(text[30_000...]), vocab: 256,
                                bytesPerToken: 1, source: "test")
        var losses: [Float] = []
        for batch in [3, 8, 13] {
            var config = TrainConfig(model: GPTConfig(vocab: 256, seqLen: 32, dModel: 32, nLayer: 1, nHead: 2),
                                     data: .init(path: "-"), train: .init())
            config.train.batch = batch
            config.train.evalTokens = 1024
            config.train.threads = 1
            let trainer = try Trainer(config: config, data: data, kernels: ReferenceKernels())
            losses.append(trainer.evaluate(final: true))
            XCTAssertNotEqual(trainer.evaluate(final: false), losses.last)
        }
        XCTAssertEqual(losses[0], losses[1], accuracy: 1e-5)
        XCTAssertEqual(losses[0], losses[2], accuracy: 1e-5)
    }
}
