import Foundation

/// WSD cooldown branches (Hagele et al. 2024): one run at a constant rate keeps checkpoints at
/// chosen steps (`train.save_at`); a branch starts from one of them and cools the rate down over
/// its remaining steps, so one long run yields a loss for several token counts.
public enum KeptCheckpoint {
    /// Where the checkpoint kept after `step` lives: `step-<step>.safetensors` beside `checkpoint`.
    public static func url(beside checkpoint: URL, step: Int) -> URL {
        checkpoint.deletingLastPathComponent().appendingPathComponent("step-\(step).safetensors")
    }
}

extension Trainer {
    func keepCheckpoint(beside checkpoint: URL, onEvent: (TrainEvent) -> Void) throws {
        let url = KeptCheckpoint.url(beside: checkpoint, step: step)
        try save(to: url)
        onEvent(.checkpoint(step: step, path: url.path))
    }

    /// Starts this run from another run's checkpoint (the trunk's kept one): parameters, AdamW
    /// moments, step, data position. The trunk must be the same model, data and optimizer, and
    /// every step before the branch point must have had the same learning rate under both runs'
    /// schedules; only the length, the schedule's tail, evaluation and checkpoint cadence may differ.
    public func branch(from url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TrainingError.checkpoint("\(url.path) does not exist: the trunk run has not reached the branch point yet")
        }
        let file = try Safetensors.read(url)
        guard file.metadata["format"] == Self.format, let at = Int(file.metadata["step"] ?? ""),
              let configText = file.metadata["config"] else {
            throw TrainingError.checkpoint("\(url.path) is not a ladder checkpoint (missing metadata)")
        }
        let trunk = try JSONDecoder().decode(TrainConfig.self, from: Data(configText.utf8))
        func normalized(_ c: TrainConfig) -> TrainConfig {
            var c = c
            c.train.steps = 0
            c.train.schedule = .constant
            c.train.cooldownFraction = 0
            c.train.cooldownShape = .linear
            c.train.minLRRatio = 0
            c.train.saveAt = []
            c.train.evalInterval = 0
            c.train.checkpointInterval = 0
            c.train.threads = 1
            return c
        }
        guard normalized(trunk) == normalized(config) else {
            throw TrainingError.checkpoint("\(url.path) was written by a run with another model, data or optimizer; a branch must share them")
        }
        guard at < config.train.steps else {
            throw TrainingError.checkpoint("\(url.path) is at step \(at), not before this run's last step \(config.train.steps)")
        }
        let mine = config.train, theirs = trunk.train
        for s in 0..<at where mine.lrSchedule.lr(step: s, totalSteps: mine.steps, peak: mine.lr)
            != theirs.lrSchedule.lr(step: s, totalSteps: theirs.steps, peak: theirs.lr) {
            throw TrainingError.checkpoint("the branch's learning rate at step \(s) differs from the trunk's; its cooldown must start at or after step \(at)")
        }
        try load(file, from: url)
    }
}
