import Compute
import Foundation
import ScalingLaws
import Training
import LadderTestSupport
import XCTest

/// Training in each precision: loss curves against fp32, dynamic loss scaling, fp32 master
/// weights, loss-scaler checkpoint/resume.
final class MixedTrainerTests: FolderTestCase {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../TrainingTests/Resources/austen-slice.txt").standardizedFileURL.path

    static func config(_ precision: TrainConfig.Precision, steps: Int, lr: Double = 3e-3) -> TrainConfig {
        var t = TrainConfig.Optimization()
        t.batch = 8
        t.steps = steps
        t.lr = lr
        t.warmup = 10
        t.evalInterval = 0
        t.evalBatches = 4
        t.threads = 2
        t.seed = 7
        t.precision = precision
        return TrainConfig(model: GPTConfig(vocab: 256, seqLen: 32, dModel: 64, nLayer: 2, nHead: 4),
                           data: .init(path: corpus, valFraction: 0.1), train: t)
    }

    /// One pool for the suite's tests, which run one at a time (XCTest runs them serially).
    nonisolated(unsafe) static let kernels = FastKernels(pool: ThreadPool(threadCount: 2))

    static func data(_ config: TrainConfig) throws -> TokenDataset {
        try TokenDataset.bytes(of: config.data.path, valFraction: config.data.valFraction)
    }

    /// Same seed and data: bf16 and fp16 final losses (mean of the last 10 steps, and validation)
    /// within 2% of fp32's after 300 steps; every curve point within 5% after warm-up.
    /// fp8 (experimental) only has to learn comparably (within 10%).
    func testLossCurvesTrackFP32() throws {
        var curves: [TrainConfig.Precision: [Float]] = [:]
        var results: [TrainConfig.Precision: TrainResult] = [:]
        for precision in TrainConfig.Precision.allCases {
            let config = Self.config(precision, steps: 300)
            let trainer = try Trainer(config: config, data: try Self.data(config), kernels: Self.kernels)
            var losses: [Float] = []
            results[precision] = try trainer.run(onEvent: { if case let .step(_, _, loss, _, _, _) = $0 { losses.append(loss) } })
            XCTAssertEqual(results[precision]?.outcome, .done, "\(precision)")
            curves[precision] = losses
        }
        for p in TrainConfig.Precision.allCases {
            print("loss curve \(p): final train \(results[p]?.finalTrainLoss ?? .nan), val \(results[p]?.finalValLoss ?? .nan), skipped \(results[p]?.skippedSteps ?? 0)")
        }
        let reference = try XCTUnwrap(results[.fp32]?.finalTrainLoss)
        let referenceVal = try XCTUnwrap(results[.fp32]?.finalValLoss)
        XCTAssertLessThan(reference, 3.0, "the fp32 run learns (from ln 256 = 5.5)")
        for (precision, tolerance) in [(TrainConfig.Precision.bf16, Float(0.02)), (.fp16, 0.02), (.fp8, 0.10)] {
            let final = try XCTUnwrap(results[precision]?.finalTrainLoss)
            let val = try XCTUnwrap(results[precision]?.finalValLoss)
            XCTAssertEqual(final, reference, accuracy: tolerance * reference, "\(precision) final train loss")
            XCTAssertEqual(val, referenceVal, accuracy: tolerance * referenceVal, "\(precision) final validation loss")
            if precision != .fp8 {
                let a = curves[precision]!, b = curves[.fp32]!
                for i in stride(from: 20, to: 300, by: 20) {
                    let ma = a[(i - 10)..<i].reduce(0, +) / 10, mb = b[(i - 10)..<i].reduce(0, +) / 10
                    XCTAssertEqual(ma, mb, accuracy: 0.05 * mb, "\(precision) loss around step \(i)")
                }
            }
        }
        XCTAssertEqual(results[.fp16]?.skippedSteps, 0, "no overflow at 2^16 on this model")
        XCTAssertEqual(results[.fp16]?.lossScale, 65536)
    }

    /// A loss scale far too large overflows fp16: the step is skipped (weights untouched), the
    /// scale halves, the skip is reported, and training continues once the scale fits.
    func testForcedOverflowHalvesScaleAndSkipsStep() throws {
        let config = Self.config(.fp16, steps: 12)
        let trainer = try Trainer(config: config, data: try Self.data(config), kernels: Self.kernels)
        trainer.lossScaler = DynamicLossScaler(scale: 0x1p30)
        let before = trainer.model.params.toArray()
        var skipped: [(Int, Float, Int)] = []
        var norms: [Float] = []
        _ = try trainer.run(stopAfter: 1, onEvent: {
            if case let .skippedStep(step, scale, total) = $0 { skipped.append((step, scale, total)) }
            if case let .step(_, _, _, _, norm, _) = $0 { norms.append(norm) }
        })
        XCTAssertEqual(trainer.step, 1, "a skipped step still counts as a step")
        XCTAssertEqual(trainer.lossScaler?.scale, 0x1p29, "the scale halves")
        XCTAssertEqual(trainer.lossScaler?.skippedSteps, 1)
        XCTAssertEqual(skipped.count, 1)
        XCTAssertEqual(skipped.first?.1, 0x1p29)
        XCTAssertFalse(norms[0].isFinite, "the overflow shows in the reported gradient norm")
        XCTAssertEqual(trainer.model.params.toArray(), before, "weights untouched by a skipped step")
        let result = try trainer.run(onEvent: { if case let .skippedStep(step, scale, total) = $0 { skipped.append((step, scale, total)) } })
        XCTAssertEqual(result.outcome, .done)
        XCTAssertEqual(result.skippedSteps, skipped.count)
        XCTAssertLessThan(result.skippedSteps, 12, "training resumes once the scale fits")
        XCTAssertNotEqual(trainer.model.params.toArray(), before, "later steps update the weights")
        XCTAssertEqual(result.lossScale, 0x1p30 / Float(1 << result.skippedSteps))
    }

    func testLossScalerGrowsAfterCleanSteps() {
        var s = DynamicLossScaler(scale: 8, growthInterval: 3)
        XCTAssertTrue(s.update(gradientsFinite: true))
        XCTAssertTrue(s.update(gradientsFinite: true))
        XCTAssertEqual(s.scale, 8)
        XCTAssertTrue(s.update(gradientsFinite: true))
        XCTAssertEqual(s.scale, 16, "doubles after growthInterval clean steps")
        XCTAssertFalse(s.update(gradientsFinite: false))
        XCTAssertEqual(s.scale, 8)
        XCTAssertEqual(s.skippedSteps, 1)
        XCTAssertEqual(s.cleanSteps, 0)
        XCTAssertEqual(DynamicLossScaler(checkpointText: s.checkpointText, growthInterval: 3), s)
        XCTAssertNil(DynamicLossScaler(checkpointText: "1,2"))
        XCTAssertEqual(DynamicLossScaler().scale, 65536)
        XCTAssertEqual(DynamicLossScaler().growthInterval, 2000)
    }

    /// bf16 training keeps fp32 master weights: updates far below bf16's resolution (lr 1e-5 on
    /// weights ~0.02, half a bf16 ulp ~4e-5) change the master weights and accumulate over steps,
    /// though rounding each updated weight to bf16 would give back the old bf16 value.
    func testMasterWeightsStayFP32() throws {
        var config = Self.config(.bf16, steps: 10, lr: 1e-5)
        config.train.warmup = 0
        config.train.schedule = .constant
        config.train.weightDecay = 0
        let trainer = try Trainer(config: config, data: try Self.data(config), kernels: Self.kernels)
        let layout = trainer.model.layout
        let range = layout.tensors.first { $0.name == "h.0.mlp.c_fc.weight" || $0.name.hasSuffix("c_fc.weight") }!.range
        let p0 = Array(trainer.model.params.toArray()[range])
        _ = try trainer.run(stopAfter: 1)
        let p1 = Array(trainer.model.params.toArray()[range])
        _ = try trainer.run()
        let p10 = Array(trainer.model.params.toArray()[range])
        var changed = 0, lostInBF16 = 0, accumulated = 0
        for i in p0.indices {
            if p1[i] != p0[i] { changed += 1 }
            if p1[i] != p0[i] && BFloat16(p1[i]) == BFloat16(p0[i]) { lostInBF16 += 1 }
            if abs(p10[i] - p0[i]) > 3 * abs(p1[i] - p0[i]) { accumulated += 1 }
        }
        let n = p0.count
        XCTAssertGreaterThan(changed, n * 9 / 10, "one step moves the fp32 master weights")
        XCTAssertGreaterThan(lostInBF16, n * 2 / 3, "most of those moves are below bf16 resolution")
        XCTAssertGreaterThan(accumulated, n / 4, "and they add up over steps")
        let notBF16 = p10.filter { BFloat16($0).float != $0 }.count
        XCTAssertGreaterThan(notBF16, n * 9 / 10, "master weights are not bf16 values")
    }

    /// The fp16 loss scaler's state (scale, clean steps, skipped steps) survives checkpoint and
    /// resume: the resumed run ends bit-identical to the uninterrupted one.
    func testLossScalerSurvivesCheckpoint() throws {
        var config = Self.config(.fp16, steps: 8)
        config.train.checkpointInterval = 4
        config.train.warmup = 2
        let url = folder.appendingPathComponent("ckpt.safetensors")
        let a = try Trainer(config: config, data: try Self.data(config), kernels: Self.kernels)
        a.lossScaler = DynamicLossScaler(scale: 0x1p28)
        _ = try a.run(checkpoint: url, stopAfter: 4)
        let atCheckpoint = a.lossScaler
        XCTAssertGreaterThan(atCheckpoint?.skippedSteps ?? 0, 0, "the run skipped steps before its checkpoint")
        _ = try a.run()
        let b = try Trainer(config: config, data: try Self.data(config), kernels: Self.kernels)
        try b.resume(from: url)
        XCTAssertEqual(b.lossScaler, atCheckpoint)
        XCTAssertEqual(b.step, 4)
        let resumed = try b.run()
        XCTAssertEqual(b.lossScaler, a.lossScaler)
        XCTAssertEqual(b.model.params.toArray(), a.model.params.toArray())
        XCTAssertEqual(resumed.skippedSteps, a.lossScaler?.skippedSteps)
    }

    func testPrecisionIsRecordedInTheConfigJSON() throws {
        for precision in TrainConfig.Precision.allCases {
            let json = String(decoding: try JSONEncoder().encode(Self.config(precision, steps: 1)), as: UTF8.self)
            XCTAssertTrue(json.contains("\"precision\":\"\(precision.rawValue)\""), json)
            let back = try JSONDecoder().decode(TrainConfig.self, from: Data(json.utf8))
            XCTAssertEqual(back.train.precision, precision)
        }
        XCTAssertTrue(TrainConfig.Precision.fp8.isExperimental)
        XCTAssertEqual(TrainConfig.Precision.fp8.policy.matmulWeights, .e4m3)
        XCTAssertEqual(TrainConfig.Precision.fp8.policy.outputGradients, .bf16)
        XCTAssertEqual(TrainConfig.Precision.bf16.policy.master, .fp32)
        XCTAssertFalse(TrainConfig.Precision.fp32.policy.isMixed)
    }

    /// Saved activations in bf16 take at most 0.6x the fp32 bytes (the memory goal) on the
    /// bench's tiny shape.
    func testSavedActivationBytes() throws {
        let c = GPTConfig(vocab: 4096, seqLen: 256, dModel: 128, nLayer: 4, nHead: 4)
        let fp32 = try GPT(config: c, batch: 4, seqLen: 256, seed: 1).savedActivationBytes
        for precision in [TrainConfig.Precision.bf16, .fp16] {
            let bytes = try GPT(config: c, batch: 4, seqLen: 256, seed: 1, precision: precision).savedActivationBytes
            XCTAssertLessThanOrEqual(Double(bytes), 0.6 * Double(fp32), "\(precision): \(bytes) vs fp32 \(fp32)")
        }
    }
}
