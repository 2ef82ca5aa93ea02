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

    /// The record (created for `.new`), the sink it is recorded in, and its files; a stored run
    /// is claimed for `owner` first (see ``RunLease``), and refused while another live process
    /// holds it.
    func open(config: TrainConfig, owner: LeaseOwner) throws -> OpenedRun {
        switch self {
        case let .new(store, sweep, name):
            let db = try store()
            guard let stored = try db.insertRuns([RunLocation.record(for: config, name: name)], intoSweep: sweep).first else {
                throw JobError.invalid("could not record the run in \(db.path)")
            }
            _ = try db.claimRun(stored.id!, owner: owner)
            return OpenedRun(sink: db, record: stored, folder: RunLocation.folder(store: db, sweep: sweep, run: stored),
                             lease: (db, owner.token))
        case .stored:
            let (stored, db) = try unfinished()
            guard let db, let id = stored.id else { throw JobError.invalid("the stored run has no id") }
            guard let sweep = try db.sweeps().first(where: { $0.id == stored.sweepId }) else {
                throw JobError.invalid("run \(id) has no sweep in \(db.path)")
            }
            let own: Bool
            switch try db.claimRun(id, owner: owner) {
            case let .held(lease):
                throw JobError.busy("run \(id) (\(stored.name ?? "unnamed")) is being trained by another process: \(lease.ownerDescription); not started (it is taken over once that process is gone)")
            case .claimed: own = true
            case .shared: own = false  // a `run-job` under its scheduler's claim: the scheduler renews and releases it
            }
            return OpenedRun(sink: db, record: stored, folder: RunLocation.folder(store: db, sweep: sweep.name, run: stored),
                             lease: own ? (db, owner.token) : nil)
        case let .folder(folder):
            let (record, _) = try unfinished()
            return OpenedRun(sink: folder, record: record, folder: folder.url, lease: nil)
        }
    }

    /// The training config a stored run (or a run folder's run) was planned with.
    public func storedConfig() throws -> TrainConfig {
        let (record, _) = try unfinished()
        do {
            return try JSONDecoder().decode(TrainConfig.self, from: Data(record.config.utf8))
        } catch {
            throw JobError.invalid("run \(record.id.map(String.init) ?? "?") has no training config the built-in trainer can use: \(error)")
        }
    }

    /// The stored run (with its store) or the run folder's run, refused when it is already done.
    /// Read afresh each time: `open` reads it again after the trainer is built, since another
    /// process may have finished it meanwhile.
    private func unfinished() throws -> (record: RunRecord, store: ResultStore?) {
        switch self {
        case .new:
            throw JobError.invalid("a new run has no stored record")
        case let .stored(store, id):
            let db = try store()
            guard let record = try db.run(id: id) else { throw JobError.invalid("no run with id \(id) in \(db.path)") }
            if record.status == .done { throw JobError.invalid("run \(id) is already done") }
            return (record, db)
        case let .folder(folder):
            let record: RunRecord
            do { record = try folder.record() } catch { throw JobError.invalid("\(error)") }
            if record.status == .done { throw JobError.invalid("run \(record.id.map(String.init) ?? "?") in \(folder.url.path) is already done") }
            return (record, nil)
        }
    }
}

/// A job's run, opened: its record, where the record goes, and its folder's files.
struct OpenedRun {
    let sink: RunSink
    let record: RunRecord
    let folder: URL
    /// The claim this job holds itself (renewed while it trains, released at its end); nil when
    /// it trains under its scheduler's claim or in a run folder.
    var lease: (store: ResultStore, token: String)?
    var checkpoint: URL { folder.appendingPathComponent("checkpoint.safetensors") }
    /// A WSD branch's starting point: its trunk's checkpoint kept at the branch step (in the
    /// trunk's folder beside this run's).
    var branchFrom: URL? {
        let labels = record.labels
        guard let trunk = labels.trunkRun, let step = labels.branchStep else { return nil }
        let trunkFolder = RunFolder.name(runId: trunk, uuid: labels.trunkUUID)
        let trunkCheckpoint = folder.deletingLastPathComponent().appendingPathComponent(trunkFolder)
            .appendingPathComponent("checkpoint.safetensors")
        return KeptCheckpoint.url(beside: trunkCheckpoint, step: step)
    }
}

/// Where runs' files live and how a config becomes a run record.
public enum RunLocation {
    /// A run's folder: `<folder of the database>/<sweep>/runs/<id>-<identity>/` (``RunFolder``).
    public static func folder(store: ResultStore, sweep: String, run: RunRecord) -> URL {
        RunFolder.location(resultsFolder: RunFolder.resultsFolder(of: store), sweep: sweep, run: run)
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
