import GRDB

/// `ladder import`: runs from a file with their task metrics, and the stored metrics a task fit reads.
extension ResultStore {
    /// The step an imported run's task metrics are stored at (an imported run has no steps).
    public static let importedMetricStep = 0

    /// Stores imported runs and their `task:NAME` values in one transaction: every run and metric
    /// is stored or none is. A name the sweep already has is refused with the run's place in the
    /// file (`RunImportError`), listing every clash.
    @discardableResult
    public func importRuns(_ runs: [ImportedRun], intoSweep sweep: String, file: String,
                           format: RunImportError.Format = .csv, host: String? = nil,
                           codeVersion: String? = nil) throws -> [RunRecord] {
        try write { db in
            let sweepRecord = try Self.ensureSweep(db, name: sweep, spec: "")
            let stored = Set(try String.fetchAll(db, sql: "SELECT name FROM run WHERE sweep_id = ? AND name IS NOT NULL",
                                                 arguments: [sweepRecord.id!]))
            let clashes = runs.filter { $0.name.map(stored.contains) == true }
            if !clashes.isEmpty {
                throw RunImportError(file: file, problems: clashes.map {
                    .init(line: $0.line, key: "name", message: "sweep '\(sweep)' already has a run named '\($0.name!)'")
                }, format: format)
            }
            return try runs.map { run in
                let record = try Self.insertRun(run.record(host: host, codeVersion: codeVersion), into: sweepRecord, db)
                for (name, value) in run.tasks.sorted(by: { $0.key < $1.key }) {
                    guard value.isFinite, !name.isEmpty else {
                        throw StoreError.invalid("run '\(run.name ?? "line \(run.line)")': task:\(name) must be a finite number, got \(value)")
                    }
                    var point = TaskMetricRecord(runId: record.id!, step: Self.importedMetricStep, name: name, value: value)
                    try point.insert(db)
                }
                return record
            }
        }
    }

    /// Each run's last value of the task metric `name` (case-insensitive): the value at the
    /// run's largest step that has one. Runs without a (finite) value are absent.
    public func finalTaskMetrics(named name: String, runIds: [Int64]) throws -> [Int64: Double] {
        let wanted = Set(runIds)
        let rows = try read { db in
            try Row.fetchAll(db, sql: """
                SELECT t.run_id, t.value FROM task_metric t
                WHERE lower(t.name) = lower(?1)
                  AND t.step = (SELECT MAX(u.step) FROM task_metric u WHERE u.run_id = t.run_id AND lower(u.name) = lower(?1))
                """, arguments: [name])
        }
        var values: [Int64: Double] = [:]
        for row in rows {
            let id: Int64 = row["run_id"], value: Double = row["value"]
            if wanted.contains(id) && value.isFinite { values[id] = value }
        }
        return values
    }

    /// The distinct task-metric names stored for these runs, sorted.
    public func taskMetricNames(runIds: [Int64]) throws -> [String] {
        let wanted = Set(runIds)
        let rows = try read { db in try Row.fetchAll(db, sql: "SELECT DISTINCT run_id, name FROM task_metric") }
        return Set(rows.filter { wanted.contains($0["run_id"]) }.map { ($0["name"] as String) }).sorted()
    }
}
