import Foundation
import Store

/// Records how an external trainer's attempt ended, from its metrics stream's `end` line or, for
/// trainers of the first protocol, from `{"loss": ...}` at `{out}`. Shared by the command executor
/// and the Slurm coordinator running commands.
enum TrainerOutcome {
    /// Updates the run: done, interrupted or diverged by the `end` line; done by the result file;
    /// otherwise left `running` for the caller to record the failure it knows of. Adds
    /// `gpus x wall` GPU-hours (wall: the end line's, else `wall`).
    @discardableResult
    static func record(runId: Int64, feed: TrainerMetricsFeed, resultFile: URL, store: ResultStore,
                       wall: Double?, gpus: Int) throws -> RunRecord? {
        try feed.poll()
        guard var run = try store.run(id: runId) else { return nil }
        let end = feed.end
        let seconds = wall ?? end?.wallSeconds ?? 0
        run.wallSeconds = (run.wallSeconds ?? 0) + seconds
        try store.addResources(runId: runId, gpus: gpus, gpuHours: Double(gpus) * seconds / 3600,
                               device: end?.device, worldSize: end?.worldSize)
        if let end {
            if let t = end.trainLoss, t > 0 { run.finalTrainLoss = t }
            switch end.outcome {
            case .done:
                if let loss = end.loss, loss > 0 {
                    run.status = .done
                    run.error = nil
                    run.finalValLoss = loss
                } else {
                    run.status = .failed
                    run.error = "the trainer ended done without a positive finite \"loss\" in \(feed.url.path)"
                }
            case .interrupted:
                run.status = .interrupted
                run.error = end.reason ?? "the trainer stopped early"
            case .diverged:
                run.status = .diverged
                run.error = end.reason ?? "the trainer reported divergence"
            }
        } else if let result = ResultFile(url: resultFile) {
            if !result.metrics.isEmpty { try store.appendMetrics(result.metrics.map { var m = $0; m.runId = runId; return m }) }
            run.status = .done
            run.error = nil
            run.finalValLoss = result.loss
            run.finalTrainLoss = result.trainLoss
            if let w = result.wallSeconds { run.wallSeconds = w }
        }
        try store.updateRun(run)
        return run
    }
}

/// `{"loss", "train_loss", "wall_seconds", "metrics": [{"step", "tokens", "train_loss", "val_loss"}]}`
/// at `{out}`: the first protocol's whole report.
struct ResultFile {
    var loss: Double
    var trainLoss: Double?
    var wallSeconds: Double?
    var metrics: [MetricRecord] = []

    /// nil when the file is missing or holds no positive finite `loss`.
    init?(url: URL) {
        guard let data = FileManager.default.contents(atPath: url.path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let loss = (object["loss"] as? NSNumber)?.doubleValue, loss.isFinite, loss > 0 else { return nil }
        self.loss = loss
        trainLoss = (object["train_loss"] as? NSNumber)?.doubleValue
        wallSeconds = (object["wall_seconds"] as? NSNumber)?.doubleValue
        for point in object["metrics"] as? [[String: Any]] ?? [] {
            guard let step = (point["step"] as? NSNumber)?.intValue, step >= 0 else { continue }
            metrics.append(MetricRecord(runId: 0, step: step, tokensSeen: (point["tokens"] as? NSNumber)?.doubleValue ?? 0,
                                        trainLoss: (point["train_loss"] as? NSNumber)?.doubleValue,
                                        valLoss: (point["val_loss"] as? NSNumber)?.doubleValue))
        }
    }
}
