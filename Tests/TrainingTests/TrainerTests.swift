import ScalingLaws
import Foundation
import Training
import LadderTestSupport
import XCTest
import Randomness

final class TrainerTests: FolderTestCase {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Resources/austen-slice.txt").path

    static func config(steps: Int, lr: Double = 3e-3, seqLen: Int = 16, dModel: Int = 32) -> TrainConfig {
        var t = TrainConfig.Optimization()
        t.batch = 4
        t.steps = steps
        t.lr = lr
        t.warmup = 2
        t.evalInterval = 0
        t.evalBatches = 2
        t.threads = 1
        t.seed = 7
        return TrainConfig(model: GPTConfig(vocab: 256, seqLen: seqLen, dModel: dModel, nLayer: 2, nHead: 2),
                           data: .init(path: corpus, valFraction: 0.1), train: t)
    }

    func testLossDecreasesOnBundledText() throws {
        let config = Self.config(steps: 60)
        let data = try TokenDataset.bytes(of: config.data.path, valFraction: config.data.valFraction)
        let trainer = try Trainer(config: config, data: data, kernels: ReferenceKernels())
        let before = trainer.evaluate()
        XCTAssertEqual(Double(before), log(256), accuracy: 0.3, "an untrained model is near uniform")
        var losses: [Float] = []
        let result = try trainer.run(onEvent: { if case let .step(_, _, loss, _, _, _) = $0 { losses.append(loss) } })
        XCTAssertEqual(result.outcome, .done)
        XCTAssertEqual(result.steps, 60)
        XCTAssertEqual(result.tokens, 60 * 4 * 16)
        let after = try XCTUnwrap(result.finalValLoss)
        XCTAssertLessThan(after, before - 1.5, "validation loss \(before) -> \(after)")
        XCTAssertLessThan(losses.suffix(5).reduce(0, +) / 5, losses.prefix(5).reduce(0, +) / 5 - 1.5)
        XCTAssertEqual(try XCTUnwrap(result.finalBitsPerByte), Double(after) / log(2), accuracy: 1e-9)
    }

    func testTinyModelOverfitsOneBatch() throws {
        var config = Self.config(steps: 150, lr: 1e-2)
        config.train.gradClip = 0
        config.train.weightDecay = 0
        config.train.schedule = .constant
        var rng = SplitMix64(seed: 3)
        let window = (0...16).map { _ in Int32(rng.next() % 256) }
        // exactly one window of T + 1 tokens: every sampled batch is the same
        let data = TokenDataset(train: window, validation: window, vocab: 256, bytesPerToken: 1, source: "one batch")
        let trainer = try Trainer(config: config, data: data, kernels: ReferenceKernels())
        let result = try trainer.run()
        XCTAssertLessThan(try XCTUnwrap(result.finalValLoss), 0.05)
    }

    func testResumedRunEqualsUninterruptedRun() throws {
        var config = Self.config(steps: 12)
        config.train.checkpointInterval = 6
        config.train.evalInterval = 4
        let data = try TokenDataset.bytes(of: config.data.path, valFraction: config.data.valFraction)
        func losses(_ trainer: Trainer<ReferenceKernels>, checkpoint: URL?, stopAfter: Int? = nil) throws -> [Int: Float] {
            var out: [Int: Float] = [:]
            _ = try trainer.run(checkpoint: checkpoint, stopAfter: stopAfter, onEvent: {
                if case let .step(step, _, loss, _, _, _) = $0 { out[step] = loss }
                if case let .eval(step, _, loss, _) = $0 { out[1000 + step] = loss }
            })
            return out
        }
        let full = try losses(try Trainer(config: config, data: data, kernels: ReferenceKernels()), checkpoint: nil)
        let ckpt = folder.appendingPathComponent("run/ckpt.safetensors")
        let first = try losses(try Trainer(config: config, data: data, kernels: ReferenceKernels()), checkpoint: ckpt, stopAfter: 6)
        XCTAssertEqual(first.keys.filter { $0 < 1000 }.count, 6)
        let resumed = try Trainer(config: config, data: data, kernels: ReferenceKernels())
        try resumed.resume(from: ckpt)
        XCTAssertEqual(resumed.step, 6)
        let second = try losses(resumed, checkpoint: ckpt)
        var combined = first
        combined.merge(second) { $1 }
        XCTAssertEqual(combined, full, "bit-identical losses after resume")
        // a different config refuses the checkpoint
        var other = config
        other.train.lr = 1e-3
        let mismatched = try Trainer(config: other, data: data, kernels: ReferenceKernels())
        XCTAssertThrowsError(try mismatched.resume(from: ckpt)) { XCTAssertTrue("\($0)".contains("different training config"), "\($0)") }
    }

    func testDivergenceStopsTheRun() throws {
        var config = Self.config(steps: 30, lr: 1e4)
        config.train.maxGradNorm = 50
        config.train.gradClip = 0
        config.train.warmup = 0
        let data = try TokenDataset.bytes(of: config.data.path, valFraction: config.data.valFraction)
        let result = try Trainer(config: config, data: data, kernels: ReferenceKernels()).run()
        XCTAssertEqual(result.outcome, .diverged)
        XCTAssertLessThan(result.steps, 30)
        XCTAssertNotNil(result.reason)
    }

    func testInvalidTrainingSetupsGiveClearErrors() throws {
        let data = try TokenDataset.bytes(of: Self.corpus, valFraction: 0.1)
        var zeroSteps = Self.config(steps: 1)
        zeroSteps.train.steps = 0
        XCTAssertThrowsError(try Trainer(config: zeroSteps, data: data, kernels: ReferenceKernels())) {
            XCTAssertTrue("\($0)".contains("train.steps must be at least 1"), "\($0)")
        }
        let tooLong = Self.config(steps: 1, seqLen: 8192)
        XCTAssertThrowsError(try Trainer(config: tooLong, data: data, kernels: ReferenceKernels())) {
            XCTAssertTrue("\($0)".contains("fewer than one window"), "\($0)")
        }
        var badHeads = Self.config(steps: 1)
        badHeads.model.nHead = 3
        XCTAssertThrowsError(try Trainer(config: badHeads, data: data, kernels: ReferenceKernels())) {
            XCTAssertTrue("\($0)".contains("divisible"), "\($0)")
        }
    }

    func testLRSchedules() {
        let peak = 1.0
        let cosine = LRSchedule.cosine(warmup: 10, minRatio: 0.1)
        XCTAssertEqual(cosine.lr(step: 0, totalSteps: 100, peak: peak), 0.1, accuracy: 1e-12)
        XCTAssertEqual(cosine.lr(step: 9, totalSteps: 100, peak: peak), 1.0, accuracy: 1e-12)
        XCTAssertEqual(cosine.lr(step: 10, totalSteps: 100, peak: peak), 1.0, accuracy: 1e-12)
        XCTAssertEqual(cosine.lr(step: 99, totalSteps: 100, peak: peak), 0.1, accuracy: 1e-12)
        let wsd = LRSchedule.wsd(warmup: 0, cooldownFraction: 0.2, shape: .linear, minRatio: 0)
        XCTAssertEqual(wsd.lr(step: 79, totalSteps: 100, peak: peak), 1.0)
        XCTAssertEqual(wsd.lr(step: 89, totalSteps: 100, peak: peak), 0.5, accuracy: 1e-12)
        XCTAssertEqual(wsd.lr(step: 99, totalSteps: 100, peak: peak), 0.0, accuracy: 1e-12)
        let sqrtShape = LRSchedule.wsd(warmup: 0, cooldownFraction: 0.2, shape: .oneMinusSqrt, minRatio: 0)
        XCTAssertEqual(sqrtShape.lr(step: 84, totalSteps: 100, peak: peak), 1 - 0.25.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(LRSchedule.constant(warmup: 0).lr(step: 50, totalSteps: 100, peak: 0.3), 0.3)
    }

    func testAdamWDecaysOnlyWhereAsked() {
        var p: [Float] = [1, 1], m: [Float] = [0, 0], v: [Float] = [0, 0]
        let g: [Float] = [0, 0]
        var c = AdamWConfig()
        c.weightDecay = 0.5
        AdamW.update(params: &p, grads: g, m: &m, v: &v, range: 0..<1, step: 1, lr: 0.1, decays: true, config: c)
        AdamW.update(params: &p, grads: g, m: &m, v: &v, range: 1..<2, step: 1, lr: 0.1, decays: false, config: c)
        XCTAssertEqual(p[0], 0.95, accuracy: 1e-7)
        XCTAssertEqual(p[1], 1)
        // first Adam step moves by lr * sign(g) (bias correction)
        var q: [Float] = [0], mq: [Float] = [0], vq: [Float] = [0]
        AdamW.update(params: &q, grads: [3], m: &mq, v: &vq, range: 0..<1, step: 1, lr: 0.01, decays: false, config: c)
        XCTAssertEqual(q[0], -0.01, accuracy: 1e-6)
    }
}
