import Compute
import Distributed
import Foundation
import Training
import XCTest

final class PipelineParallelTests: XCTestCase {
    func run(_ config: TrainConfig, data: TokenDataset, stages: Int) throws -> (Fixture.Run, [(ideal: Double, measured: Double)]) {
        let runs = try InProcessWorld.run(size: stages, timeout: 60) { comm -> (Fixture.Run, (ideal: Double, measured: Double)) in
            let trainer = try ModelParallelTrainer(config: config, data: data, kernels: Fixture.kernels(), pipeline: comm)
            var losses: [Float] = []
            let result = try trainer.run(stopAfter: nil, onEvent: { if case let .step(_, _, loss, _, _, _) = $0 { losses.append(loss) } })
            XCTAssertEqual(result.outcome, .done)
            return (Fixture.Run(losses: losses, params: trainer.parameters.toArray(), valLoss: result.finalValLoss),
                    trainer.bubbleFraction!)
        }
        for r in 1..<stages { XCTAssertEqual(runs[r].0.params, runs[0].0.params, "every stage gathers the same parameters") }
        return (runs[0].0, runs.map(\.1))
    }

    func testTwoStagesMatchSingleRank() throws {
        let config = Fixture.config(batch: 2, steps: 6, microBatches: 4)
        let data = Fixture.dataset()
        let reference = try Fixture.reference(config, data: data)
        let (pp, bubbles) = try run(config, data: data, stages: 2)
        Fixture.assertParity(pp, reference, initial: try Fixture.initialParams(config), "pp=2")
        XCTAssertEqual(bubbles[0].ideal, 1.0 / 5.0, accuracy: 1e-12, "(S - 1) / (M + S - 1)")
        for b in bubbles { XCTAssertTrue((0...1).contains(b.measured), "\(b)") }
    }

    func testThreeStagesWithMiddleStageMatchSingleRank() throws {
        let config = Fixture.config(batch: 2, steps: 5, nLayer: 3, microBatches: 3)
        let data = Fixture.dataset()
        let reference = try Fixture.reference(config, data: data)
        let (pp, _) = try run(config, data: data, stages: 3)
        Fixture.assertParity(pp, reference, initial: try Fixture.initialParams(config), "pp=3")
    }

    func testUntiedRoPERMSNormStagesMatchSingleRank() throws {
        var config = Fixture.config(batch: 2, steps: 5, nLayer: 2, microBatches: 2)
        config.model.tiedHead = false
        config.model.position = .rope
        config.model.norm = .rmsNorm
        let data = Fixture.dataset()
        let reference = try Fixture.reference(config, data: data)
        let (pp, _) = try run(config, data: data, stages: 2)
        Fixture.assertParity(pp, reference, initial: try Fixture.initialParams(config), "pp=2 untied rope rmsnorm")
    }

    /// pp=2 combined with each other axis on 4 threads, through the grid: the stage is split over
    /// tp or cp, or the pipeline is replicated over dp.
    func testPipelineCombinedWithEachAxisMatchesSingleRank() throws {
        var config = Fixture.config(batch: 4, steps: 4, microBatches: 2)
        let data = Fixture.dataset()
        let reference = try Fixture.reference(config, data: data)
        let initial = try Fixture.initialParams(config)
        for layout in [ParallelConfig(tp: 2, pp: 2), ParallelConfig(pp: 2, cp: 2), ParallelConfig(dp: 2, pp: 2)] {
            config.parallel = layout
            let runs = try ParallelLauncher.run(backend: .threads, worldSize: 4) { world -> Fixture.Run in
                let trainer = try ParallelTraining.trainer(config: config, data: data, kernels: Fixture.kernels(), world: world)
                XCTAssertTrue(trainer is ModelParallelTrainer<FastKernels>)
                var losses: [Float] = []
                let result = try trainer.run(stopAfter: nil, onEvent: { if case let .step(_, _, loss, _, _, _) = $0 { losses.append(loss) } })
                XCTAssertEqual(result.outcome, .done)
                return Fixture.Run(losses: losses, params: trainer.parameters.toArray(), valLoss: result.finalValLoss)
            }
            let label = "dp=\(layout.dp) tp=\(layout.tp) pp=\(layout.pp) cp=\(layout.cp)"
            for r in 1..<4 { XCTAssertEqual(runs[r].params, runs[0].params, "\(label): rank \(r) parameters") }
            Fixture.assertParity(runs[0], reference, initial: initial, label)
        }
    }

    func testMoreStagesThanLayersIsRefused() throws {
        let config = Fixture.config(nLayer: 2)
        XCTAssertThrowsError(try InProcessWorld.run(size: 3, timeout: 20) { comm in
            _ = try ModelParallelTrainer(config: config, data: Fixture.dataset(), kernels: Fixture.kernels(), pipeline: comm)
        }) { XCTAssertTrue("\($0)".contains("pp (3) must be at most model.n_layer (2)"), "\($0)") }
    }
}
