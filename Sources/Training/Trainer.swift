import Foundation
import Randomness

/// What the training loop reports as it goes.
public enum TrainEvent: Sendable {
    case step(step: Int, tokens: Int, loss: Float, lr: Double, gradNorm: Float, tokensPerSecond: Double)
    case eval(step: Int, tokens: Int, valLoss: Float, bitsPerByte: Double)
    case checkpoint(step: Int, path: String)
    /// fp16 dynamic loss scaling found inf/NaN gradients at `step` (reported beside its `.step`):
    /// the update was skipped, weights and optimizer state untouched, and the scale halved to
    /// `lossScale`. `skippedSteps` counts all skipped steps of the run so far.
    case skippedStep(step: Int, lossScale: Float, skippedSteps: Int)
}

public enum TrainOutcome: String, Sendable, Codable {
    case done, diverged
    /// Stopped on request (`shouldStop`), after writing a checkpoint.
    case interrupted
}

public struct TrainResult: Sendable {
    public var outcome: TrainOutcome
    public var reason: String?
    public var steps: Int
    public var tokens: Int
    /// Mean training loss over the last (up to) 10 steps.
    public var finalTrainLoss: Float?
    public var finalValLoss: Float?
    public var finalBitsPerByte: Double?
    public var wallSeconds: Double
    /// Steps this process ran (fewer than `steps` after a resume).
    public var stepsRun: Int
    /// Steps whose update fp16 loss scaling skipped for inf/NaN gradients (whole run; 0 unless fp16).
    public var skippedSteps: Int = 0
    /// The dynamic loss scale at the end (fp16 only).
    public var lossScale: Float?
}

/// The training loop: AdamW, gradient accumulation, global-norm clipping, an LR schedule,
/// periodic validation, atomic checkpoints and exact resume. The model keeps tensors in the
/// formats of `config.train.precision`'s `PrecisionPolicy`; under fp16 a `DynamicLossScaler`
/// scales the loss and skips (and counts) steps whose gradients overflow.
public final class Trainer<Kernels: ModelKernels> {
    public let config: TrainConfig
    public let model: GPT
    public let data: TokenDataset
    let kernels: Kernels
    let m: FloatBuffer
    let v: FloatBuffer
    public internal(set) var step = 0
    var rng: SplitMix64
    let inputs: UnsafeMutablePointer<Int32>
    let targets: UnsafeMutablePointer<Int32>
    var recentLosses: [Float] = []
    /// fp16 only (nil otherwise): the dynamic loss scale, its clean-step count and the skipped
    /// steps. Settable, e.g. to start from another scale; saved in and restored from checkpoints.
    public var lossScaler: DynamicLossScaler? {
        didSet { precondition((lossScaler != nil) == model.policy.usesLossScaling, "only fp16 training has a loss scaler") }
    }

    public init(config: TrainConfig, data: TokenDataset, kernels: Kernels) throws {
        try config.validate()
        try data.check(seqLen: config.model.seqLen, modelVocab: config.model.vocab)
        self.config = config
        self.data = data
        self.kernels = kernels
        model = try GPT(config: config.model, batch: config.train.batch, seqLen: config.model.seqLen, seed: config.train.seed,
                        precision: config.train.precision)
        lossScaler = model.policy.usesLossScaling ? DynamicLossScaler() : nil
        m = FloatBuffer(count: model.parameterCount)
        v = FloatBuffer(count: model.parameterCount)
        rng = SplitMix64(seed: config.train.seed &+ 0x5EED)
        let n = config.train.batch * config.model.seqLen
        inputs = .allocate(capacity: n)
        targets = .allocate(capacity: n)
    }

    deinit {
        inputs.deallocate()
        targets.deallocate()
    }

    /// Runs until `config.train.steps` (or `stopAfter`, to stop early as an interruption would),
    /// from the current step (0, or where `resume` left off). Checkpoints go to `checkpoint`.
    /// `shouldStop` is polled after every step (a signal handler's flag): the run then writes its
    /// checkpoint and returns `.interrupted`.
    public func run(checkpoint: URL? = nil, stopAfter: Int? = nil, shouldStop: () -> Bool = { false },
                    onEvent: (TrainEvent) -> Void = { _ in }) throws -> TrainResult {
        let t = config.train
        let started = Date()
        let firstStep = step
        let tokensPerStep = config.tokensPerStep
        var lastVal: (loss: Float, bpb: Double)?
        let last = min(t.steps, stopAfter ?? t.steps)
        while step < last {
            let stepStart = Date()
            let scaleBefore = lossScaler?.scale
            let (loss, norm, applied) = trainStep()
            if !applied && loss.isFinite && scaleBefore.map({ $0 > DynamicLossScaler.minimumScale }) == true {
                // fp16 overflow: the scaler halved the scale; the step counts, the update did not happen.
            } else if !loss.isFinite || !norm.isFinite || Double(norm) > t.maxGradNorm {
                let reason = !loss.isFinite ? "loss is \(loss)"
                    : !norm.isFinite && lossScaler != nil ? "gradients overflow even at loss scale \(scaleBefore ?? 1)"
                    : "gradient norm \(norm) exceeds train.max_grad_norm (\(t.maxGradNorm))"
                return result(.diverged, reason: reason, started: started, firstStep: firstStep, val: lastVal)
            }
            step += 1
            recentLosses.append(loss)
            if recentLosses.count > 10 { recentLosses.removeFirst() }
            let lr = t.lrSchedule.lr(step: step - 1, totalSteps: t.steps, peak: t.lr)
            onEvent(.step(step: step, tokens: step * tokensPerStep, loss: loss, lr: lr, gradNorm: norm,
                          tokensPerSecond: Double(tokensPerStep) / max(Date().timeIntervalSince(stepStart), 1e-9)))
            if !applied, let scaler = lossScaler {
                onEvent(.skippedStep(step: step, lossScale: scaler.scale, skippedSteps: scaler.skippedSteps))
            }
            if (t.evalInterval > 0 && step % t.evalInterval == 0) || step == t.steps {
                let val = evaluate(final: step == t.steps)
                lastVal = (val, bitsPerByte(val))
                onEvent(.eval(step: step, tokens: step * tokensPerStep, valLoss: val, bitsPerByte: bitsPerByte(val)))
            }
            if let checkpoint, (t.checkpointInterval > 0 && step % t.checkpointInterval == 0) || step == t.steps {
                try save(to: checkpoint)
                onEvent(.checkpoint(step: step, path: checkpoint.path))
            }
            if let checkpoint, t.saveAt.contains(step) { try keepCheckpoint(beside: checkpoint, onEvent: onEvent) }
            if shouldStop() && step < t.steps {
                if let checkpoint {
                    try save(to: checkpoint)
                    onEvent(.checkpoint(step: step, path: checkpoint.path))
                }
                return result(.interrupted, reason: "stopped at step \(step) of \(t.steps)", started: started,
                              firstStep: firstStep, val: lastVal)
            }
        }
        return result(.done, reason: nil, started: started, firstStep: firstStep, val: lastVal)
    }

    private func result(_ outcome: TrainOutcome, reason: String?, started: Date, firstStep: Int,
                        val: (loss: Float, bpb: Double)?) -> TrainResult {
        TrainResult(outcome: outcome, reason: reason, steps: step, tokens: step * config.tokensPerStep,
                    finalTrainLoss: recentLosses.isEmpty ? nil : recentLosses.reduce(0, +) / Float(recentLosses.count),
                    finalValLoss: val?.loss, finalBitsPerByte: val?.bpb,
                    wallSeconds: Date().timeIntervalSince(started), stepsRun: step - firstStep,
                    skippedSteps: lossScaler?.skippedSteps ?? 0, lossScale: lossScaler?.scale)
    }

    /// One optimizer step; returns the mean micro-batch loss, the gradient norm before clipping
    /// (unscaled), and whether the update was applied (false when fp16 loss scaling skipped it
    /// for inf/NaN gradients, or when the loss or norm is not finite).
    func trainStep() -> (Float, Float, Bool) {
        let t = config.train
        let lossScale = lossScaler?.scale ?? 1
        model.dynamicLossScale = lossScale
        model.grads.zero()
        var loss: Float = 0
        for micro in 0..<t.microBatches {
            data.sampleTrain(B: t.batch, T: config.model.seqLen, firstSample: (step * t.microBatches + micro) * t.batch,
                             seed: t.seed, rng: &rng, inputs: inputs, targets: targets)
            loss += model.forward(tokens: inputs, targets: targets, kernels: kernels)
            model.backward(kernels: kernels, lossScale: 1 / Float(t.microBatches))
        }
        loss /= Float(t.microBatches)
        let norm = gradientNorm() / lossScale
        if lossScaler != nil && loss.isFinite {
            guard lossScaler!.update(gradientsFinite: norm.isFinite) else { return (loss, norm, false) }
        }
        guard loss.isFinite, norm.isFinite else { return (loss, norm, false) }
        let clip: Float = (t.gradClip > 0 && Double(norm) > t.gradClip ? Float(t.gradClip) / norm : 1) / lossScale
        // AdamW's bias correction counts the updates actually applied.
        let updates = step + 1 - (lossScaler?.skippedSteps ?? 0)
        let lr = Float(t.lrSchedule.lr(step: step, totalSteps: t.steps, peak: t.lr))
        let adam = t.adamW
        let p = model.params.pointer, g = model.grads.pointer
        for tensor in model.layout.tensors {
            AdamW.update(params: p, grads: g, m: m.pointer, v: v.pointer, range: tensor.range, step: updates,
                         lr: lr, decays: tensor.decays, gradScale: clip, config: adam)
        }
        return (loss, norm, true)
    }

    func gradientNorm() -> Float {
        var s: Double = 0
        let g = model.grads.pointer
        var i = 0
        let n = model.parameterCount
        while i < n {
            let k = min(4096, n - i)
            s += Double(VectorMath.dot(g + i, g + i, k))
            i += k
        }
        return Float(s.squareRoot())
    }

    /// Mean validation loss: over `eval_tokens` tokens of windows spread evenly over the held-out
    /// split (the final evaluation over `final_eval_tokens`, or all of it), or, with `eval_tokens`
    /// = 0, over `eval_batches` fixed batches.
    public func evaluate(final: Bool = false) -> Float {
        let t = config.train
        if t.evalTokens > 0 {
            let T = config.model.seqLen
            let tokens = final ? (t.finalEvalTokens > 0 ? t.finalEvalTokens : Int.max) : t.evalTokens
            return evaluateWindows(max(1, min(data.validationWindows(T: T), tokens / T)))
        }
        var total: Double = 0
        for i in 0..<t.evalBatches {
            data.validationBatch(i, of: t.evalBatches, B: t.batch, T: config.model.seqLen, inputs: inputs, targets: targets)
            total += Double(model.forward(tokens: inputs, targets: targets, kernels: kernels))
        }
        return Float(total / Double(t.evalBatches))
    }

    /// Mean loss over `count` validation windows spread evenly over the held-out split, `batch` at
    /// a time; the last batch is padded and only its real rows counted, so the result does not
    /// depend on `batch`.
    func evaluateWindows(_ count: Int) -> Float {
        let B = config.train.batch, T = config.model.seqLen
        var total: Double = 0
        var first = 0
        data.validation.withUnsafeBufferPointer { v in
            while first < count {
                let rows = min(B, count - first)
                for b in 0..<B {
                    let start = data.validationWindowStart(first + min(b, rows - 1), of: count, T: T)
                    (inputs + b * T).update(from: v.baseAddress! + start, count: T)
                    (targets + b * T).update(from: v.baseAddress! + start + 1, count: T)
                }
                model.forward(tokens: inputs, targets: targets, kernels: kernels)
                let losses = model.acts.losses.pointer
                for r in 0..<(rows * T) { total += Double(losses[r]) }
                first += rows
            }
        }
        return Float(total / Double(count * T))
    }

    /// Nats per token to bits per byte of the underlying text.
    public func bitsPerByte(_ natsPerToken: Float) -> Double {
        Double(natsPerToken) / log(2) / data.bytesPerToken
    }
}
