import Foundation
import Store

/// Runs that must wait for another: a WSD branch starts from its trunk's kept checkpoint, so it
/// runs once the trunk is done. Both drivers take runs from their queues through `takeReady`.
enum RunDependencies {
    enum State: Equatable { case ready, waiting, blocked(String) }

    /// `active`: runs queued or running in this driver (a trunk there will still finish).
    static func state(of run: RunRecord, store: ResultStore, active: Set<Int64>) throws -> State {
        guard let trunkId = run.labels.trunkRun else { return .ready }
        guard let trunk = try store.run(id: trunkId) else { return .blocked("its trunk run \(trunkId) is not in the store") }
        if trunk.status == .done { return .ready }
        if active.contains(trunkId) { return .waiting }
        return .blocked("its trunk run \(trunk.name ?? String(trunkId)) is \(trunk.status.rawValue)" + (trunk.error.map { " (\($0))" } ?? ""))
    }

    /// Removes from `queue` and returns the runs that may start now (at most `limit`); runs whose
    /// trunk can no longer finish are recorded failed and returned in `blocked`.
    static func takeReady(_ queue: inout [Int64], limit: Int, running: Set<Int64>, store: ResultStore)
        throws -> (ready: [Int64], blocked: [RunRecord]) {
        var ready: [Int64] = [], blocked: [RunRecord] = [], keep: [Int64] = []
        let active = Set(queue).union(running)
        for id in queue {
            guard ready.count < limit, var r = try store.run(id: id) else { keep.append(id); continue }
            switch try state(of: r, store: store, active: active) {
            case .ready: ready.append(id)
            case .waiting: keep.append(id)
            case let .blocked(reason):
                r.status = .failed
                r.error = "not started: \(reason)"
                try store.updateRun(r)
                blocked.append(r)
            }
        }
        queue = keep
        return (ready, blocked)
    }
}
