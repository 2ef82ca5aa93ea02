import Compute
import Distributed
import Foundation
import Training
import XCTest

final class DataParallelTests: XCTestCase {
    func run(_ config: TrainConfig, data: TokenDataset, dp: Int, zero: ZeroStage) throws -> (Fixture.Run, [Int]) {
        let runs = try InProcessWorld.run(size: dp, timeout: 60) { comm -> (Fixture.Run, Int) in
            let trainer = try ModelParallelTrainer(config: config, data: data, kernels: Fixture.kernels(), dataParallel: comm, zero: zero)
            var losses: [Float] = []
            let result = try trainer.run(onEvent: { if case let .step(_, _, loss, _, _, _) = $0 { losses.append(loss) } })
            XCTAssertEqual(result.outcome, .done)
            return (Fixture.Run(losses: losses, params: trainer.parameters.toArray(), valLoss: result.finalValLoss),
                    trainer.memory.optimizerState)
        }
        for r in 1..<dp { XCTAssertEqual(runs[r].0.params, runs[0].0.params, "ranks hold identical parameters") }
        return (runs[0].0, runs.map(\.1))
    }

    func testTwoRanksMatchSingleRank() throws {
        let config = Fixture.config(batch: 4, steps: 6, microBatches: 2)
        let data = Fixture.dataset()
        let reference = try Fixture.reference(config, data: data)
        let (dp, _) = try run(config, data: data, dp: 2, zero: .none)
        Fixture.assertParity(dp, reference, initial: try Fixture.initialParams(config), "dp=2")
    }

    func testZeroOneMatchesPlainDataParallelAndShardsOptimizerState() throws {
        let config = Fixture.config(batch: 6, steps: 5)
        let data = Fixture.dataset()
        let (plain, plainBytes) = try run(config, data: data, dp: 3, zero: .none)
        let (zero, zeroBytes) = try run(config, data: data, dp: 3, zero: .one)
        Fixture.assertParity(zero, plain, initial: try Fixture.initialParams(config), lossTolerance: 1e-6,
                             paramTolerance: 1e-4, "ZeRO-1 vs dp")
        let n = ParameterLayout(config.model).count
        XCTAssertEqual(plainBytes, [8 * n, 8 * n, 8 * n])
        XCTAssertEqual(zeroBytes.reduce(0, +), 8 * n, "shards cover the state once")
        XCTAssertLessThanOrEqual(zeroBytes.max()!, 8 * (n / 3 + 1))
    }

    /// The parity tolerances separate reduction-order noise from a real difference: the same run
    /// with one more sequence per batch is far outside them.
    func testParityMeasureSeparatesNoiseFromADifferentRun() throws {
        let config = Fixture.config(batch: 4, steps: 6)
        var other = config
        other.train.batch = 6
        let data = Fixture.dataset()
        let initial = try Fixture.initialParams(config)
        let reference = try Fixture.reference(config, data: data)
        let (dp, _) = try run(config, data: data, dp: 2, zero: .none)
        let (different, _) = try run(other, data: data, dp: 2, zero: .none)
        XCTAssertLessThan(Fixture.parameterDistance(dp, reference, initial: initial), 2e-3)
        XCTAssertGreaterThan(Fixture.parameterDistance(different, reference, initial: initial), 0.05)
        XCTAssertGreaterThan(zip(different.losses, reference.losses).map { abs($0 - $1) }.max()!, 1e-3)
    }

    func testBatchThatDoesNotSplitIsRefused() throws {
        let config = Fixture.config(batch: 3)
        XCTAssertThrowsError(try InProcessWorld.run(size: 2, timeout: 20) { comm in
            _ = try ModelParallelTrainer(config: config, data: Fixture.dataset(), kernels: Fixture.kernels(), dataParallel: comm)
        }) { error in XCTAssertTrue("\(error)".contains("train.batch (3) must divide by dp (2)"), "\(error)") }
    }
}
