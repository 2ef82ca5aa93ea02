import Foundation
import GRDB

/// A run together with the name of its sweep, as listings and exports show it.
public struct RunListing: Equatable, Sendable {
    public var run: RunRecord
    public var sweep: String
}

extension ResultStore {
    /// The sweep with this name, if any.
    public func sweep(named name: String) throws -> SweepRecord? {
        try read { db in try SweepRecord.filter(Column("name") == name).fetchOne(db) }
    }

    /// The sweep with this id, if any.
    public func sweep(id: Int64) throws -> SweepRecord? {
        try read { db in try SweepRecord.fetchOne(db, key: id) }
    }

    /// All sweeps, oldest first.
    public func sweeps() throws -> [SweepRecord] {
        try read { db in try SweepRecord.order(Column("id")).fetchAll(db) }
    }

    /// The sweep with this name, created (with `spec`) when absent.
    public func ensureSweep(name: String, spec: String = "") throws -> SweepRecord {
        try write { db in try Self.ensureSweep(db, name: name, spec: spec) }
    }

    static func ensureSweep(_ db: Database, name: String, spec: String) throws -> SweepRecord {
        try SafeName.check(name, field: "sweep name")
        if let existing = try SweepRecord.filter(Column("name") == name).fetchOne(db) { return existing }
        var sweep = SweepRecord(name: name, spec: spec)
        try sweep.insert(db)
        return sweep
    }

    /// Inserts runs into the sweep named `sweep` (created when absent), all in one transaction:
    /// either every run is stored or none is.
    @discardableResult
    public func insertRuns(_ runs: [RunRecord], intoSweep sweep: String, spec: String = "") throws -> [RunRecord] {
        try write { db in
            let sweepRecord = try Self.ensureSweep(db, name: sweep, spec: spec)
            return try runs.map { try Self.insertRun($0, into: sweepRecord, db) }
        }
    }

    /// Inserts one run into a sweep (inside the caller's transaction), refusing unsafe names,
    /// non-finite numbers and a name the sweep already has.
    static func insertRun(_ run: RunRecord, into sweep: SweepRecord, _ db: Database) throws -> RunRecord {
        var run = run
        run.sweepId = sweep.id!
        if let name = run.name { try SafeName.check(name, field: "run name") }
        try run.checkFinite()
        if run.uuid == nil { run.uuid = UUID().uuidString.lowercased() }
        if let name = run.name,
           try RunRecord.filter(Column("sweep_id") == sweep.id! && Column("name") == name).fetchCount(db) > 0 {
            throw StoreError.invalid("sweep '\(sweep.name)' already has a run named '\(name)'")
        }
        try run.insert(db)
        return run
    }

    /// Gives a stored, unfinished run a new plan: its row replaced by `run` (as pending, without
    /// outcome) and its metric points deleted, in one transaction.
    public func replanRun(_ run: RunRecord) throws {
        guard let id = run.id else { throw StoreError.invalid("cannot re-plan a run that was never stored") }
        var run = run
        run.status = .pending
        run.error = nil
        run.finalTrainLoss = nil
        run.finalValLoss = nil
        run.wallSeconds = nil
        run.skippedSteps = nil
        run.updated = Date()
        try write { db in
            try db.execute(sql: "DELETE FROM metric WHERE run_id = ?", arguments: [id])
            try run.update(db)
        }
    }

    /// Replaces a stored run's row (status, losses, timings ...), stamping `updated`.
    public func updateRun(_ run: RunRecord) throws {
        guard run.id != nil else { throw StoreError.invalid("cannot update a run that was never stored") }
        var run = run
        // a loss that overflowed is no loss: kept as missing, so the run's status still lands
        if run.finalTrainLoss.map({ !$0.isFinite }) == true { run.finalTrainLoss = nil }
        if run.finalValLoss.map({ !$0.isFinite }) == true { run.finalValLoss = nil }
        try run.checkFinite()
        run.updated = Date()
        try write { db in try run.update(db) }
    }

    /// The run with this id.
    public func run(id: Int64) throws -> RunRecord? {
        try read { db in try RunRecord.fetchOne(db, key: id) }
    }

    /// Runs with their sweep names, filtered by sweep name and status, in insertion order. Rows
    /// with non-finite numbers are left out (see `poisonedRuns()`).
    public func runs(sweep: String? = nil, status: RunStatus? = nil) throws -> [RunListing] {
        try allRuns(sweep: sweep, status: status).filter { $0.run.nonFiniteColumns.isEmpty }
    }

    /// Every run row, finite or not.
    func allRuns(sweep: String? = nil, status: RunStatus? = nil) throws -> [RunListing] {
        try read { db in
            var sql = "SELECT run.*, sweep.name AS sweep_name FROM run JOIN sweep ON sweep.id = run.sweep_id"
            var clauses: [String] = []
            var arguments: StatementArguments = []
            if let sweep {
                clauses.append("sweep.name = ?")
                _ = arguments.append(contentsOf: [sweep])
            }
            if let status {
                clauses.append("run.status = ?")
                _ = arguments.append(contentsOf: [status.rawValue])
            }
            if !clauses.isEmpty { sql += " WHERE " + clauses.joined(separator: " AND ") }
            sql += " ORDER BY run.id"
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                RunListing(run: try RunRecord(row: row), sweep: row["sweep_name"])
            }
        }
    }

    /// Number of runs, optionally in one sweep.
    public func runCount(sweep: String? = nil) throws -> Int {
        try runs(sweep: sweep).count
    }
}

extension ResultStore {
    /// Appends metric points, all in one transaction. A point for a (run, step) already stored
    /// replaces its values and keeps those the new point lacks, so a resumed run that logs a step
    /// again does not fail, and a step's evaluation recorded apart from its training values does
    /// not erase them.
    public func appendMetrics(_ metrics: [MetricRecord]) throws {
        try write { db in
            for var metric in metrics {
                let stored = try MetricRecord.filter(Column("run_id") == metric.runId && Column("step") == metric.step).fetchOne(db)
                if let stored { metric.fill(from: stored) }
                try metric.upsert(db)
            }
        }
    }

    /// A run's metric points in step order.
    public func metrics(runId: Int64) throws -> [MetricRecord] {
        try read { db in
            try MetricRecord.filter(Column("run_id") == runId).order(Column("step")).fetchAll(db)
        }
    }
}

extension ResultStore {
    /// Stores a fit and returns it with its id.
    @discardableResult
    public func insertFit(_ fit: FitRecord) throws -> FitRecord {
        try write { db in
            var fit = fit
            try fit.insert(db)
            return fit
        }
    }

    /// The fit with this id.
    public func fit(id: Int64) throws -> FitRecord? {
        try read { db in try FitRecord.fetchOne(db, key: id) }
    }

    /// The most recent fit, optionally of one kind; for `.parametric`, the most recent whose law
    /// can plan (see `FitRecord.unusableReason`).
    public func latestFit(kind: FitKind? = nil) throws -> FitRecord? {
        if kind == .parametric { return try latestUsableParametricFit().fit }
        return try read { db in
            var request = FitRecord.order(Column("id").desc)
            if let kind { request = request.filter(Column("kind") == kind.rawValue) }
            return try request.fetchOne(db)
        }
    }
}
