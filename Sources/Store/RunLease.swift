import Foundation
import GRDB

/// Who trains a run now: a process (host, pid, and the kernel's start time of that pid, so a
/// reused pid is not mistaken for the owner) holding a token. A coordinator claims the runs it
/// starts and the `run-job` processes it starts share its token; a `run-job` started by hand
/// claims with a token of its own.
public struct LeaseOwner: Codable, Equatable, Sendable {
    public var token: String
    public var host: String
    public var pid: Int32
    /// `/proc/<pid>/stat`'s start time (clock ticks since boot); empty where there is no /proc.
    public var processStart: String

    public init(token: String, host: String, pid: Int32, processStart: String) {
        self.token = token; self.host = host; self.pid = pid; self.processStart = processStart
    }

    /// This process, holding `token` (a new random one by default).
    public static func current(token: String = UUID().uuidString.lowercased()) -> LeaseOwner {
        let pid = getpid()
        return LeaseOwner(token: token, host: ProcessInfo.processInfo.hostName, pid: pid,
                          processStart: processStartTime(pid) ?? "")
    }

    /// The start time of process `pid` from /proc (field 22 of its stat line), nil when unknown.
    public static func processStartTime(_ pid: Int32) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // fields after the command name (which may hold spaces) start at field 3
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? String(fields[19]) : nil
    }

    /// Whether the owner process is still alive, when it ran on this host; nil for other hosts
    /// (only the heartbeat can tell).
    public var isAliveHere: Bool? {
        guard host == ProcessInfo.processInfo.hostName else { return nil }
        if Foundation.kill(pid, 0) != 0 && errno != EPERM { return false }
        guard !processStart.isEmpty, let now = Self.processStartTime(pid) else { return true }
        return now == processStart
    }
}

/// A claim on a run, as stored.
public struct RunLease: Codable, Equatable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "run_lease"
    public var runId: Int64
    public var token: String
    public var host: String
    public var pid: Int32
    public var processStart: String
    public var acquired: Date
    public var heartbeat: Date

    enum CodingKeys: String, CodingKey {
        case token, host, pid, acquired, heartbeat
        case runId = "run_id", processStart = "process_start"
    }

    public var owner: LeaseOwner { LeaseOwner(token: token, host: host, pid: pid, processStart: processStart) }

    /// Whether the claim no longer protects the run: its owner died (on this host), or (another
    /// host) its heartbeat is older than `staleAfter` seconds.
    public func isStale(now: Date = Date(), staleAfter: TimeInterval) -> Bool {
        if let alive = owner.isAliveHere { return !alive }
        return now.timeIntervalSince(heartbeat) > staleAfter
    }

    /// "pid 123 on host h (heartbeat 4 s ago)".
    public var ownerDescription: String {
        "pid \(pid) on \(host) (claimed \(Self.age(acquired)) ago, heartbeat \(Self.age(heartbeat)) ago)"
    }

    static func age(_ date: Date) -> String {
        let s = max(0, Int(Date().timeIntervalSince(date).rounded()))
        return s >= 120 ? "\(s / 60) min" : "\(s) s"
    }
}

/// What a claim found.
public enum ClaimOutcome: Equatable, Sendable {
    /// The run is ours now; `tookOver` is the stale claim it replaced (its owner died).
    case claimed(tookOver: RunLease?)
    /// Already claimed under the same token, by this owner or by the coordinator whose job this
    /// is: the job trains under that claim, and whoever made it renews and releases it.
    case shared(RunLease)
    /// Another live owner holds it.
    case held(by: RunLease)
}

extension ResultStore {
    /// How long a claim held from another host lives without a heartbeat (`LADDER_LEASE_TIMEOUT`
    /// seconds, default 600). Claims from this host end with their process.
    public static var leaseTimeout: TimeInterval {
        ProcessInfo.processInfo.environment["LADDER_LEASE_TIMEOUT"].flatMap(Double.init) ?? 600
    }

    /// Claims run `runId` for `owner`, atomically: taken when unclaimed, already `owner`'s (same
    /// token: a coordinator's job, re-entrant), or stale; otherwise the live claim is returned.
    public func claimRun(_ runId: Int64, owner: LeaseOwner, staleAfter: TimeInterval = ResultStore.leaseTimeout) throws -> ClaimOutcome {
        try write { db in
            let existing = try RunLease.fetchOne(db, key: runId)
            if let existing, existing.token == owner.token { return .shared(existing) }
            if let existing, !existing.isStale(staleAfter: staleAfter) { return .held(by: existing) }
            let now = Date()
            try RunLease(runId: runId, token: owner.token, host: owner.host, pid: owner.pid, processStart: owner.processStart,
                         acquired: now, heartbeat: now).save(db)
            return .claimed(tookOver: existing)
        }
    }

    /// Renews the heartbeat of `owner`'s claims on `runIds`.
    public func renewLeases(_ runIds: [Int64], token: String) throws {
        guard !runIds.isEmpty else { return }
        try write { db in
            try db.execute(sql: "UPDATE run_lease SET heartbeat = ? WHERE token = ? AND run_id IN (\(runIds.map { _ in "?" }.joined(separator: ",")))",
                           arguments: StatementArguments([Date(), token] as [any DatabaseValueConvertible] + runIds))
        }
    }

    /// Gives up `owner`'s claim on `runId` (nothing when someone else holds it).
    public func releaseRun(_ runId: Int64, token: String) throws {
        try write { db in
            try db.execute(sql: "DELETE FROM run_lease WHERE run_id = ? AND token = ?", arguments: [runId, token])
        }
    }

    /// The claim on `runId`, if any.
    public func lease(runId: Int64) throws -> RunLease? {
        try read { db in try RunLease.fetchOne(db, key: runId) }
    }
}
