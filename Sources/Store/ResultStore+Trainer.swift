import GRDB

/// What an external trainer's metrics stream needs beyond `appendMetrics`: dropping the points a
/// resumed run will log again, named task metrics, and the resources a run held.
extension ResultStore {
    /// Deletes a run's metric and task-metric points after `step` (a trainer restarting from its
    /// checkpoint at `step` logs them again). Returns how many metric points went.
    @discardableResult
    public func deleteMetrics(runId: Int64, afterStep step: Int) throws -> Int {
        try write { db in
            try TaskMetricRecord.filter(Column("run_id") == runId && Column("step") > step).deleteAll(db)
            return try MetricRecord.filter(Column("run_id") == runId && Column("step") > step).deleteAll(db)
        }
    }

    /// Stores task metrics; a (run, step, name) already stored takes the new value.
    public func appendTaskMetrics(_ points: [TaskMetricRecord]) throws {
        try write { db in
            for var point in points {
                try TaskMetricRecord.filter(Column("run_id") == point.runId && Column("step") == point.step
                                            && Column("name") == point.name).deleteAll(db)
                try point.insert(db)
            }
        }
    }

    /// A run's task metrics in (step, name) order.
    public func taskMetrics(runId: Int64) throws -> [TaskMetricRecord] {
        try read { db in
            try TaskMetricRecord.filter(Column("run_id") == runId).order(Column("step"), Column("name")).fetchAll(db)
        }
    }

    /// Adds `gpuHours` to a run's total and records its GPU count, device and world size.
    public func addResources(runId: Int64, gpus: Int, gpuHours: Double, device: String?, worldSize: Int?) throws {
        try write { db in
            var record = try RunResourcesRecord.fetchOne(db, key: runId)
                ?? RunResourcesRecord(runId: runId, gpus: gpus, gpuHours: 0)
            record.gpus = gpus
            record.gpuHours += gpuHours
            record.device = device ?? record.device
            record.worldSize = worldSize ?? record.worldSize
            try record.save(db)
        }
    }

    public func resources(runId: Int64) throws -> RunResourcesRecord? {
        try read { db in try RunResourcesRecord.fetchOne(db, key: runId) }
    }
}
