import Foundation
import Randomness
import Training

/// How the data-parallel ranks hold optimizer state.
public enum ZeroStage: Int, Sendable, CaseIterable {
    /// Every rank keeps all of AdamW's moments and updates all parameters (plain DDP): one
    /// all-reduce of the gradient buffer per step.
    case none = 0
    /// ZeRO stage 1 (Rajbhandari et al. 2020): gradients are reduce-scattered, each rank updates
    /// its 1/dp shard of parameters with its shard of the moments, then parameters are all-gathered.
    case one = 1
}

/// Data-parallel training: the same loop as `Trainer` (AdamW, accumulation, clipping, schedule,
/// evaluation), with the global batch of `train.batch` sequences split evenly between the `dp`
/// ranks of `comm`. Every rank draws the same global batch from the same generator and trains on
/// its contiguous slice, so a dp-rank run computes the single-rank run's gradient (a mean over
/// the same sequences), up to the order of fp32 additions. Mixed precision (bf16, fp16) works as
/// in `Trainer`: each replica's model keeps the policy's formats with fp32 master weights, and
/// fp16's dynamic loss scale follows the all-reduced gradient norm, so every rank skips the same
/// steps.
///
/// Per step: forward/backward of the local slice for each micro-batch into the contiguous
/// gradient buffer, then one collective over the whole buffer (the bucket is the buffer: the
/// parameters are one allocation), mean over ranks, global-norm clipping, AdamW.
public final class DataParallelTrainer<Kernels: ModelKernels> {
    public let config: TrainConfig
    public let model: GPT
    public let data: TokenDataset
    public let comm: Communicator
    public var zero: ZeroStage { shards.zero }
    let kernels: Kernels
    let shards: ZeroShards
    /// The parameter range this rank updates (all of it without ZeRO).
    public var shard: Range<Int> { shards.range }
    let m: FloatBuffer
    let v: FloatBuffer
    let loop: StepLoop
    /// Optimizer steps taken.
    public var step: Int { loop.step }
    var rng: SplitMix64
    let localBatch: Int
    let inputs: UnsafeMutablePointer<Int32>
    let targets: UnsafeMutablePointer<Int32>
    /// Seconds spent in gradient and parameter collectives (all steps so far).
    public private(set) var communicationSeconds: Double = 0
    /// fp16 only (nil otherwise): the dynamic loss scale, the same on every rank (its decisions
    /// follow the all-reduced gradient norm); saved in and restored from checkpoints. Settable
    /// (on every rank alike), e.g. to start from another scale.
    public var lossScaler: DynamicLossScaler? {
        didSet { precondition((lossScaler != nil) == model.policy.usesLossScaling, "only fp16 training has a loss scaler") }
    }

    /// `comm` is the data-parallel group (its size is dp); `train.batch` must divide by it.
    public init(config: TrainConfig, data: TokenDataset, kernels: Kernels, comm: Communicator, zero: ZeroStage) throws {
        try config.validate()
        try data.check(seqLen: config.model.seqLen, modelVocab: config.model.vocab)
        let dp = comm.size
        guard config.train.batch % dp == 0 else {
            throw DistributedError.invalidLayout("train.batch (\(config.train.batch)) must divide by dp (\(dp)): each data-parallel rank takes batch / dp sequences")
        }
        self.config = config
        loop = StepLoop(config: config, bytesPerToken: data.bytesPerToken)
        self.data = data
        self.kernels = kernels
        self.comm = comm
        localBatch = config.train.batch / dp
        model = try GPT(config: config.model, batch: localBatch, seqLen: config.model.seqLen, seed: config.train.seed,
                        precision: config.train.precision)
        lossScaler = model.policy.usesLossScaling ? DynamicLossScaler() : nil
        shards = ZeroShards(count: model.parameterCount, group: comm, zero: zero)
        m = FloatBuffer(count: shards.range.count)
        v = FloatBuffer(count: shards.range.count)
        rng = SplitMix64(seed: config.train.seed &+ 0x5EED)
        let global = config.train.batch * config.model.seqLen
        inputs = .allocate(capacity: global)
        targets = .allocate(capacity: global)
    }

    deinit {
        inputs.deallocate()
        targets.deallocate()
    }

    /// Bytes of AdamW state (both moments) this rank holds: 8 N without ZeRO, 8 N / dp with it.
    public var optimizerStateBytes: Int { m.bytes + v.bytes }
    /// Bytes of parameters and gradients this rank holds (both replicated).
    public var parameterAndGradientBytes: Int { model.params.bytes + model.grads.bytes }

    /// Runs to `train.steps` (or `stopAfter`); every rank must call it. `onEvent` sees the same
    /// events on every rank (losses are means over the group). See `ParallelTrainer.run`.
    public func run(stopAfter: Int? = nil, checkpoint: URL? = nil, shouldStop: (() -> Bool)? = nil,
                    onEvent: (TrainEvent) -> Void = { _ in }) throws -> TrainResult {
        try loop.run(stopAfter: stopAfter, checkpoint: checkpoint, onEvent: onEvent, trainStep: trainStep,
                     evaluate: evaluate(final:), save: save(to:),
                     stopAgreed: { try shouldStop.map { try anyRank($0(), over: [self.comm]) } ?? false },
                     lossScaler: { self.lossScaler })
    }

    /// Collective: rank 0 writes parameters and the AdamW moments (gathered from the shards under
    /// ZeRO-1) as a `TrainingCheckpoint`.
    public func save(to url: URL) throws {
        let (mFull, vFull) = try (shards.unshard(m), shards.unshard(v))
        guard comm.rank == 0 else { return }
        try TrainingCheckpoint.write(to: url, layout: model.layout, params: model.params.pointer, m: mFull.pointer,
                                     v: vFull.pointer, state: .init(step: step, rngState: rng.state, recentLosses: loop.recentLosses,
                                                                 lossScaler: lossScaler?.checkpointText ?? ""),
                                     config: config)
    }

    /// Every rank reads the checkpoint; under ZeRO-1 each keeps its shard of the moments.
    public func resume(from url: URL) throws {
        try load(TrainingCheckpoint.open(url, for: config), from: url)
    }

    /// Every rank starts from a WSD trunk's kept checkpoint (`TrainingCheckpoint.openBranch`).
    public func branch(from url: URL) throws {
        try load(TrainingCheckpoint.openBranch(url, for: config), from: url)
    }

    private func load(_ file: Safetensors.File, from url: URL) throws {
        let n = model.parameterCount
        let (mFull, vFull) = (FloatBuffer(count: n), FloatBuffer(count: n))
        let state = try TrainingCheckpoint.read(file, from: url, layout: model.layout,
                                                params: model.params.pointer, m: mFull.pointer, v: vFull.pointer)
        shards.take(mFull.pointer, into: m)
        shards.take(vFull.pointer, into: v)
        if lossScaler != nil { lossScaler = try DynamicLossScaler.saved(in: state, of: url) }
        loop.restore(step: state.step, recentLosses: state.recentLosses)
        rng = SplitMix64(seed: state.rngState)
    }

    /// One optimizer step; returns the group's mean loss and the global gradient norm before clipping.
    func trainStep() throws -> StepReport {
        let t = config.train, T = config.model.seqLen
        let dp = comm.size
        let slice = comm.rank * localBatch * T
        // Mixed precision saves the loss gradient scaled by dynamicLossScale / (the replica's rows):
        // 1 / dp of the scale makes it the single-rank run's value (scale / the global batch's
        // rows), so fp16 overflows where the single-rank run's would; the gradients' mean over the
        // replicas is then `effectiveScale` x the true gradient. fp32 ignores the scale.
        let scale = lossScaler?.scale ?? 1
        let effectiveScale = model.policy.isMixed ? scale / Float(dp) : 1
        model.dynamicLossScale = effectiveScale
        model.grads.zero()
        var loss: Float = 0
        for micro in 0..<t.microBatches {
            data.sampleTrain(B: t.batch, T: T, firstSample: (step * t.microBatches + micro) * t.batch, seed: t.seed,
                             rng: &rng, inputs: inputs, targets: targets)
            loss += model.forward(tokens: inputs + slice, targets: targets + slice, kernels: kernels)
            model.backward(kernels: kernels, lossScale: 1 / Float(t.microBatches))
        }
        loss /= Float(t.microBatches)
        let g = model.grads.pointer, p = model.params.pointer
        let commStart = Date()
        try shards.averageGradients(g)
        let norm = Float(try shards.sumOverShards(sumOfSquares(g + shard.lowerBound, count: shard.count)).squareRoot())
            / effectiveScale
        loss = try comm.sum(loss) / Float(dp)
        communicationSeconds += Date().timeIntervalSince(commStart)
        let scaleBefore = lossScaler?.scale
        if lossScaler != nil && loss.isFinite, !lossScaler!.update(gradientsFinite: norm.isFinite) {
            // fp16 overflow: every rank sees the same norm, so every rank skips the same step
            return StepReport(loss: loss, norm: norm, skipped: scale > DynamicLossScaler.minimumScale,
                              lossScale: scaleBefore)
        }
        guard loss.isFinite, norm.isFinite else { return StepReport(loss: loss, norm: norm, lossScale: scaleBefore) }
        communicationSeconds += try shards.update(params: p, grads: g, m: m, v: v,
                                                  tensors: model.layout.tensors.map { ($0.range, $0.decays) },
                                                  norm: norm, step: step, unscale: 1 / effectiveScale,
                                                  updates: step + 1 - (lossScaler?.skippedSteps ?? 0), train: t)
        return StepReport(loss: loss, norm: norm, lossScale: scaleBefore)
    }

    /// Mean validation loss over the held-out tokens `ValidationPlan` names (as the single-rank
    /// trainer reads them): each rank runs its slice of every batch and the counted rows' loss
    /// sums are added over the group.
    public func evaluate(final: Bool = false) throws -> Float {
        let T = config.model.seqLen, first = comm.rank * localBatch
        let slice = first * T
        return try ValidationPlan(config: config, data: data, final: final).mean(inputs: inputs, targets: targets) { _, rows in
            model.forward(tokens: inputs + slice, targets: targets + slice, kernels: kernels)
            let mine = max(0, min(localBatch, rows - first)) * T
            let losses = model.tokenLosses
            var total: Double = 0
            for r in 0..<mine { total += Double(losses[r]) }
            return try comm.sum(total)
        }
    }
}

/// x *= s over count elements.
func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by s: Float) {
    if s == 1 { return }
    for i in 0..<count { x[i] *= s }
}

/// Σ x² accumulated in fp32 blocks of 4096, summed in Double (as `Trainer` computes the norm).
func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
    var s: Double = 0
    var i = 0
    while i < count {
        let k = min(4096, count - i)
        var acc = SIMD16<Float>()
        var j = 0
        while j + 16 <= k {
            let a = UnsafeRawPointer(x + i + j).loadUnaligned(as: SIMD16<Float>.self)
            acc.addProduct(a, a)
            j += 16
        }
        var part = acc.sum()
        while j < k { part += x[i + j] * x[i + j]; j += 1 }
        s += Double(part)
        i += k
    }
    return s
}
