import Foundation
import Store

/// A driver's claims on the runs it trains (see ``RunLease``): a run is claimed before it starts
/// and released when its job ends, the claims' heartbeat is renewed while they run, and runs
/// another live coordinator (or `run-job`) holds are not started but waited for: when that claim
/// ends (released, or its owner died) the run is done, or it is queued here and resumes.
final class LeaseBook {
    let store: ResultStore
    let owner: LeaseOwner
    let log: (String) -> Void
    /// Runs this driver holds.
    private(set) var held: Set<Int64> = []
    /// Runs another owner holds, that this driver waits for.
    private(set) var waiting: [Int64: RunLease] = [:]
    private var lastHeartbeat = Date()
    private var lastCheck = Date.distantPast
    static let heartbeatInterval: TimeInterval = 30

    init(store: ResultStore, owner: LeaseOwner, log: @escaping (String) -> Void) {
        self.store = store; self.owner = owner; self.log = log
    }

    /// Claims `id` for this driver; false (and the run waits) when another live owner holds it.
    func claim(_ id: Int64, name: String?) throws -> Bool {
        switch try store.claimRun(id, owner: owner) {
        case let .claimed(previous):
            if let previous {
                log("run \(name ?? "#\(id)"): its claim by \(previous.ownerDescription) is stale (owner gone); taking it over")
            }
            held.insert(id)
            return true
        case .shared:
            held.insert(id)
            return true
        case let .held(lease):
            if waiting[id] == nil {
                log("run \(name ?? "#\(id)") is being trained by another process: \(lease.ownerDescription); not starting it, waiting for it")
            }
            waiting[id] = lease
            return false
        }
    }

    func release(_ id: Int64) throws {
        guard held.remove(id) != nil else { return }
        try store.releaseRun(id, token: owner.token)
    }

    func releaseAll() throws {
        for id in held { try store.releaseRun(id, token: owner.token) }
        held.removeAll()
    }

    /// Renews the heartbeat of every held claim, at most every `heartbeatInterval` seconds.
    func heartbeatIfDue() throws {
        guard Date().timeIntervalSince(lastHeartbeat) >= Self.heartbeatInterval else { return }
        lastHeartbeat = Date()
        try store.renewLeases(Array(held), token: owner.token)
    }

    /// The heartbeat, and the runs waited for whose claim ended: unfinished ones join `queue`
    /// (their owner died: they resume here), finished ones are counted in `summary`; returns how
    /// many finished.
    func tend(queue: inout [Int64], summary: inout SweepScheduler.Summary) throws -> Int {
        try heartbeatIfDue()
        var finished = 0
        for id in try freed() {
            guard let r = try store.run(id: id) else { continue }
            if SweepScheduler.runnable.contains(r.status) {
                queue.append(id)
            } else {
                finished += 1
                if r.status == .done { summary.done += 1 } else { summary.failed += 1 }
                log("\(r.name ?? "#\(id)") \(r.status.rawValue) by the process that held it")
            }
        }
        return finished
    }

    /// Runs waited for whose claim has ended (released or stale), removed from the waiting list;
    /// checked at most once a second.
    func freed() throws -> [Int64] {
        guard !waiting.isEmpty, Date().timeIntervalSince(lastCheck) >= 1 else { return [] }
        lastCheck = Date()
        var out: [Int64] = []
        for id in waiting.keys.sorted() {
            if let lease = try store.lease(runId: id), !lease.isStale(staleAfter: ResultStore.leaseTimeout) { continue }
            waiting[id] = nil
            out.append(id)
        }
        return out
    }
}
