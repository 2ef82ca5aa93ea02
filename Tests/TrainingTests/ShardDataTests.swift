import DataPrep
import Foundation
import Randomness
import ScalingLaws
import Training
import XCTest

/// The trainer reads `ladder data prepare` output: shards written by DataPrep's writer.
final class ShardDataTests: XCTestCase {
    func testTrainerReadsTokenShards() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ladder-shards-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let vocab = 300
        var rng = SplitMix64(seed: 5)
        var written: [String: [Int32]] = ["train": [], "val": []]
        var manifest = ShardManifest(vocabSize: vocab, endOfText: UInt32(vocab - 1), valFraction: 0.2)
        for split in ["train", "val"] {
            let writer = ShardWriter(directory: dir, prefix: split, vocabSize: vocab, endOfText: UInt32(vocab - 1), maxTokensPerShard: 700)
            for _ in 0..<(split == "train" ? 12 : 3) {
                let doc = (0..<150).map { _ in UInt32(rng.next() % UInt64(vocab - 1)) }
                try writer.append(document: doc)
                written[split]! += doc.map(Int32.init) + [Int32(vocab - 1)]
            }
            manifest.shards += try writer.close()
        }
        manifest.train.tokens = written["train"]!.count
        manifest.train.bytes = 3 * written["train"]!.count
        try manifest.save(to: dir)

        let data = try TokenDataset.load(.init(path: dir.path))
        XCTAssertEqual(data.vocab, vocab)
        XCTAssertEqual(data.train, written["train"])
        XCTAssertEqual(data.validation, written["val"])
        XCTAssertEqual(data.bytesPerToken, 3)
        XCTAssertGreaterThan(manifest.shards.count, 2, "more than one shard per split")

        var t = TrainConfig.Optimization()
        t.batch = 2
        t.steps = 3
        t.threads = 1
        t.evalBatches = 1
        let config = TrainConfig(model: GPTConfig(vocab: vocab, seqLen: 16, dModel: 16, nLayer: 1, nHead: 1),
                                 data: .init(path: dir.path), train: t)
        let result = try Trainer(config: config, data: data, kernels: ReferenceKernels()).run()
        XCTAssertEqual(result.outcome, .done)
        XCTAssertEqual(try XCTUnwrap(result.finalBitsPerByte), Double(try XCTUnwrap(result.finalValLoss)) / log(2) / 3, accuracy: 1e-9)

        var small = config
        small.model.vocab = 100
        XCTAssertThrowsError(try Trainer(config: small, data: data, kernels: ReferenceKernels())) {
            XCTAssertTrue("\($0)".contains("larger than model.vocab"), "\($0)")
        }
        XCTAssertThrowsError(try TokenDataset.load(.init(path: dir.appendingPathComponent("nope").path + "/")))
    }
}
