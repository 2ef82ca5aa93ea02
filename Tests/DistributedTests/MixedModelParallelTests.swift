import Compute
import Distributed
import Foundation
import Training
import XCTest

/// Mixed precision under data, tensor, pipeline and context parallelism and their combinations:
/// each layout's bf16 and fp16 runs reproduce the single-rank mixed run, fp16 skips the same
/// steps, the loss scaler survives a checkpoint, and the experimental fp8 is refused where its
/// per-tensor scales would be per shard.
final class MixedModelParallelTests: XCTestCase {
    struct Outcome {
        var run: Fixture.Run
        var result: TrainResult
        var memory: RankMemory
    }

    func run(_ config: TrainConfig, data: TokenDataset, initialScale: Float? = nil,
             checkpoint: URL? = nil, stopAfter: Int? = nil, resume: Bool = false,
             bf16Attention: BF16Kernel = .widening) throws -> Outcome {
        let p = config.parallel
        let runs = try ParallelLauncher.run(backend: .threads, worldSize: p.dp * p.tp * p.pp * p.cp) { world -> Outcome in
            let trainer = try ParallelTraining.trainer(config: config, data: data,
                                                       kernels: Fixture.kernels(bf16Attention: bf16Attention), world: world)
            XCTAssertTrue(trainer is ModelParallelTrainer<FastKernels>)
            let model = try XCTUnwrap(trainer as? ModelParallelTrainer<FastKernels>)
            if let initialScale { model.lossScaler = DynamicLossScaler(scale: initialScale) }
            if resume, let checkpoint { try model.resume(from: checkpoint) }
            var losses: [Float] = []
            let result = try trainer.run(stopAfter: stopAfter, checkpoint: checkpoint, shouldStop: nil) {
                if case let .step(_, _, loss, _, _, _) = $0 { losses.append(loss) }
            }
            return Outcome(run: Fixture.Run(losses: losses, params: trainer.parameters.toArray(), valLoss: result.finalValLoss),
                           result: result, memory: trainer.memory)
        }
        for r in 1..<runs.count { XCTAssertEqual(runs[r].run.params, runs[0].run.params, "rank \(r) holds rank 0's parameters") }
        return runs[0]
    }

    func reference(_ config: TrainConfig, data: TokenDataset, initialScale: Float? = nil,
                   bf16Attention: BF16Kernel = .widening) throws -> (Fixture.Run, TrainResult) {
        var single = config
        single.parallel = ParallelConfig()
        let trainer = try Trainer(config: single, data: data, kernels: Fixture.kernels(bf16Attention: bf16Attention))
        if let initialScale { trainer.lossScaler = DynamicLossScaler(scale: initialScale) }
        var losses: [Float] = []
        let result = try trainer.run(onEvent: { if case let .step(_, _, loss, _, _, _) = $0 { losses.append(loss) } })
        XCTAssertEqual(result.outcome, .done)
        return (Fixture.Run(losses: losses, params: trainer.model.params.toArray(), valLoss: result.finalValLoss), result)
    }

    static let layouts = [ParallelConfig(dp: 2), ParallelConfig(dp: 2, zero: 1), ParallelConfig(tp: 2), ParallelConfig(pp: 2),
                          ParallelConfig(cp: 2), ParallelConfig(dp: 2, tp: 2), ParallelConfig(pp: 2, cp: 2)]

    func testBF16InEveryLayoutMatchesSingleRankBF16() throws {
        var config = Fixture.config(batch: 4, steps: 6, microBatches: 2)
        config.train.precision = .bf16
        config.train.evalInterval = 3
        let data = Fixture.dataset()
        let (single, _) = try reference(config, data: data)
        let initial = try Fixture.initialParams(config)
        for layout in Self.layouts {
            config.parallel = layout
            let outcome = try run(config, data: data)
            XCTAssertEqual(outcome.result.outcome, .done)
            print("bf16 \(layout.label): parameter distance \(Fixture.parameterDistance(outcome.run, single, initial: initial))")
            Fixture.assertParity(outcome.run, single, initial: initial, lossTolerance: 1e-3, paramTolerance: 1e-2,
                                 "bf16 \(layout.label)")
        }
        // and the layouts do train in bf16: the fp32 run is outside these tolerances
        config.parallel = ParallelConfig(tp: 2)
        config.train.precision = .fp32
        let full = try run(config, data: data)
        print("fp32 tp=2 against bf16 single rank: parameter distance \(Fixture.parameterDistance(full.run, single, initial: initial))")
        XCTAssertGreaterThan(Fixture.parameterDistance(full.run, single, initial: initial), 1e-2, "bf16 differs from fp32")
    }

    /// The `vdpbf16ps` attention tiles (their portable twin where the CPU lacks them) under the
    /// layouts that run them (all but cp, whose ring attention has fp32 tiles): each layout against
    /// the single-rank run on the same tiles. Their bf16 rounding of P, dS and dO turns the layouts'
    /// different summation orders into differences of bf16's step, hence a looser bound than above.
    func testBF16DotAttentionInEveryLayoutTracksSingleRank() throws {
        var config = Fixture.config(batch: 4, steps: 6, microBatches: 2)
        config.train.precision = .bf16
        config.train.evalInterval = 3
        let data = Fixture.dataset()
        let kernel: BF16Kernel = GEMM.hasBF16DotProduct ? .dotProduct : .portable
        let (single, _) = try reference(config, data: data, bf16Attention: kernel)
        let initial = try Fixture.initialParams(config)
        for layout in Self.layouts where layout.cp == 1 {
            config.parallel = layout
            let outcome = try run(config, data: data, bf16Attention: kernel)
            XCTAssertEqual(outcome.result.outcome, .done)
            print("bf16 dot attention \(layout.label): parameter distance \(Fixture.parameterDistance(outcome.run, single, initial: initial))")
            Fixture.assertParity(outcome.run, single, initial: initial, lossTolerance: 1e-2, paramTolerance: 3e-2,
                                 "bf16 dot attention \(layout.label)")
        }
    }

    func testFP16InEveryLayoutSkipsTheSameStepsAsSingleRank() throws {
        var config = Fixture.config(batch: 4, steps: 8, microBatches: 2)
        config.train.precision = .fp16
        let data = Fixture.dataset()
        // a scale so large that the first steps' fp16 gradients overflow and are skipped
        let scale: Float = 0x1p24
        let (single, singleResult) = try reference(config, data: data, initialScale: scale)
        XCTAssertGreaterThan(singleResult.skippedSteps, 0, "the first steps overflow at 2^24")
        XCTAssertLessThan(singleResult.skippedSteps, 8)
        let initial = try Fixture.initialParams(config)
        for layout in Self.layouts {
            config.parallel = layout
            let outcome = try run(config, data: data, initialScale: scale)
            XCTAssertEqual(outcome.result.outcome, .done)
            XCTAssertEqual(outcome.result.skippedSteps, singleResult.skippedSteps, layout.label)
            XCTAssertEqual(outcome.result.lossScale, singleResult.lossScale, layout.label)
            Fixture.assertParity(outcome.run, single, initial: initial, lossTolerance: 1e-3, paramTolerance: 1e-2,
                                 "fp16 \(layout.label)")
        }
    }

    /// A pipeline fp16 run stopped after a checkpoint and resumed ends where the uninterrupted run
    /// does, loss scale and skipped steps included.
    func testFP16PipelineResumesWithItsLossScale() throws {
        var config = Fixture.config(batch: 4, steps: 8, microBatches: 2)
        config.train.precision = .fp16
        config.train.checkpointInterval = 4
        config.parallel = ParallelConfig(tp: 2, pp: 2)
        let data = Fixture.dataset()
        let scale: Float = 0x1p24
        let whole = try run(config, data: data, initialScale: scale)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mixed-mp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("ckpt.safetensors")
        _ = try run(config, data: data, initialScale: scale, checkpoint: url, stopAfter: 4)
        let resumed = try run(config, data: data, checkpoint: url, resume: true)
        XCTAssertEqual(resumed.result.outcome, .done)
        XCTAssertEqual(resumed.result.lossScale, whole.result.lossScale)
        XCTAssertEqual(resumed.result.skippedSteps, whole.result.skippedSteps)
        XCTAssertEqual(resumed.run.params, whole.run.params, "the resumed run ends with the uninterrupted run's parameters")
    }

    /// bf16 keeps the saved matmul and attention inputs in 2 bytes: a tensor-parallel rank's
    /// activations are smaller than in fp32 (the fp32 residual stream and the weights' bf16 copy
    /// counted).
    func testBF16TensorParallelRankHoldsFewerActivationBytes() throws {
        var config = Fixture.config(batch: 4, steps: 1, seqLen: 64, dModel: 64)
        config.parallel = ParallelConfig(tp: 2)
        let data = Fixture.dataset()
        let fp32 = try run(config, data: data).memory
        config.train.precision = .bf16
        let bf16 = try run(config, data: data).memory
        XCTAssertEqual(bf16.parameters, fp32.parameters, "fp32 master weights")
        XCTAssertLessThan(bf16.activations, fp32.activations * 9 / 10)
    }

    func testFP8IsRefusedOutsideDataParallelism() throws {
        var config = Fixture.config(batch: 4, steps: 2)
        config.train.precision = .fp8
        config.parallel = ParallelConfig(tp: 2)
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("tp=2"), "\($0)") }
        config.parallel = ParallelConfig(dp: 2)
        XCTAssertNoThrow(try config.validate())
        config.train.precision = .bf16
        config.parallel = ParallelConfig(tp: 2)
        XCTAssertNoThrow(try config.validate())
        config.parallel = ParallelConfig()
        config.train.precision = .fp8
        XCTAssertThrowsError(try InProcessWorld.run(size: 2, timeout: 20) { comm in
            _ = try ModelParallelTrainer(config: config, data: Fixture.dataset(), kernels: Fixture.kernels(), pipeline: comm)
        }) { XCTAssertTrue("\($0)".contains("fp8"), "\($0)") }
    }
}
