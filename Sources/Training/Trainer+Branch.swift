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
    /// Starts this run from another run's checkpoint (the trunk's kept one): parameters, AdamW
    /// moments, step, data position; `TrainingCheckpoint.openBranch` says what must match.
    public func branch(from url: URL) throws {
        try load(TrainingCheckpoint.openBranch(url, for: config), from: url)
    }
}
