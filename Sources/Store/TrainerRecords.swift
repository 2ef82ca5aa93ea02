import GRDB

/// A named task metric (an evaluation such as `hellaswag` or `val_bpb`) a trainer reported at a step.
public struct TaskMetricRecord: Codable, Equatable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "task_metric"
    public var id: Int64?
    public var runId: Int64
    public var step: Int
    public var name: String
    public var value: Double

    enum CodingKeys: String, CodingKey { case id, step, name, value, runId = "run_id" }

    public init(id: Int64? = nil, runId: Int64, step: Int, name: String, value: Double) {
        self.id = id; self.runId = runId; self.step = step; self.name = name; self.value = value
    }
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// The accelerators a run held: GPUs per run (0 on CPU), GPU-hours summed over its attempts, and
/// the device and world size its trainer reported.
public struct RunResourcesRecord: Codable, Equatable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "run_resources"
    public var runId: Int64
    public var gpus: Int
    public var gpuHours: Double
    public var device: String?
    public var worldSize: Int?

    enum CodingKeys: String, CodingKey {
        case gpus, device, runId = "run_id", gpuHours = "gpu_hours", worldSize = "world_size"
    }

    public init(runId: Int64, gpus: Int, gpuHours: Double, device: String? = nil, worldSize: Int? = nil) {
        self.runId = runId; self.gpus = gpus; self.gpuHours = gpuHours; self.device = device; self.worldSize = worldSize
    }
}
