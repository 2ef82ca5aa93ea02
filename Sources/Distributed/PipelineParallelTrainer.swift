import Compute
import Foundation
import ScalingLaws
import Training

/// Pipeline-parallel training (GPipe's split of layers into stages, PipeDream-flush / Megatron's
/// 1F1B order): stage s of S owns a contiguous slice of the blocks (`ThreadPool.partition`), the
/// first also the embeddings, the last also ln_f, the head and the loss. The step's
/// `train.micro_batches` micro-batches flow through the stages; stage s runs S - s - 1 warm-up
/// forwards, then alternates one forward and one backward, then drains the remaining backwards,
/// so at most S - s micro-batches' activations are alive. Activations go forward and their
/// gradients back with send/receive. With a tied head the first and last stages sum the token
/// embedding's gradient. Every stage updates its own parameters with AdamW; the gradient norm
/// for clipping is all-reduced over the stages.
///
/// Bubble: the ideal idle fraction of 1F1B is (S - 1) / (M + S - 1); `waitSeconds` measures the
/// time each stage actually spent blocked in receives.
public final class PipelineParallelTrainer<Kernels: ModelKernels>: ParallelTrainer {
    public let config: TrainConfig
    public let data: TokenDataset
    public let comm: Communicator
    let kernels: Kernels
    let stage: PipelineStage
    let m: FloatBuffer, v: FloatBuffer
    let tiedM: FloatBuffer?, tiedV: FloatBuffer?
    /// The first and last stage (tied-embedding gradient sum); nil when untied or one stage.
    let embeddingGroup: Communicator?
    public private(set) var step = 0
    var rng: SplitMix64
    let inputs: UnsafeMutablePointer<Int32>
    let targets: UnsafeMutablePointer<Int32>
    var recentLosses: [Float] = []
    public private(set) var communicationSeconds: Double = 0
    /// Seconds this stage spent blocked receiving activations or gradients.
    public private(set) var waitSeconds: Double = 0
    /// Seconds of optimizer steps (forward, backward, communication and update).
    public private(set) var stepSeconds: Double = 0
    /// A single-rank model holding the gathered parameters (`gatherModel()`).
    public let model: GPT

    /// `comm` is the pipeline group (its size is the number of stages, at most n_layer).
    public init(config: TrainConfig, data: TokenDataset, kernels: Kernels, comm: Communicator) throws {
        try config.validate()
        try data.check(seqLen: config.model.seqLen, modelVocab: config.model.vocab)
        let S = comm.size, L = config.model.nLayer
        guard S <= L else {
            throw DistributedError.invalidLayout("pp (\(S)) must be at most model.n_layer (\(L)): each stage needs a block")
        }
        self.config = config
        self.data = data
        self.kernels = kernels
        self.comm = comm
        // the single-rank initialization, from which each stage copies its part
        model = try GPT(config: config.model, batch: 1, seqLen: config.model.seqLen, seed: config.train.seed)
        let s = comm.rank
        stage = PipelineStage(config: config.model, layers: ThreadPool.partition(L, parts: S, part: s), isFirst: s == 0,
                              isLast: s == S - 1, B: config.train.batch, T: config.model.seqLen,
                              inFlight: min(config.train.microBatches, S - s), initial: model.params.pointer)
        m = FloatBuffer(count: stage.owned.count)
        v = FloatBuffer(count: stage.owned.count)
        tiedM = stage.tiedCopy.map { FloatBuffer(count: $0.count) }
        tiedV = stage.tiedCopy.map { FloatBuffer(count: $0.count) }
        if config.model.tiedHead && S > 1 {
            let ends = s == 0 || s == S - 1
            let group = try comm.split(color: ends ? 0 : 1, key: s)
            embeddingGroup = ends ? group : nil
        } else {
            embeddingGroup = nil
        }
        rng = SplitMix64(seed: config.train.seed &+ 0x5EED)
        let n = config.train.microBatches * config.train.batch * config.model.seqLen
        inputs = .allocate(capacity: n)
        targets = .allocate(capacity: n)
    }

    deinit {
        inputs.deallocate()
        targets.deallocate()
    }

    public var memory: RankMemory {
        RankMemory(parameters: stage.parameterBytes, gradients: stage.gradientBytes,
                   optimizerState: m.bytes + v.bytes + (tiedM?.bytes ?? 0) + (tiedV?.bytes ?? 0),
                   activations: stage.activationBytes)
    }

    /// The ideal 1F1B bubble fraction (S - 1) / (M + S - 1).
    public var idealBubbleFraction: Double {
        let S = Double(comm.size), M = Double(config.train.microBatches)
        return (S - 1) / (M + S - 1)
    }

    /// Fraction of this stage's step time spent blocked in receives.
    public var measuredBubbleFraction: Double { stepSeconds > 0 ? waitSeconds / stepSeconds : 0 }

    public func run(stopAfter: Int?, onEvent: (TrainEvent) -> Void) throws -> TrainResult {
        let t = config.train
        let started = Date()
        let firstStep = step
        var lastVal: (loss: Float, bpb: Double)?
        let last = min(t.steps, stopAfter ?? t.steps)
        while step < last {
            let stepStart = Date()
            let (loss, norm) = try trainStep()
            stepSeconds += Date().timeIntervalSince(stepStart)
            if !loss.isFinite || !norm.isFinite || Double(norm) > t.maxGradNorm {
                let reason = !loss.isFinite ? "loss is \(loss)" : "gradient norm \(norm) exceeds train.max_grad_norm (\(t.maxGradNorm))"
                try gatherModel()
                return result(.diverged, reason: reason, started: started, firstStep: firstStep, val: lastVal)
            }
            step += 1
            recentLosses.append(loss)
            if recentLosses.count > 10 { recentLosses.removeFirst() }
            let lr = t.lrSchedule.lr(step: step - 1, totalSteps: t.steps, peak: t.lr)
            onEvent(.step(step: step, tokens: step * config.tokensPerStep, loss: loss, lr: lr, gradNorm: norm,
                          tokensPerSecond: Double(config.tokensPerStep) / max(Date().timeIntervalSince(stepStart), 1e-9)))
            if (t.evalInterval > 0 && step % t.evalInterval == 0) || step == t.steps {
                let val = try evaluate()
                let bpb = Double(val) / log(2) / data.bytesPerToken
                lastVal = (val, bpb)
                onEvent(.eval(step: step, tokens: step * config.tokensPerStep, valLoss: val, bitsPerByte: bpb))
            }
        }
        try gatherModel()
        return result(.done, reason: nil, started: started, firstStep: firstStep, val: lastVal)
    }

    private func result(_ outcome: TrainOutcome, reason: String?, started: Date, firstStep: Int,
                        val: (loss: Float, bpb: Double)?) -> TrainResult {
        TrainResult.assembled(outcome: outcome, reason: reason, steps: step, tokens: step * config.tokensPerStep,
                              finalTrainLoss: recentLosses.isEmpty ? nil : recentLosses.reduce(0, +) / Float(recentLosses.count),
                              finalValLoss: val?.loss, finalBitsPerByte: val?.bpb,
                              wallSeconds: Date().timeIntervalSince(started), stepsRun: step - firstStep)
    }

    private func receive(_ buffer: UnsafeMutablePointer<Float>, from source: Int, tag: Int) throws {
        let t0 = Date()
        try comm.receive(buffer, count: stage.R * config.model.dModel, from: source, tag: tag)
        let dt = Date().timeIntervalSince(t0)
        waitSeconds += dt
        communicationSeconds += dt
    }

    private func send(_ buffer: UnsafePointer<Float>, to destination: Int, tag: Int) throws {
        let t0 = Date()
        try comm.send(buffer, count: stage.R * config.model.dModel, to: destination, tag: tag)
        communicationSeconds += Date().timeIntervalSince(t0)
    }

    /// Forward of micro-batch `i` (tokens at `inputs` + i*R); returns its loss on the last stage.
    private func forward(_ i: Int, slots: Int) throws -> Float? {
        let s = comm.rank, R = stage.R, slot = i % slots
        if !stage.isFirst { try receive(stage.input(slot), from: s - 1, tag: 2 * i) }
        let loss = stage.forward(slot: slot, tokens: inputs + i * R, targets: targets + i * R, kernels: kernels)
        if !stage.isLast { try send(stage.output(slot), to: s + 1, tag: 2 * i) }
        return loss
    }

    private func backward(_ i: Int, slots: Int) throws {
        let s = comm.rank
        if !stage.isLast { try receive(stage.residualGradient, from: s + 1, tag: 2 * i + 1) }
        stage.backward(slot: i % slots, lossScale: 1 / Float(config.train.microBatches), kernels: kernels)
        if !stage.isFirst { try send(stage.residualGradient, to: s - 1, tag: 2 * i + 1) }
    }

    func trainStep() throws -> (Float, Float) {
        let t = config.train, T = config.model.seqLen, M = t.microBatches, S = comm.size, s = comm.rank
        let R = stage.R
        for i in 0..<M {
            data.sampleTrain(B: t.batch, T: T, rng: &rng, inputs: inputs + i * R, targets: targets + i * R)
        }
        stage.zeroGrads()
        let slots = stage.slots.count
        let warmup = min(S - s - 1, M)
        var loss: Float = 0
        for i in 0..<warmup { loss += try forward(i, slots: slots) ?? 0 }
        for i in 0..<(M - warmup) {
            loss += try forward(warmup + i, slots: slots) ?? 0
            try backward(i, slots: slots)
        }
        for i in (M - warmup)..<M { try backward(i, slots: slots) }
        loss /= Float(M)
        let commStart = Date()
        if let group = embeddingGroup {
            let wteGrad = stage.isFirst ? stage.g(stage.layout.wte) : stage.tiedGrad!.pointer
            try group.allReduce(wteGrad, count: config.model.vocab * config.model.dModel)
        }
        // the norm counts every parameter once: the tied copy's gradient is the first stage's
        let norm = try comm.sum(Float(sumOfSquares(stage.grads.pointer, count: stage.owned.count))).squareRoot()
        loss = try comm.sum(stage.isLast ? loss : 0)
        communicationSeconds += Date().timeIntervalSince(commStart)
        guard loss.isFinite, norm.isFinite else { return (loss, norm) }
        let clip: Float = t.gradClip > 0 && Double(norm) > t.gradClip ? Float(t.gradClip) / norm : 1
        let lr = Float(t.lrSchedule.lr(step: step, totalSteps: t.steps, peak: t.lr))
        let owned = stage.owned
        for tensor in stage.layout.tensors {
            let lo = max(tensor.range.lowerBound, owned.lowerBound), hi = min(tensor.range.upperBound, owned.upperBound)
            guard lo < hi else { continue }
            let local = lo - owned.lowerBound
            AdamW.update(params: stage.params.pointer + local, grads: stage.grads.pointer + local, m: m.pointer + local,
                         v: v.pointer + local, range: 0..<(hi - lo), step: step + 1, lr: lr, decays: tensor.decays,
                         gradScale: clip, config: t.adamW)
        }
        if let copy = stage.tiedCopy, let grad = stage.tiedGrad, let tm = tiedM, let tv = tiedV {
            let wte = stage.layout.tensors.first { $0.offset == stage.layout.wte }!
            AdamW.update(params: copy.pointer, grads: grad.pointer, m: tm.pointer, v: tv.pointer, range: 0..<copy.count,
                         step: step + 1, lr: lr, decays: wte.decays, gradScale: clip, config: t.adamW)
        }
        return (loss, norm)
    }

    /// Mean validation loss over `eval_batches` fixed batches, pushed through the stages.
    public func evaluate() throws -> Float {
        let t = config.train, T = config.model.seqLen, s = comm.rank
        let waitedBefore = waitSeconds
        defer { waitSeconds = waitedBefore } // the bubble is a training-step measure
        var total: Double = 0
        for i in 0..<t.evalBatches {
            data.validationBatch(i, of: t.evalBatches, B: t.batch, T: T, inputs: inputs, targets: targets)
            if !stage.isFirst { try receive(stage.input(0), from: s - 1, tag: 1_000_000 + i) }
            let loss = stage.forward(slot: 0, tokens: inputs, targets: targets, kernels: kernels)
            if !stage.isLast { try send(stage.output(0), to: s + 1, tag: 1_000_000 + i) }
            total += Double(loss ?? 0)
        }
        return try comm.sum(Float(total / Double(t.evalBatches)))
    }

    /// Copies every stage's parameters into `model.params` on every rank (the single-rank layout).
    public func gatherModel() throws {
        let counts = (0..<comm.size).map { r -> Int in
            let layers = ThreadPool.partition(config.model.nLayer, parts: comm.size, part: r)
            let lo = r == 0 ? 0 : stage.layout.blocks[layers.lowerBound].ln1w
            let hi = r == comm.size - 1 ? stage.layout.count : stage.layout.blocks[layers.upperBound].ln1w
            return hi - lo
        }
        let p = model.params.pointer
        (p + stage.owned.lowerBound).update(from: stage.params.pointer, count: stage.owned.count)
        try comm.allGather(p, counts: counts)
    }
}
