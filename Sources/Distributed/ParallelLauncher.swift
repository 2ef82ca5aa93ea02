import Foundation
import Training

/// Where the ranks of a parallel run live.
public enum CommunicationBackend: String, CaseIterable, Sendable {
    /// Ranks are threads of this process (`InProcessWorld`).
    case threads
    /// Ranks are processes started by `mpirun` (`MPICommunicator`; needs the `MPI` build trait).
    case mpi

    /// Whether this build has the MPI backend (package trait `MPI`).
    public static var mpiAvailable: Bool {
        #if MPI
        return true
        #else
        return false
        #endif
    }
}

/// Starts the ranks of a run on a backend and hands each its world communicator.
public enum ParallelLauncher {
    /// Runs `body` once per rank: on `worldSize` threads (threads), or once in this process, which
    /// is one rank of the MPI job (mpi; the MPI world size must equal `worldSize`). Returns the
    /// results of the ranks in this process, in rank order. A rank that throws fails the run: its
    /// in-process peers stop with `.peerFailed`; under MPI the job is aborted with its message.
    public static func run<T>(backend: CommunicationBackend, worldSize: Int, timeout: Double = 300,
                              _ body: @escaping (Communicator) throws -> T) throws -> [T] {
        switch backend {
        case .threads:
            return try InProcessWorld.run(size: worldSize, timeout: timeout) { try body($0) }
        case .mpi:
            #if MPI
            let world = try MPICommunicator.world(timeout: timeout)
            guard world.size == worldSize else {
                throw DistributedError.invalidLayout(
                    "the MPI world has \(world.size) process\(world.size == 1 ? "" : "es") but the run needs \(worldSize) (dp x tp x pp x cp); launch with `mpirun -np \(worldSize)`, using the mpirun of the MPI this binary links (another MPI's mpirun starts independent single-rank copies)")
            }
            do {
                return [try body(world)]
            } catch {
                world.abort(reason: "\(error)")
                throw error
            }
            #else
            throw DistributedError.backend("this ladder was built without MPI; rebuild with `swift build -c release --traits MPI` (needs libopenmpi-dev) or use --backend threads")
            #endif
        }
    }
}

extension ParallelGrid {
    /// The grid of a training config's `[parallel]` section.
    public init(_ config: ParallelConfig) throws {
        try self.init(dp: config.dp, tp: config.tp, pp: config.pp, cp: config.cp, worldSize: config.worldSize)
    }
}
