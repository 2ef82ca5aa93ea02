import Compute
import Distributed
import Foundation
import Training
import XCTest

/// `RankMemory` against the allocator: what the ranks of each layout report is what they hold,
/// measured by `AlignedMemory` (every tensor buffer is an `AlignedBuffer`): parameters,
/// gradients, optimizer state, activations and scratch after construction, and those plus the
/// compute threads' GEMM workspace at the peak of two training steps (up to the last step's
/// end, before a model-parallel run gathers the single-rank parameters).
final class RankMemoryTests: XCTestCase {
    func testReportedRankMemoryIsWhatTheRanksAllocate() throws {
        var config = Fixture.config(batch: 4, steps: 2, seqLen: 32, dModel: 64, nLayer: 4, nHead: 4, microBatches: 2)
        config.train.evalBatches = 1
        let data = Fixture.dataset()
        let layouts = [ParallelConfig(dp: 2), ParallelConfig(dp: 2, zero: 1), ParallelConfig(tp: 2), ParallelConfig(pp: 2),
                       ParallelConfig(cp: 2), ParallelConfig(dp: 2, tp: 2)]
        for layout in layouts {
            var c = config
            c.parallel = layout
            let before = Self.settledLive()
            let lock = NSLock()
            var reported = 0, reportedTraining = 0, held = 0, peak = 0
            _ = try ParallelLauncher.run(backend: .threads, worldSize: layout.worldSize) { world -> Int in
                let trainer = try ParallelTraining.trainer(config: c, data: data, kernels: Fixture.kernels(), world: world)
                let m = trainer.memory
                lock.withLock { reported += m.total + m.activations; reportedTraining += m.training }
                try world.barrier()
                if world.rank == 0 {
                    held = AlignedMemory.live - before
                    AlignedMemory.resetPeak()
                }
                try world.barrier()
                _ = try trainer.run(stopAfter: nil, onEvent: {
                    // the last step's loss is a group mean: every rank has finished the step
                    if world.rank == 0, case let .step(step, _, _, _, _, _) = $0, step == c.train.steps {
                        peak = AlignedMemory.peak - before
                    }
                })
                return 0
            }
            let label = layout.label
            print(String(format: "rank memory %@: reported %.2f MB, held after construction %.2f MB (%.3f); reported with workspace %.2f MB, peak in training %.2f MB (%.3f)",
                         label, Double(reported) / 1e6, Double(held) / 1e6, Double(held) / Double(reported),
                         Double(reportedTraining) / 1e6, Double(peak) / 1e6, Double(peak) / Double(reportedTraining)))
            XCTAssertEqual(Double(held) / Double(reported), 1, accuracy: 0.02, "\(label): held \(held) vs reported \(reported)")
            XCTAssertEqual(Double(peak) / Double(reportedTraining), 1, accuracy: 0.1,
                           "\(label): peak \(peak) vs reported \(reportedTraining)")
        }
    }

    /// `AlignedMemory.live` once it has stopped changing: threads of earlier tests' pools free
    /// their GEMM workspaces as they exit, which would otherwise land inside a measurement.
    static func settledLive() -> Int {
        var last = AlignedMemory.live, stable = 0
        for _ in 0..<200 where stable < 4 {
            usleep(25_000)
            let now = AlignedMemory.live
            stable = now == last ? stable + 1 : 0
            last = now
        }
        return last
    }
}
