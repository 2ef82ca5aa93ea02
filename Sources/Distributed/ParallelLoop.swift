import Foundation
import Training

/// The step loop every parallel trainer runs (the single-rank `Trainer`'s): optimizer steps up to
/// train.steps (or `stopAfter`), a stop with `.diverged` on a non-finite loss or gradient norm or
/// a norm above train.max_grad_norm, step and eval events (the same on every rank: losses are
/// group means), checkpoints every train.checkpoint_interval steps and at the end, a stop with a
/// checkpoint and `.interrupted` when any rank asks, and the mean of the last ten losses as the
/// final train loss.
final class ParallelLoop {
    let config: TrainConfig
    let data: TokenDataset
    /// Optimizer steps taken.
    private(set) var step = 0
    /// Seconds inside `trainStep` calls.
    private(set) var stepSeconds: Double = 0
    private var recentLosses: [Float] = []

    init(config: TrainConfig, data: TokenDataset) {
        self.config = config
        self.data = data
    }

    /// Sets the step and the recent losses (resuming from a checkpoint).
    func restore(step: Int, recentLosses: [Float]) {
        self.step = step
        self.recentLosses = recentLosses
    }

    var checkpointState: (step: Int, recentLosses: [Float]) { (step, recentLosses) }

    /// `trainStep` runs step `step` (0-based) and returns the group's loss and gradient norm;
    /// `save` writes a checkpoint (collective; with `checkpoint` nil on every rank there are none);
    /// `stopAgreed` turns this rank's stop request into the world's (collective, every step);
    /// `finish` runs once before returning (parameters gathered for the caller).
    func run(stopAfter: Int?, checkpoint: URL?, onEvent: (TrainEvent) -> Void,
             trainStep: () throws -> (loss: Float, norm: Float), evaluate: () throws -> Float,
             save: (URL) throws -> Void, stopAgreed: () throws -> Bool, finish: () throws -> Void) throws -> TrainResult {
        let t = config.train
        let started = Date()
        let firstStep = step
        let tokensPerStep = config.tokensPerStep
        var lastVal: (loss: Float, bpb: Double)?
        var outcome = TrainOutcome.done, reason: String?
        let last = min(t.steps, stopAfter ?? t.steps)
        while step < last {
            let stepStart = Date()
            let (loss, norm) = try trainStep()
            stepSeconds += Date().timeIntervalSince(stepStart)
            if !loss.isFinite || !norm.isFinite || Double(norm) > t.maxGradNorm {
                outcome = .diverged
                reason = !loss.isFinite ? "loss is \(loss)" : "gradient norm \(norm) exceeds train.max_grad_norm (\(t.maxGradNorm))"
                break
            }
            step += 1
            recentLosses.append(loss)
            if recentLosses.count > 10 { recentLosses.removeFirst() }
            let lr = t.lrSchedule.lr(step: step - 1, totalSteps: t.steps, peak: t.lr)
            onEvent(.step(step: step, tokens: step * tokensPerStep, loss: loss, lr: lr, gradNorm: norm,
                          tokensPerSecond: Double(tokensPerStep) / max(Date().timeIntervalSince(stepStart), 1e-9)))
            if (t.evalInterval > 0 && step % t.evalInterval == 0) || step == t.steps {
                let val = try evaluate()
                let bpb = Double(val) / log(2) / data.bytesPerToken
                lastVal = (val, bpb)
                onEvent(.eval(step: step, tokens: step * tokensPerStep, valLoss: val, bitsPerByte: bpb))
            }
            if let checkpoint, (t.checkpointInterval > 0 && step % t.checkpointInterval == 0) || step == t.steps {
                try save(checkpoint)
                onEvent(.checkpoint(step: step, path: checkpoint.path))
            }
            if let checkpoint, t.saveAt.contains(step) {
                // a kept checkpoint (train.save_at, e.g. a WSD trunk's branch points)
                let kept = KeptCheckpoint.url(beside: checkpoint, step: step)
                try save(kept)
                onEvent(.checkpoint(step: step, path: kept.path))
            }
            if step < t.steps, try stopAgreed() {
                if let checkpoint {
                    try save(checkpoint)
                    onEvent(.checkpoint(step: step, path: checkpoint.path))
                }
                outcome = .interrupted
                reason = "stopped at step \(step) of \(t.steps)"
                break
            }
        }
        try finish()
        return TrainResult.assembled(outcome: outcome, reason: reason, steps: step, tokens: step * tokensPerStep,
                                     finalTrainLoss: recentLosses.isEmpty ? nil : recentLosses.reduce(0, +) / Float(recentLosses.count),
                                     finalValLoss: lastVal?.loss, finalBitsPerByte: lastVal?.bpb,
                                     wallSeconds: Date().timeIntervalSince(started), stepsRun: step - firstStep)
    }
}
