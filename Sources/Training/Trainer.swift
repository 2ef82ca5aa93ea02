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
    /// The step loop: the step, the recent losses and the time spent in steps.
    public let loop: StepLoop
    /// Optimizer steps taken.
    public var step: Int { loop.step }
    var rng: SplitMix64
    let inputs: UnsafeMutablePointer<Int32>
    let targets: UnsafeMutablePointer<Int32>
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
        loop = StepLoop(config: config, bytesPerToken: data.bytesPerToken)
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
    /// from the current step (0, or where `resume` left off), in the one `StepLoop`. Checkpoints
    /// go to `checkpoint`. `shouldStop` is polled after every step (a signal handler's flag): the
    /// run then writes its checkpoint and returns `.interrupted`.
    public func run(checkpoint: URL? = nil, stopAfter: Int? = nil, shouldStop: () -> Bool = { false },
                    onEvent: (TrainEvent) -> Void = { _ in }) throws -> TrainResult {
        try loop.run(stopAfter: stopAfter, checkpoint: checkpoint, onEvent: onEvent, trainStep: {
            let scaleBefore = lossScaler?.scale
            let (loss, norm, applied) = trainStep()
            // fp16 overflow above the minimum scale: the scaler halved the scale; the step counts.
            let skipped = !applied && loss.isFinite && scaleBefore.map { $0 > DynamicLossScaler.minimumScale } == true
            return StepReport(loss: loss, norm: norm, skipped: skipped, lossScale: scaleBefore)
        }, evaluate: { evaluate(final: $0) }, save: save(to:), stopAgreed: shouldStop, lossScaler: { lossScaler })
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

    /// Mean validation loss per token over the held-out tokens `ValidationPlan` names (the final
    /// evaluation over `final_eval_tokens`, or all of them).
    public func evaluate(final: Bool = false) -> Float {
        ValidationPlan(config: config, data: data, final: final).mean(inputs: inputs, targets: targets) { _, rows in
            model.forward(tokens: inputs, targets: targets, kernels: kernels)
            let losses = model.tokenLosses
            var total: Double = 0
            for r in 0..<(rows * config.model.seqLen) { total += Double(losses[r]) }
            return total
        }
    }

    /// Nats per token to bits per byte of the underlying text.
    public func bitsPerByte(_ natsPerToken: Float) -> Double { loop.bitsPerByte(natsPerToken) }
}
