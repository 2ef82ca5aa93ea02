import Foundation

/// Where a training job records what happens to its run: the store itself (local runs, one
/// machine) or a run folder (cluster tasks, whose results the coordinator ingests, so that only
/// one process ever writes the SQLite file).
public protocol RunSink: AnyObject {
    /// Replaces the run's record (status, losses, timings ...).
    func updateRun(_ run: RunRecord) throws
    /// Adds metric points; a point for a step already recorded replaces it.
    func appendMetrics(_ metrics: [MetricRecord]) throws
}

extension ResultStore: RunSink {}
