#if MPI
internal import CMPI
import Foundation

/// Ranks as processes through MPI (OpenMPI): `mpirun -np N ladder ...` on one machine or many.
/// Built only with the package trait `MPI` (`swift build --traits MPI`), so the default build
/// needs no MPI installed.
///
/// Every operation is the non-blocking MPI call (MPI_Iallreduce, MPI_Ireduce_scatter, ...)
/// completed by polling MPI_Test against a deadline, so a peer that never arrives gives a
/// `.timeout` error instead of a hang. A process that dies is noticed by mpirun, which ends the
/// job with a message naming the rank; `abort(reason:)` ends it through MPI_Abort.
public final class MPICommunicator: Communicator, @unchecked Sendable {
    let comm: MPI_Comm
    public let rank: Int
    public let size: Int
    public let timeout: Double
    /// Sends in flight: the request and the copy of the data it sends (sends are buffered, as
    /// the in-process backend's are, so two neighbours sending to each other cannot deadlock).
    private var pendingSends: [(request: MPI_Request?, copy: UnsafeMutablePointer<Float>)] = []

    init(comm: MPI_Comm, timeout: Double) throws {
        self.comm = comm
        self.timeout = timeout
        var r: Int32 = 0, s: Int32 = 0
        try Self.check(MPI_Comm_rank(comm, &r), "MPI_Comm_rank")
        try Self.check(MPI_Comm_size(comm, &s), "MPI_Comm_size")
        rank = Int(r)
        size = Int(s)
        try Self.check(MPI_Comm_set_errhandler(comm, cmpi_errors_return()), "MPI_Comm_set_errhandler")
    }

    /// Initializes MPI (once per process) and returns MPI_COMM_WORLD. MPI is finalized at exit.
    public static func world(timeout: Double = 300) throws -> MPICommunicator {
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        if initialized == 0 {
            var provided: Int32 = 0
            try check(MPI_Init_thread(nil, nil, cmpi_thread_funneled(), &provided), "MPI_Init_thread")
            atexit {
                var finalized: Int32 = 0
                MPI_Finalized(&finalized)
                if finalized == 0 { MPI_Finalize() }
            }
        }
        return try MPICommunicator(comm: cmpi_comm_world(), timeout: timeout)
    }

    deinit { try? completeSends(wait: true) }

    /// Frees the buffers of finished sends; with `wait`, first waits for all of them.
    private func completeSends(wait: Bool) throws {
        var i = 0
        while i < pendingSends.count {
            var request = pendingSends[i].request
            if wait {
                try self.wait(&request, "send")
            } else {
                var done: Int32 = 0
                try Self.check(MPI_Test(&request, &done, cmpi_status_ignore()), "MPI_Test")
                if done == 0 { pendingSends[i].request = request; i += 1; continue }
            }
            pendingSends[i].copy.deallocate()
            pendingSends.remove(at: i)
        }
    }

    static func check(_ code: Int32, _ what: String) throws {
        guard code != cmpi_success() else { return }
        var text = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
        var length: Int32 = 0
        MPI_Error_string(code, &text, &length)
        throw DistributedError.backend("\(what) failed: \(String(cString: text))")
    }

    /// Polls `request` until it completes or the timeout passes.
    private func wait(_ request: inout MPI_Request?, _ what: String) throws {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeout * 1e9)
        var done: Int32 = 0
        var polls = 0
        while true {
            try Self.check(MPI_Test(&request, &done, cmpi_status_ignore()), what)
            if done != 0 { return }
            polls += 1
            if polls & 1023 == 0 {
                if DispatchTime.now().uptimeNanoseconds > deadline {
                    throw DistributedError.timeout("rank \(rank) of \(size) waited \(timeout) s in \(what) for its peers; a peer died or is stuck")
                }
                if polls > 100_000 { usleep(50) }
            }
        }
    }

    private func int32(_ n: Int) -> Int32 {
        precondition(n <= Int(Int32.max), "MPI counts are 32-bit: \(n) floats is too many for one call")
        return Int32(n)
    }

    public func allReduce(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {
        guard size > 1 else { return }
        var req: MPI_Request?
        try Self.check(MPI_Iallreduce(cmpi_in_place(), buffer, int32(count), cmpi_float(), cmpi_sum(), comm, &req), "MPI_Iallreduce")
        try wait(&req, "allReduce")
    }

    public func reduceScatter(_ buffer: UnsafeMutablePointer<Float>, counts: [Int]) throws {
        guard size > 1 else { return }
        let c = counts.map(int32)
        var req: MPI_Request?
        // In place: the input is the whole buffer, the result lands at its start.
        try Self.check(MPI_Ireduce_scatter(cmpi_in_place(), buffer, c, cmpi_float(), cmpi_sum(), comm, &req), "MPI_Ireduce_scatter")
        try wait(&req, "reduceScatter")
        let offset = Self.offsets(counts)[rank]
        if offset > 0 { (buffer + offset).update(from: buffer, count: counts[rank]) }
    }

    public func allGather(_ buffer: UnsafeMutablePointer<Float>, counts: [Int]) throws {
        guard size > 1 else { return }
        let c = counts.map(int32), d = Self.offsets(counts).map(int32)
        var req: MPI_Request?
        try Self.check(MPI_Iallgatherv(cmpi_in_place(), 0, cmpi_datatype_null(), buffer, c, d, cmpi_float(), comm, &req), "MPI_Iallgatherv")
        try wait(&req, "allGather")
    }

    public func broadcast(_ buffer: UnsafeMutablePointer<Float>, count: Int, root: Int) throws {
        guard size > 1 else { return }
        var req: MPI_Request?
        try Self.check(MPI_Ibcast(buffer, int32(count), cmpi_float(), Int32(root), comm, &req), "MPI_Ibcast")
        try wait(&req, "broadcast")
    }

    /// Buffered: copies the data, starts the send and returns; the copy is freed once the send
    /// completes (checked on later calls; `barrier` waits for all).
    public func send(_ buffer: UnsafePointer<Float>, count: Int, to destination: Int, tag: Int) throws {
        try completeSends(wait: false)
        let copy = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        copy.update(from: buffer, count: count)
        var req: MPI_Request?
        do {
            try Self.check(MPI_Isend(copy, int32(count), cmpi_float(), Int32(destination), Int32(tag), comm, &req), "MPI_Isend")
        } catch {
            copy.deallocate()
            throw error
        }
        pendingSends.append((req, copy))
    }

    public func receive(_ buffer: UnsafeMutablePointer<Float>, count: Int, from source: Int, tag: Int) throws {
        try completeSends(wait: false)
        var req: MPI_Request?
        try Self.check(MPI_Irecv(buffer, int32(count), cmpi_float(), Int32(source), Int32(tag), comm, &req), "MPI_Irecv")
        try wait(&req, "receive from rank \(source) (tag \(tag))")
    }

    public func barrier() throws {
        try completeSends(wait: true)
        guard size > 1 else { return }
        var req: MPI_Request?
        try Self.check(MPI_Ibarrier(comm, &req), "MPI_Ibarrier")
        try wait(&req, "barrier")
    }

    public func split(color: Int, key: Int) throws -> Communicator {
        var child: MPI_Comm?
        try Self.check(MPI_Comm_split(comm, Int32(color), Int32(key), &child), "MPI_Comm_split")
        return try MPICommunicator(comm: child!, timeout: timeout)
    }

    /// Prints the reason and ends every process of the job (MPI_Abort).
    public func abort(reason: String) {
        FileHandle.standardError.write(Data("rank \(rank) of \(size) aborting the MPI job: \(reason)\n".utf8))
        MPI_Abort(comm, 1)
    }
}
#endif
