import Compute
import Distributed
import Foundation
import Training
import LadderTestSupport
import XCTest

/// Checkpoints of parallel runs are single-rank checkpoints: a run stopped under one layout
/// resumes under another (or none) and ends where the uninterrupted single-rank run ends.
final class ParallelCheckpointTests: FolderTestCase {
    static func config() -> TrainConfig {
        var config = Fixture.config(batch: 4, steps: 6, microBatches: 2)
        config.train.checkpointInterval = 3
        return config
    }

    /// Runs `layout` on its world from `resume` (when given) with checkpoints to `checkpoint`;
    /// returns rank 0's losses and final parameters.
    func train(_ layout: ParallelConfig, stopAfter: Int?, checkpoint: URL, resume: URL?) throws -> (Fixture.Run, TrainResult) {
        var config = Self.config()
        config.parallel = layout
        let data = Fixture.dataset()
        let runs = try ParallelLauncher.run(backend: .threads, worldSize: layout.worldSize) { world -> (Fixture.Run, TrainResult) in
            let trainer = try ParallelTraining.trainer(config: config, data: data, kernels: Fixture.kernels(), world: world)
            if let resume { try trainer.resume(from: resume) }
            var losses: [Float] = []
            let result = try trainer.run(stopAfter: stopAfter, checkpoint: checkpoint, shouldStop: nil, onEvent: {
                if case let .step(_, _, loss, _, _, _) = $0 { losses.append(loss) }
            })
            return (Fixture.Run(losses: losses, params: trainer.parameters.toArray(), valLoss: result.finalValLoss), result)
        }
        return runs[0]
    }

    func testStoppedUnderOneLayoutResumesUnderAnotherAndMatchesSingleRank() throws {
        let data = Fixture.dataset()
        let reference = try Fixture.reference(Self.config(), data: data)
        let initial = try Fixture.initialParams(Self.config())
        let pairs: [(ParallelConfig, ParallelConfig)] = [
            (ParallelConfig(dp: 2, zero: 1), ParallelConfig(tp: 2, pp: 2)),
            (ParallelConfig(pp: 2, cp: 2), ParallelConfig(dp: 2)),
            (ParallelConfig(dp: 2, tp: 2, zero: 1), ParallelConfig(pp: 2, cp: 2)),
        ]
        for (first, second) in pairs {
            let url = folder.appendingPathComponent("\(first.label)-\(second.label).safetensors")
            let (part1, r1) = try train(first, stopAfter: 3, checkpoint: url, resume: nil)
            XCTAssertEqual(r1.steps, 3)
            let (part2, r2) = try train(second, stopAfter: nil, checkpoint: url, resume: url)
            XCTAssertEqual(r2.outcome, .done)
            XCTAssertEqual(r2.steps, 6)
            let joined = Fixture.Run(losses: part1.losses + part2.losses, params: part2.params, valLoss: part2.valLoss)
            Fixture.assertParity(joined, reference, initial: initial, "\(first) then \(second)")
        }
    }

    /// `train.save_at` keeps checkpoints in parallel runs too (a WSD trunk's branch points), and
    /// each is the single-rank run's state at that step.
    func testParallelRunsKeepTheSaveAtCheckpoints() throws {
        var config = Self.config()
        config.train.saveAt = [2, 5]
        let data = Fixture.dataset()
        let single = folder.appendingPathComponent("single").appendingPathComponent("checkpoint.safetensors")
        try FileManager.default.createDirectory(at: single.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = try Trainer(config: config, data: data, kernels: Fixture.kernels()).run(checkpoint: single, onEvent: { _ in })
        for layout in [ParallelConfig(dp: 2), ParallelConfig(tp: 2), ParallelConfig(pp: 2)] {
            var c = config
            c.parallel = layout
            let url = folder.appendingPathComponent(layout.label).appendingPathComponent("checkpoint.safetensors")
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            _ = try ParallelLauncher.run(backend: .threads, worldSize: layout.worldSize) { world in
                try ParallelTraining.trainer(config: c, data: data, kernels: Fixture.kernels(), world: world)
                    .run(stopAfter: nil, checkpoint: url, shouldStop: nil, onEvent: { _ in })
            }
            for step in [2, 5] {
                let kept = KeptCheckpoint.url(beside: url, step: step), reference = KeptCheckpoint.url(beside: single, step: step)
                XCTAssertTrue(FileManager.default.fileExists(atPath: kept.path), "\(layout.label): step \(step) not kept")
                let (a, b) = (try Safetensors.read(kept), try Safetensors.read(reference))
                XCTAssertEqual(a.metadata["step"], String(step))
                XCTAssertEqual(Set(a.tensors.keys), Set(b.tensors.keys))
                for (name, t) in b.tensors {
                    let mine = try XCTUnwrap(a.tensors[name]).values
                    let worst = zip(mine, t.values).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
                    XCTAssertLessThan(worst, 1e-4, "\(layout.label) step \(step) \(name)")
                }
            }
        }
    }

    /// A WSD branch trains under any layout from a single-rank trunk's kept checkpoint and ends
    /// where the single-rank branch ends.
    func testParallelWSDBranchMatchesTheSingleRankBranch() throws {
        var trunk = Self.config()
        trunk.train.steps = 8
        trunk.train.schedule = .constant
        trunk.train.saveAt = [4]
        var branch = trunk
        branch.train.steps = 7
        branch.train.schedule = .wsd
        branch.train.cooldownFraction = 3.0 / 7.0
        branch.train.saveAt = []
        let data = Fixture.dataset()
        let trunkURL = folder.appendingPathComponent("trunk").appendingPathComponent("checkpoint.safetensors")
        try FileManager.default.createDirectory(at: trunkURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = try Trainer(config: trunk, data: data, kernels: Fixture.kernels()).run(checkpoint: trunkURL, onEvent: { _ in })
        let at4 = KeptCheckpoint.url(beside: trunkURL, step: 4)
        let single = try Trainer(config: branch, data: data, kernels: Fixture.kernels())
        try single.branch(from: at4)
        var singleLosses: [Float] = []
        let singleResult = try single.run(onEvent: { if case let .step(_, _, loss, _, _, _) = $0 { singleLosses.append(loss) } })
        for layout in [ParallelConfig(dp: 2, zero: 1), ParallelConfig(tp: 2), ParallelConfig(pp: 2), ParallelConfig(cp: 2)] {
            var c = branch
            c.parallel = layout
            let runs = try ParallelLauncher.run(backend: .threads, worldSize: layout.worldSize) { world -> ([Float], [Float], TrainResult) in
                let trainer = try ParallelTraining.trainer(config: c, data: data, kernels: Fixture.kernels(), world: world)
                try trainer.branch(from: at4)
                XCTAssertEqual(trainer.step, 4)
                var losses: [Float] = []
                let result = try trainer.run(stopAfter: nil, checkpoint: nil, shouldStop: nil, onEvent: {
                    if case let .step(_, _, loss, _, _, _) = $0 { losses.append(loss) }
                })
                return (losses, trainer.parameters.toArray(), result)
            }
            let (losses, params, result) = runs[0]
            XCTAssertEqual(result.stepsRun, 3, layout.label)
            XCTAssertEqual(losses.count, singleLosses.count, layout.label)
            for (a, b) in zip(losses, singleLosses) { XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b)), layout.label) }
            let worst = zip(params, single.model.params.toArray()).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
            XCTAssertLessThan(worst, 1e-4, layout.label)
            XCTAssertEqual(result.finalValLoss ?? 0, singleResult.finalValLoss ?? 1, accuracy: 1e-4, layout.label)
        }
        // the branch's checks hold under a layout too: a cooldown before the branch point is refused
        var early = branch
        early.train.cooldownFraction = 5.0 / 7.0
        early.parallel = ParallelConfig(dp: 2)
        _ = try ParallelLauncher.run(backend: .threads, worldSize: 2) { world in
            let trainer = try ParallelTraining.trainer(config: early, data: data, kernels: Fixture.kernels(), world: world)
            XCTAssertThrowsError(try trainer.branch(from: at4)) { XCTAssertTrue("\($0)".contains("learning rate at step"), "\($0)") }
        }
    }

    func testSingleRankTrainerResumesAParallelCheckpointAndViceVersa() throws {
        let config = Self.config(), data = Fixture.dataset()
        let reference = try Fixture.reference(config, data: data)
        let initial = try Fixture.initialParams(config)
        // parallel (tp=2) writes at step 3, the single-rank trainer finishes
        let url = folder.appendingPathComponent("tp.safetensors")
        let (part1, _) = try train(ParallelConfig(tp: 2), stopAfter: 3, checkpoint: url, resume: nil)
        let single = try Trainer(config: config, data: data, kernels: Fixture.kernels())
        try single.resume(from: url)
        XCTAssertEqual(single.step, 3)
        var losses: [Float] = []
        _ = try single.run(onEvent: { if case let .step(_, _, loss, _, _, _) = $0 { losses.append(loss) } })
        Fixture.assertParity(Fixture.Run(losses: part1.losses + losses, params: single.model.params.toArray(), valLoss: nil),
                             reference, initial: initial, "tp=2 then single rank")
        // the single-rank trainer writes at step 3, cp=2 finishes
        let url2 = folder.appendingPathComponent("single.safetensors")
        let first = try Trainer(config: config, data: data, kernels: Fixture.kernels())
        var firstLosses: [Float] = []
        _ = try first.run(checkpoint: url2, stopAfter: 3, onEvent: { if case let .step(_, _, loss, _, _, _) = $0 { firstLosses.append(loss) } })
        let (part2, _) = try train(ParallelConfig(cp: 2), stopAfter: nil, checkpoint: url2, resume: url2)
        Fixture.assertParity(Fixture.Run(losses: firstLosses + part2.losses, params: part2.params, valLoss: part2.valLoss),
                             reference, initial: initial, "single rank then cp=2")
    }

    /// A stop request on one rank only stops every rank at the same step, with a checkpoint.
    func testStopRequestedOnOneRankStopsAllWithACheckpoint() throws {
        let url = folder.appendingPathComponent("stop.safetensors")
        var config = Self.config()
        config.parallel = ParallelConfig(tp: 2, pp: 2)
        let data = Fixture.dataset()
        let results = try ParallelLauncher.run(backend: .threads, worldSize: 4) { world -> (Int, TrainOutcome) in
            let trainer = try ParallelTraining.trainer(config: config, data: data, kernels: Fixture.kernels(), world: world)
            let result = try trainer.run(stopAfter: nil, checkpoint: url, shouldStop: { world.rank == 3 && trainer.step >= 2 },
                                         onEvent: { _ in })
            return (result.steps, result.outcome)
        }
        for (steps, outcome) in results {
            XCTAssertEqual(steps, 2)
            XCTAssertEqual(outcome, .interrupted)
        }
        let file = try Safetensors.read(url)
        XCTAssertEqual(file.metadata["step"], "2")
        XCTAssertEqual(file.metadata["format"], TrainingCheckpoint.format)
    }

    func testCheckpointOfAnotherRunIsRefused() throws {
        let url = folder.appendingPathComponent("other.safetensors")
        _ = try train(ParallelConfig(dp: 2), stopAfter: 3, checkpoint: url, resume: nil)
        var other = Self.config()
        other.train.lr *= 2
        other.parallel = ParallelConfig(dp: 2)
        XCTAssertThrowsError(try ParallelLauncher.run(backend: .threads, worldSize: 2) { world in
            try ParallelTraining.trainer(config: other, data: Fixture.dataset(), kernels: Fixture.kernels(), world: world)
                .resume(from: url)
        }) { XCTAssertTrue("\($0)".contains("was written for a different training config"), "\($0)") }
    }
}
