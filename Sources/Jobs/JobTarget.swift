import Foundation
import Store
import Sweeps
import Training

/// The run a job trains and where it records it.
public enum JobTarget {
    /// A new run recorded in the store under `sweep` (`ladder train`).
    case new(store: () throws -> ResultStore, sweep: String, name: String)
    /// A run already stored (`ladder run-job --run ID`, the local and command executors).
    case stored(store: () throws -> ResultStore, runId: Int64)
    /// A cluster task's run folder (`ladder run-job --run-dir`): the database is never opened.
    case folder(RunFolder)

    /// The record (created for `.new`), the sink it is recorded in, and its files.
    func open(config: TrainConfig) throws -> OpenedRun {
        switch self {
        case let .new(store, sweep, name):
            let db = try store()
            guard let stored = try db.insertRuns([RunLocation.record(for: config, name: name)], intoSweep: sweep).first else {
                throw JobError.invalid("could not record the run in \(db.path)")
            }
            return OpenedRun(sink: db, record: stored, folder: RunLocation.folder(store: db, sweep: sweep, runId: stored.id!))
        case let .stored(store, id):
            let db = try store()
            guard let stored = try db.run(id: id) else { throw JobError.invalid("no run with id \(id) in \(db.path)") }
            guard let sweep = try db.sweeps().first(where: { $0.id == stored.sweepId }) else {
                throw JobError.invalid("run \(id) has no sweep in \(db.path)")
            }
            if stored.status == .done { throw JobError.invalid("run \(id) is already done") }
            return OpenedRun(sink: db, record: stored, folder: RunLocation.folder(store: db, sweep: sweep.name, runId: id))
        case let .folder(folder):
            let record: RunRecord
            do { record = try folder.record() } catch { throw JobError.invalid("\(error)") }
            if record.status == .done { throw JobError.invalid("run \(record.id.map(String.init) ?? "?") in \(folder.url.path) is already done") }
            return OpenedRun(sink: folder, record: record, folder: folder.url)
        }
    }

    /// The training config a stored run (or a run folder's run) was planned with.
    public func storedConfig() throws -> TrainConfig {
        let record: RunRecord
        switch self {
        case .new: throw JobError.invalid("a new run has no stored config")
        case let .stored(store, id):
            let db = try store()
            guard let stored = try db.run(id: id) else { throw JobError.invalid("no run with id \(id) in \(db.path)") }
            record = stored
        case let .folder(folder):
            do { record = try folder.record() } catch { throw JobError.invalid("\(error)") }
        }
        let label = record.id.map { "run \($0)" } ?? "the run"
        if record.status == .done { throw JobError.invalid("\(label) is already done") }
        do {
            return try JSONDecoder().decode(TrainConfig.self, from: Data(record.config.utf8))
        } catch {
            throw JobError.invalid("\(label) has no training config the built-in trainer can use: \(error)")
        }
    }
}

/// A job's run, opened: its record, where the record goes, and its folder's files.
struct OpenedRun {
    let sink: RunSink
    let record: RunRecord
    let folder: URL
    var checkpoint: URL { folder.appendingPathComponent("checkpoint.safetensors") }
    /// A WSD branch's starting point: its trunk's checkpoint kept at the branch step (in the
    /// trunk's folder beside this run's).
    var branchFrom: URL? {
        guard let trunk = SweepStore.trunkRun(of: record), let step = SweepStore.branchStep(of: record) else { return nil }
        let trunkCheckpoint = folder.deletingLastPathComponent().appendingPathComponent(String(trunk))
            .appendingPathComponent("checkpoint.safetensors")
        return KeptCheckpoint.url(beside: trunkCheckpoint, step: step)
    }
}

/// Where runs' files live and how a config becomes a run record.
public enum RunLocation {
    /// A run's folder: `<folder of the database>/<sweep>/runs/<id>/`.
    public static func folder(store: ResultStore, sweep: String, runId: Int64) -> URL {
        RunFolder.location(resultsFolder: RunFolder.resultsFolder(of: store), sweep: sweep, runId: runId)
    }

    /// A run's checkpoint: `checkpoint.safetensors` in its folder.
    public static func checkpoint(store: ResultStore, sweep: String, runId: Int64) -> URL {
        folder(store: store, sweep: sweep, runId: runId).appendingPathComponent("checkpoint.safetensors")
    }

    /// A run record describing `config` (size, tokens, FLOPs as 6 N D with N non-embedding).
    public static func record(for config: TrainConfig, name: String?) throws -> RunRecord {
        let layout = ParameterLayout(config.model)
        let n = Double(layout.nonEmbeddingCount(config.model))
        let tokens = Double(config.tokensPerStep * config.train.steps)
        let json = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
        return RunRecord(sweepId: 0, name: name, status: .pending, config: json, nLayer: config.model.nLayer,
                         dModel: config.model.dModel, nHead: config.model.nHead, dFF: config.model.dFF,
                         params: n, paramsTotal: Double(layout.count), tokens: tokens, flops: 6 * n * tokens,
                         seed: Int(truncatingIfNeeded: config.train.seed))
    }
}
