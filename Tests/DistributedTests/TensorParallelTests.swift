import Distributed
import Foundation
import Training
import XCTest

final class TensorParallelTests: XCTestCase {
    func run(_ config: TrainConfig, data: TokenDataset, tp: Int) throws -> (Fixture.Run, RankMemory) {
        let runs = try InProcessWorld.run(size: tp, timeout: 60) { comm -> (Fixture.Run, RankMemory) in
            let trainer = try ModelParallelTrainer(config: config, data: data, kernels: Fixture.kernels(), tensor: comm)
            var losses: [Float] = []
            let result = try trainer.run(stopAfter: nil, onEvent: { if case let .step(_, _, loss, _, _, _) = $0 { losses.append(loss) } })
            XCTAssertEqual(result.outcome, .done)
            return (Fixture.Run(losses: losses, params: trainer.parameters.toArray(), valLoss: result.finalValLoss), trainer.memory)
        }
        for r in 1..<tp { XCTAssertEqual(runs[r].0.params, runs[0].0.params, "every rank gathers the same parameters") }
        return (runs[0].0, runs[0].1)
    }

    func testTwoRanksMatchSingleRankAndHoldHalfTheBlockWeights() throws {
        let config = Fixture.config(batch: 4, steps: 6, microBatches: 2)
        let data = Fixture.dataset()
        let reference = try Fixture.reference(config, data: data)
        let (tp, memory) = try run(config, data: data, tp: 2)
        Fixture.assertParity(tp, reference, initial: try Fixture.initialParams(config), "tp=2")
        let c = config.model, n = ParameterLayout(c).count
        let blockMatrices = c.nLayer * (3 * c.dModel * c.dModel + 3 * c.dModel + c.dModel * c.dModel + 2 * c.dFF * c.dModel + c.dFF)
        XCTAssertEqual(memory.parameters, 4 * (n - blockMatrices / 2))
        let single = try InProcessWorld.run(size: 1, timeout: 60) { comm in
            try ModelParallelTrainer(config: config, data: data, kernels: Fixture.kernels(), tensor: comm).memory
        }[0]
        // attention and MLP activations are split, the residual stream and logits are not
        XCTAssertLessThan(memory.activations, single.activations * 4 / 5)
        XCTAssertGreaterThan(memory.activations, single.activations / 2)
    }

    func testFourRanksUntiedRoPERMSNormMatchSingleRank() throws {
        var config = Fixture.config(batch: 2, steps: 5)
        config.model.tiedHead = false
        config.model.position = .rope
        config.model.norm = .rmsNorm
        let data = Fixture.dataset()
        let reference = try Fixture.reference(config, data: data)
        let (tp, _) = try run(config, data: data, tp: 4)
        Fixture.assertParity(tp, reference, initial: try Fixture.initialParams(config), "tp=4 untied rope rmsnorm")
    }

    func testHeadsThatDoNotSplitAreRefused() throws {
        let config = Fixture.config(nHead: 4)
        XCTAssertThrowsError(try InProcessWorld.run(size: 3, timeout: 20) { comm in
            _ = try ModelParallelTrainer(config: config, data: Fixture.dataset(), kernels: Fixture.kernels(), tensor: comm)
        }) { XCTAssertTrue("\($0)".contains("model.n_head (4) must divide by tp (3)"), "\($0)") }
    }
}

final class CombinedParallelTests: XCTestCase {
    /// dp=2 x tp=2 on 4 threads, laid out by the grid and built through `ParallelTraining`.
    func testDataTimesTensorParallelOnFourRanksMatchesSingleRank() throws {
        var config = Fixture.config(batch: 4, steps: 6, microBatches: 2)
        let data = Fixture.dataset()
        let reference = try Fixture.reference(config, data: data)
        config.parallel = ParallelConfig(dp: 2, tp: 2)
        let runs = try ParallelLauncher.run(backend: .threads, worldSize: 4) { world -> Fixture.Run in
            let trainer = try ParallelTraining.trainer(config: config, data: data, kernels: Fixture.kernels(), world: world)
            XCTAssertTrue(trainer is ModelParallelTrainer<FastKernels>)
            var losses: [Float] = []
            let result = try trainer.run(stopAfter: nil, onEvent: { if case let .step(_, _, loss, _, _, _) = $0 { losses.append(loss) } })
            return Fixture.Run(losses: losses, params: trainer.parameters.toArray(), valLoss: result.finalValLoss)
        }
        for r in 1..<4 { XCTAssertEqual(runs[r].params, runs[0].params, "rank \(r) holds rank 0's parameters") }
        Fixture.assertParity(runs[0], reference, initial: try Fixture.initialParams(config), "dp=2 x tp=2")
    }

    /// ZeRO-1 over the dp groups of model-parallel layouts: same training, moments divided by dp.
    func testZeroOneWithTensorAndPipelineParallelMatchesSingleRank() throws {
        var config = Fixture.config(batch: 4, steps: 5, microBatches: 2)
        let data = Fixture.dataset()
        let reference = try Fixture.reference(config, data: data)
        let initial = try Fixture.initialParams(config)
        for layout in [ParallelConfig(dp: 2, tp: 2, zero: 1), ParallelConfig(dp: 2, pp: 2, zero: 1)] {
            var plain = layout
            plain.zero = 0
            var memories: [[RankMemory]] = []
            for l in [layout, plain] {
                config.parallel = l
                let runs = try ParallelLauncher.run(backend: .threads, worldSize: 4) { world -> (Fixture.Run, RankMemory) in
                    let trainer = try ParallelTraining.trainer(config: config, data: data, kernels: Fixture.kernels(), world: world)
                    var losses: [Float] = []
                    let result = try trainer.run(stopAfter: nil, onEvent: { if case let .step(_, _, loss, _, _, _) = $0 { losses.append(loss) } })
                    XCTAssertEqual(result.outcome, .done)
                    return (Fixture.Run(losses: losses, params: trainer.parameters.toArray(), valLoss: result.finalValLoss),
                            trainer.memory)
                }
                Fixture.assertParity(runs[0].0, reference, initial: initial, "\(l)")
                for r in 1..<4 { XCTAssertEqual(runs[r].0.params, runs[0].0.params, "\(l): rank \(r)") }
                memories.append(runs.map(\.1))
            }
            for (sharded, full) in zip(memories[0], memories[1]) {
                XCTAssertEqual(Double(sharded.optimizerState), Double(full.optimizerState) / 2, accuracy: 8, "\(layout)")
            }
        }
    }
}
