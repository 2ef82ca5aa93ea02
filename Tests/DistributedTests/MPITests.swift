import Distributed
import Foundation
import Training
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Runs only under `mpirun -np 2` of a `--traits MPI` build (see .ci/mpi-check); elsewhere it skips,
/// unless LADDER_REQUIRE_MPI=1 (CI), where a missing MPI build or a single-process world fails.
final class MPIDataParallelTests: XCTestCase {
    static var required: Bool { ProcessInfo.processInfo.environment["LADDER_REQUIRE_MPI"] == "1" }

    #if MPI
    func world() throws -> MPICommunicator {
        let world = try MPICommunicator.world(timeout: 60)
        if world.size == 1 {
            if Self.required {
                XCTFail("LADDER_REQUIRE_MPI=1 but the MPI world has 1 rank: launch with mpirun -np 2 (and the mpirun of the MPI this was built against)")
            }
            throw XCTSkip("single-process MPI world; run under mpirun -np 2")
        }
        return world
    }

    func testTwoProcessesMatchSingleRank() throws {
        let world = try world()
        let config = Fixture.config(batch: 2 * world.size, steps: 6, microBatches: 2)
        let data = Fixture.dataset()
        let trainer = try ModelParallelTrainer(config: config, data: data, kernels: Fixture.kernels(), dataParallel: world, zero: .one)
        var losses: [Float] = []
        let result = try trainer.run(onEvent: { if case let .step(_, _, loss, _, _, _) = $0 { losses.append(loss) } })
        XCTAssertEqual(result.outcome, .done)
        let run = Fixture.Run(losses: losses, params: trainer.parameters.toArray(), valLoss: result.finalValLoss)
        let reference = try Fixture.reference(config, data: data)
        Fixture.assertParity(run, reference, initial: try Fixture.initialParams(config), "dp=\(world.size) over MPI, rank \(world.rank)")
        // every process holds the same parameters
        var params = run.params
        var first = params
        try first.withUnsafeMutableBufferPointer { try world.broadcast($0.baseAddress!, count: params.count, root: 0) }
        XCTAssertEqual(params, first, "rank \(world.rank) parameters equal rank 0's")
        params.removeAll()
    }

    /// pp = world size over processes: activations and gradients cross process boundaries.
    func testPipelineOverProcessesMatchesSingleRank() throws {
        let world = try world()
        let config = Fixture.config(batch: 2, steps: 5, nLayer: max(2, world.size), microBatches: 4)
        let data = Fixture.dataset()
        let trainer = try ModelParallelTrainer(config: config, data: data, kernels: Fixture.kernels(), pipeline: world)
        var losses: [Float] = []
        let result = try trainer.run(stopAfter: nil, onEvent: { if case let .step(_, _, loss, _, _, _) = $0 { losses.append(loss) } })
        XCTAssertEqual(result.outcome, .done)
        let run = Fixture.Run(losses: losses, params: trainer.parameters.toArray(), valLoss: result.finalValLoss)
        let reference = try Fixture.reference(config, data: data)
        Fixture.assertParity(run, reference, initial: try Fixture.initialParams(config), "pp=\(world.size) over MPI, rank \(world.rank)")
        try world.barrier()
    }

    /// cp = world size over processes: K/V blocks and their gradients pass around the ring
    /// between processes.
    func testContextParallelOverProcessesMatchesSingleRank() throws {
        let world = try world()
        var config = Fixture.config(batch: 2, steps: 5, seqLen: 8 * world.size)
        config.model.position = .rope
        let data = Fixture.dataset()
        config.parallel = ParallelConfig(cp: world.size)
        let trainer = try ParallelTraining.trainer(config: config, data: data, kernels: Fixture.kernels(), world: world)
        var losses: [Float] = []
        let result = try trainer.run(stopAfter: nil, onEvent: { if case let .step(_, _, loss, _, _, _) = $0 { losses.append(loss) } })
        XCTAssertEqual(result.outcome, .done)
        let run = Fixture.Run(losses: losses, params: trainer.parameters.toArray(), valLoss: result.finalValLoss)
        config.parallel = ParallelConfig()
        let reference = try Fixture.reference(config, data: data)
        Fixture.assertParity(run, reference, initial: try Fixture.initialParams(config), "cp=\(world.size) over MPI, rank \(world.rank)")
        try world.barrier()
    }

    func testDeadRankFailsTheJob() throws {
        guard ProcessInfo.processInfo.environment["LADDER_MPI_KILL_RANK"] == "1" else {
            throw XCTSkip("set LADDER_MPI_KILL_RANK=1 under mpirun: rank 1 exits abruptly and the job must fail")
        }
        let world = try world()
        if world.rank == 1 { _exit(3) }
        var x: [Float] = [1, 2, 3]
        try x.withUnsafeMutableBufferPointer { try world.allReduce($0.baseAddress!, count: 3) }
        XCTFail("rank \(world.rank): the all-reduce with a dead peer returned")
    }
    #else
    func testTwoProcessesMatchSingleRank() throws {
        if Self.required { XCTFail("LADDER_REQUIRE_MPI=1 but this build has no MPI backend: build with --traits MPI") }
        throw XCTSkip("built without the MPI trait")
    }
    #endif
}
