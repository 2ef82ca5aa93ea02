import Foundation

/// A run's folder on a filesystem the coordinator and the cluster's tasks share:
///
///     run.json       the run's record, rewritten atomically at every state change
///     metrics.jsonl  metric points, one JSON object a line, appended as they come
///     checkpoint.safetensors, log.txt
///
/// A task that writes here never opens the database; `ingest(into:)` brings the folder into the
/// store (run by the coordinator). A line torn by a crash mid-write is skipped on ingest.
public final class RunFolder: RunSink {
    public let url: URL
    public var recordURL: URL { url.appendingPathComponent("run.json") }
    public var metricsURL: URL { url.appendingPathComponent("metrics.jsonl") }

    public init(url: URL) { self.url = url }

    /// Where every executor keeps a run's files: `<resultsFolder>/<sweep>/runs/<id>-<identity>/`,
    /// with `resultsFolder` the database's folder and `<identity>` the first 12 characters of the
    /// run's uuid, so a run never meets files another run (of this database, another one, or a
    /// deleted one) left under the same id. Runs stored before identities existed: `<id>/`.
    public static func location(resultsFolder: URL, sweep: String, run: RunRecord) -> URL {
        resultsFolder.appendingPathComponent(sweep).appendingPathComponent("runs")
            .appendingPathComponent(name(runId: run.id ?? 0, uuid: run.uuid))
    }

    /// A run folder's name: `<id>-<first 12 characters of the uuid>`, or `<id>` without one.
    public static func name(runId: Int64, uuid: String?) -> String {
        guard let uuid, !uuid.isEmpty else { return String(runId) }
        return "\(runId)-\(uuid.replacingOccurrences(of: "-", with: "").prefix(12))"
    }

    /// The folder a store's run folders live under: the database's own folder.
    public static func resultsFolder(of store: ResultStore) -> URL {
        URL(fileURLWithPath: store.path).deletingLastPathComponent()
    }

    /// Refuses a folder whose path climbs out with `..`, or whose sweep component (in
    /// `<sweep>/runs/<id>`) is not a safe name: a second line of defence behind the store, which
    /// refuses such sweep names when they are first given.
    public func checkSafe() throws {
        let parts = url.pathComponents
        if parts.contains("..") {
            throw StoreError.invalid("run folder \(url.path) climbs out of its results folder ('..'); nothing was written")
        }
        if parts.count >= 3, parts[parts.count - 2] == "runs", let problem = SafeName.problem(parts[parts.count - 3]) {
            throw StoreError.invalid("run folder \(url.path): sweep folder '\(SafeName.printable(parts[parts.count - 3]))' \(problem) (\(SafeName.rule)); nothing was written")
        }
    }

    /// Writes the record a task starts from (the coordinator does this before submitting).
    public func prepare(_ run: RunRecord) throws {
        try checkSafe()
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try updateRun(run)
    }

    /// The record as last written.
    public func record() throws -> RunRecord {
        let data: Data
        do { data = try Data(contentsOf: recordURL) } catch {
            throw StoreError.invalid("\(recordURL.path): cannot read the run record (\(error.localizedDescription))")
        }
        do { return try Self.decoder.decode(RunRecord.self, from: data) } catch {
            throw StoreError.invalid("\(recordURL.path) is not a run record: \(error)")
        }
    }

    public func updateRun(_ run: RunRecord) throws {
        try checkSafe()
        var run = run
        run.updated = Date()
        try Self.encoder.encode(run).write(to: recordURL, options: .atomic)
    }

    public func appendMetrics(_ metrics: [MetricRecord]) throws {
        guard !metrics.isEmpty else { return }
        try checkSafe()
        var text = Data()
        for m in metrics { text += try Self.encoder.encode(m) + Data("\n".utf8) }
        if !FileManager.default.fileExists(atPath: metricsURL.path) {
            guard FileManager.default.createFile(atPath: metricsURL.path, contents: nil) else {
                throw StoreError.invalid("cannot create \(metricsURL.path)")
            }
        }
        let handle = try FileHandle(forWritingTo: metricsURL)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: text)
        try handle.synchronize()
    }

    /// The metric points written so far, the last point of each step winning; torn lines skipped.
    public func metrics() -> [MetricRecord] {
        guard let data = try? Data(contentsOf: metricsURL) else { return [] }
        var byStep: [Int: MetricRecord] = [:]
        for line in data.split(separator: UInt8(ascii: "\n")) {
            if let m = try? Self.decoder.decode(MetricRecord.self, from: Data(line)) { byStep[m.step] = m }
        }
        return byStep.keys.sorted().map { byStep[$0]! }
    }

    /// Copies the folder's outcome and metrics into the store's run `runId` (the store's record
    /// keeps its identity: name, config, size). Returns the record as stored.
    @discardableResult
    public func ingest(into store: ResultStore, runId: Int64) throws -> RunRecord {
        guard var stored = try store.run(id: runId) else { throw StoreError.invalid("no run \(runId) in \(store.path)") }
        let written = try record()
        guard written.id == runId, written.uuid == stored.uuid else {
            throw StoreError.invalid("\(recordURL.path) belongs to run \(written.id.map(String.init) ?? "?") (identity \(written.uuid ?? "none")), not run \(runId) (identity \(stored.uuid ?? "none"))")
        }
        var points = metrics()
        for i in points.indices { points[i].id = nil; points[i].runId = runId }
        try store.appendMetrics(points)
        stored.status = written.status
        stored.error = written.error
        stored.finalTrainLoss = written.finalTrainLoss
        stored.finalValLoss = written.finalValLoss
        stored.wallSeconds = written.wallSeconds
        stored.host = written.host
        stored.codeVersion = written.codeVersion
        stored.skippedSteps = written.skippedSteps
        try store.updateRun(stored)
        return stored
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.dateEncodingStrategy = .secondsSince1970
        return e
    }()
    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .secondsSince1970
        return d
    }()
}
