import Compute
import Distributed
import Foundation
import Training
import XCTest

/// Mixed precision under data parallelism: bf16 and fp16 runs over two ranks (with and without
/// ZeRO-1) reproduce the single-rank mixed run; fp16's skipped steps are the same steps.
final class MixedDataParallelTests: XCTestCase {
    func run(_ config: TrainConfig, data: TokenDataset, dp: Int, zero: ZeroStage,
             initialScale: Float? = nil) throws -> (Fixture.Run, TrainResult) {
        let runs = try InProcessWorld.run(size: dp, timeout: 120) { comm -> (Fixture.Run, TrainResult) in
            let trainer = try ModelParallelTrainer(config: config, data: data, kernels: Fixture.kernels(), dataParallel: comm, zero: zero)
            if let initialScale { trainer.lossScaler = DynamicLossScaler(scale: initialScale) }
            var losses: [Float] = []
            let result = try trainer.run(onEvent: { if case let .step(_, _, loss, _, _, _) = $0 { losses.append(loss) } })
            return (Fixture.Run(losses: losses, params: trainer.parameters.toArray(), valLoss: result.finalValLoss), result)
        }
        for r in 1..<dp { XCTAssertEqual(runs[r].0.params, runs[0].0.params, "ranks hold identical parameters") }
        return runs[0]
    }

    func reference(_ config: TrainConfig, data: TokenDataset, initialScale: Float? = nil) throws -> (Fixture.Run, TrainResult) {
        let trainer = try Trainer(config: config, data: data, kernels: Fixture.kernels())
        if let initialScale { trainer.lossScaler = DynamicLossScaler(scale: initialScale) }
        var losses: [Float] = []
        let result = try trainer.run(onEvent: { if case let .step(_, _, loss, _, _, _) = $0 { losses.append(loss) } })
        return (Fixture.Run(losses: losses, params: trainer.model.params.toArray(), valLoss: result.finalValLoss), result)
    }

    func testBF16DataParallelMatchesSingleRankBF16() throws {
        var config = Fixture.config(batch: 4, steps: 6, microBatches: 2)
        config.train.precision = .bf16
        let data = Fixture.dataset()
        let (single, singleResult) = try reference(config, data: data)
        XCTAssertEqual(singleResult.outcome, .done)
        let initial = try Fixture.initialParams(config)
        for zero in [ZeroStage.none, .one] {
            let (dp, result) = try run(config, data: data, dp: 2, zero: zero)
            XCTAssertEqual(result.outcome, .done)
            Fixture.assertParity(dp, single, initial: initial, lossTolerance: 1e-3, paramTolerance: 1e-2, "bf16 dp=2 zero=\(zero)")
        }
        // and bf16 is not fp32: the same run in fp32 is outside these tolerances
        var fp32 = config
        fp32.train.precision = .fp32
        let (full, _) = try run(fp32, data: data, dp: 2, zero: .none)
        XCTAssertGreaterThan(Fixture.parameterDistance(full, single, initial: initial), 1e-2, "bf16 differs from fp32")
    }

    func testFP16DataParallelSkipsTheSameStepsAsSingleRank() throws {
        var config = Fixture.config(batch: 4, steps: 8)
        config.train.precision = .fp16
        let data = Fixture.dataset()
        // a scale so large that the first steps' fp16 gradients overflow and are skipped
        let scale: Float = 0x1p24
        let (single, singleResult) = try reference(config, data: data, initialScale: scale)
        XCTAssertGreaterThan(singleResult.skippedSteps, 0, "the first steps overflow at 2^24")
        XCTAssertLessThan(singleResult.skippedSteps, 8)
        for zero in [ZeroStage.none, .one] {
            let (dp, result) = try run(config, data: data, dp: 2, zero: zero, initialScale: scale)
            XCTAssertEqual(result.outcome, .done)
            XCTAssertEqual(result.skippedSteps, singleResult.skippedSteps, "zero=\(zero)")
            XCTAssertEqual(result.lossScale, singleResult.lossScale, "zero=\(zero)")
            Fixture.assertParity(dp, single, initial: try Fixture.initialParams(config), lossTolerance: 1e-3,
                                 paramTolerance: 1e-2, "fp16 dp=2 zero=\(zero)")
        }
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
