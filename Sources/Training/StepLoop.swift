import Foundation

/// What one optimizer step tells the step loop.
public struct StepReport: Sendable {
    /// Mean loss of the step's micro-batches (over the whole group in parallel runs).
    public var loss: Float
    /// Global gradient norm before clipping (unscaled).
    public var norm: Float
    /// fp16 loss scaling skipped the update for inf/NaN gradients at a scale above the minimum:
    /// the step counts, weights and optimizer state are untouched.
    public var skipped: Bool
    /// The loss scale the step ran at (fp16 only): a divergence names it.
    public var lossScale: Float?

    public init(loss: Float, norm: Float, skipped: Bool = false, lossScale: Float? = nil) {
        self.loss = loss; self.norm = norm; self.skipped = skipped; self.lossScale = lossScale
    }
}

/// The one step loop every trainer runs (the single-rank `Trainer` and each parallel layout's):
/// optimizer steps up to train.steps (or `stopAfter`); a stop with `.diverged` on a non-finite
/// loss or gradient norm or a norm above train.max_grad_norm (a step fp16 loss scaling skipped
/// counts, and is reported, instead); step and eval events (the same on every rank: losses are
/// group means); checkpoints every train.checkpoint_interval steps, at the end and at each
/// train.save_at step (kept beside the checkpoint); a stop with a checkpoint and `.interrupted`
/// when asked; and the mean of the last ten losses as the final train loss.
public final class StepLoop {
    public let config: TrainConfig
    /// Bytes of text per token of the data (for bits per byte).
    public let bytesPerToken: Double
    /// Optimizer steps taken.
    public private(set) var step = 0
    /// Seconds inside `trainStep` calls.
    public private(set) var stepSeconds: Double = 0
    /// The last (up to) ten losses, saved in checkpoints.
    public private(set) var recentLosses: [Float] = []

    public init(config: TrainConfig, bytesPerToken: Double) {
        self.config = config
        self.bytesPerToken = bytesPerToken
    }

    /// Sets the step and the recent losses (resuming from a checkpoint).
    public func restore(step: Int, recentLosses: [Float]) {
        self.step = step
        self.recentLosses = recentLosses
    }

    /// Nats per token to bits per byte of the underlying text.
    public func bitsPerByte(_ natsPerToken: Float) -> Double { Double(natsPerToken) / log(2) / bytesPerToken }

    /// `trainStep` runs step `step` (0-based); `evaluate(final)` returns the validation loss
    /// (final: the run's last evaluation); `save` writes a checkpoint (collective in parallel
    /// runs; with `checkpoint` nil there are none); `stopAgreed` turns this rank's stop request
    /// into the world's (collective, every step); `lossScaler` reads the fp16 scaler, if any;
    /// `finish` runs once before returning (parallel runs gather parameters there).
    public func run(stopAfter: Int?, checkpoint: URL?, onEvent: (TrainEvent) -> Void,
                    trainStep: () throws -> StepReport, evaluate: (_ final: Bool) throws -> Float,
                    save: (URL) throws -> Void, stopAgreed: () throws -> Bool,
                    lossScaler: () -> DynamicLossScaler? = { nil }, finish: () throws -> Void = {}) throws -> TrainResult {
        let t = config.train
        let started = Date()
        let firstStep = step
        let tokensPerStep = config.tokensPerStep
        var lastVal: (loss: Float, bpb: Double)?
        var outcome = TrainOutcome.done, reason: String?
        let last = min(t.steps, stopAfter ?? t.steps)
        while step < last {
            let stepStart = Date()
            let report = try trainStep()
            stepSeconds += Date().timeIntervalSince(stepStart)
            let (loss, norm) = (report.loss, report.norm)
            if !report.skipped && (!loss.isFinite || !norm.isFinite || Double(norm) > t.maxGradNorm) {
                outcome = .diverged
                reason = !loss.isFinite ? "loss is \(loss)"
                    : !norm.isFinite && report.lossScale != nil ? "gradients overflow even at loss scale \(report.lossScale!)"
                    : "gradient norm \(norm) exceeds train.max_grad_norm (\(t.maxGradNorm))"
                break
            }
            step += 1
            recentLosses.append(loss)
            if recentLosses.count > 10 { recentLosses.removeFirst() }
            let lr = t.lrSchedule.lr(step: step - 1, totalSteps: t.steps, peak: t.lr)
            onEvent(.step(step: step, tokens: step * tokensPerStep, loss: loss, lr: lr, gradNorm: norm,
                          tokensPerSecond: Double(tokensPerStep) / max(Date().timeIntervalSince(stepStart), 1e-9)))
            if report.skipped, let scaler = lossScaler() {
                onEvent(.skippedStep(step: step, lossScale: scaler.scale, skippedSteps: scaler.skippedSteps))
            }
            if (t.evalInterval > 0 && step % t.evalInterval == 0) || step == t.steps {
                let val = try evaluate(step == t.steps)
                lastVal = (val, bitsPerByte(val))
                onEvent(.eval(step: step, tokens: step * tokensPerStep, valLoss: val, bitsPerByte: bitsPerByte(val)))
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
        let scaler = lossScaler()
        return TrainResult(outcome: outcome, reason: reason, steps: step, tokens: step * tokensPerStep,
                           finalTrainLoss: recentLosses.isEmpty ? nil : recentLosses.reduce(0, +) / Float(recentLosses.count),
                           finalValLoss: lastVal?.loss, finalBitsPerByte: lastVal?.bpb,
                           wallSeconds: Date().timeIntervalSince(started), stepsRun: step - firstStep,
                           skippedSteps: scaler?.skippedSteps ?? 0, lossScale: scaler?.scale)
    }
}
