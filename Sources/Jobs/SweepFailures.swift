import Foundation
import Store

/// The failed runs of a sweep stage, told so that the user can act: each run's error (its first
/// line) and the log to read.
public enum SweepFailures {
    /// The runs among `runIds` that ended failed (not done, diverged or interrupted).
    public static func failed(_ runIds: [Int64], store: ResultStore) throws -> [RunRecord] {
        try runIds.compactMap { try store.run(id: $0) }.filter { $0.status == .failed }
    }

    /// The failed runs among `runIds`, one error line and log path each; nil when none failed.
    public static func report(_ runIds: [Int64], store: ResultStore, sweep: String, stage: String) throws -> String? {
        let runs = try failed(runIds, store: store)
        guard !runs.isEmpty else { return nil }
        var text = "\(runs.count) \(stage) run\(runs.count == 1 ? "" : "s") of sweep '\(sweep)' failed:\n"
        for r in runs {
            let first = (r.error ?? "no error recorded").split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? ""
            let log = RunFolder.location(resultsFolder: RunFolder.resultsFolder(of: store), sweep: sweep, run: r)
                .appendingPathComponent("log.txt")
            text += "  \(r.name ?? "#\(r.id ?? 0)") (run \(r.id ?? 0)): \(first)\n    log: \(log.path)\n"
        }
        return text
    }
}
