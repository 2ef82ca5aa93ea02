import Foundation
import Store

/// Follows one run's trainer metrics file while the trainer writes it and brings it into the store.
///
/// Idempotent by step: every point is an upsert of its (run, step), and a `start` line at step S
/// deletes the stored points after S (a trainer resumed from its checkpoint at S logs them again),
/// so replaying the whole file (a new coordinator after a kill -9) leaves the store as it was, with
/// no duplicate and no gap. Only complete lines are read; a line torn by a crash is skipped.
public final class TrainerMetricsFeed {
    public let url: URL
    let runId: Int64
    public let store: ResultStore
    let tokensPerStep: Double
    /// Bytes of the file read so far (complete lines only).
    public private(set) var offset: UInt64 = 0
    /// The file's size when this attempt started: an `end` line before it is an earlier attempt's.
    let attemptStart: UInt64
    public private(set) var latest: TrainerPoint?
    public private(set) var latestValLoss: Double?
    public private(set) var lastCheckpoint: Int?
    /// This attempt's end line, once read.
    public private(set) var end: TrainerEnd?

    /// `attemptStart`: the file's size when this attempt's trainer started (default: its size now).
    public init(url: URL, runId: Int64, store: ResultStore, tokensPerStep: Int, attemptStart: UInt64? = nil) {
        self.url = url; self.runId = runId; self.store = store; self.tokensPerStep = Double(tokensPerStep)
        self.attemptStart = attemptStart ?? Self.size(of: url)
    }

    static func size(of url: URL) -> UInt64 {
        (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.uint64Value ?? 0
    }

    /// Reads what was appended since the last call and stores it; returns whether anything was new.
    @discardableResult
    public func poll() throws -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        try handle.seek(toOffset: offset)
        guard let data = try handle.readToEnd(), let lastNewline = data.lastIndex(of: UInt8(ascii: "\n")) else { return false }
        var points: [MetricRecord] = []
        var tasks: [TaskMetricRecord] = []
        func flush() throws {
            if !points.isEmpty { try store.appendMetrics(points) }
            if !tasks.isEmpty { try store.appendTaskMetrics(tasks) }
            points = []; tasks = []
        }
        var lineStart = data.startIndex
        for i in data.indices[...lastNewline] where data[i] == UInt8(ascii: "\n") {
            let lineOffset = offset + UInt64(lineStart - data.startIndex)
            let line = data[lineStart..<i]
            lineStart = i + 1
            switch TrainerLine(json: Data(line)) {
            case let .start(step)?:
                try flush()
                try store.deleteMetrics(runId: runId, afterStep: step)
                if lineOffset >= attemptStart { end = nil }
            case let .point(p)?:
                points.append(MetricRecord(runId: runId, step: p.step, tokensSeen: p.tokens ?? Double(p.step) * tokensPerStep,
                                           trainLoss: p.trainLoss, valLoss: p.valLoss, learningRate: p.learningRate,
                                           tokensPerSecond: p.tokensPerSecond))
                tasks += p.tasks.map { TaskMetricRecord(runId: runId, step: p.step, name: $0.key, value: $0.value) }
                if p.trainLoss != nil || latest == nil || p.step > latest!.step { latest = p }
                if let v = p.valLoss { latestValLoss = v }
            case let .checkpoint(step)?:
                lastCheckpoint = step
            case let .end(e)?:
                if lineOffset >= attemptStart { end = e }
            case nil:
                continue
            }
        }
        try flush()
        offset += UInt64(lastNewline - data.startIndex + 1)
        return true
    }
}
