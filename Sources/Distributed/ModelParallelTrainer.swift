import Compute
import Foundation
import Randomness
import Training

/// Training of a model split over a pipeline (pp), tensor (tp) and context (cp) grid, optionally
/// replicated over data-parallel ranks (dp): each rank runs a `ShardedGPT`, its stage's blocks
/// sharded over its tensor and context groups. Every parallel layout runs here, pure data
/// parallelism included (one stage, groups of size 1): each replica trains on its contiguous
/// 1/dp of every micro-batch's sequences, so a dp-rank run computes the single-rank run's
/// gradient up to the order of fp32 additions.
///
/// Pipeline (GPipe's split of layers into stages, PipeDream-flush / Megatron's 1F1B order):
/// stage s of S owns a contiguous slice of the blocks (`ThreadPool.partition`), the first also
/// the embeddings, the last also ln_f, the head and the loss. The step's `train.micro_batches`
/// micro-batches flow through the stages; stage s runs S - s - 1 warm-up forwards, then
/// alternates one forward and one backward, then drains the remaining backwards, so at most
/// S - s micro-batches' activations are alive. Activations go forward and their gradients back
/// with send/receive between ranks of the same tensor and context coordinates. With a tied head
/// the first and last stages sum the token embedding's gradient. Bubble: the ideal idle fraction
/// of 1F1B is (S - 1) / (M + S - 1); `waitSeconds` measures the time each stage actually spent
/// blocked in receives. With S = 1 this is plain gradient accumulation.
///
/// Tensor parallelism (Megatron-LM): two all-reduces of activations per block forward and two of
/// input gradients per block backward within the tp group. Context parallelism: ring attention
/// within the cp group, parameter gradients summed over it once per step. Data parallelism: each
/// replica takes its 1/dp of every micro-batch's sequences; gradients are averaged over the dp
/// group before the update (with ZeRO-1, reduce-scattered: each replica updates its 1/dp of the
/// rank's tensors with its 1/dp of the AdamW moments, then the parameters are all-gathered).
/// Every rank updates its own tensors with AdamW; the clipping norm sums the squares over the dp
/// shards, the tp shards and the pp stages.
///
/// Mixed precision (bf16, fp16) runs the same block as the single-rank model (`TransformerBlock`
/// under the `PrecisionPolicy`): each rank's matmuls read its shard's weights in the compute
/// format, activations crossing ranks (pipeline sends, tensor all-reduces, ring blocks) stay fp32,
/// and fp16's dynamic loss scale follows the global gradient norm, so every rank skips the same
/// steps.
public final class ModelParallelTrainer<Kernels: ModelKernels>: ParallelTrainer {
    public let config: TrainConfig
    public let data: TokenDataset
    /// The pipeline group of this rank (size 1 without pipeline parallelism).
    public let comm: Communicator
    /// The tensor-parallel group (size 1 without tensor parallelism).
    public let tensor: Communicator
    let kernels: Kernels
    let stage: ShardedGPT
    /// AdamW moments of this rank's shard of the stage's local buffer (all of it without ZeRO-1).
    let m: FloatBuffer, v: FloatBuffer
    let shards: ZeroShards
    public var zero: ZeroStage { shards.zero }
    /// The first and last stage (tied-embedding gradient sum); nil when untied or one stage.
    let embeddingGroup: Communicator?
    let loop: StepLoop
    /// Optimizer steps taken.
    public var step: Int { loop.step }
    var rng: SplitMix64
    let inputs: UnsafeMutablePointer<Int32>
    let targets: UnsafeMutablePointer<Int32>
    /// Seconds in collectives: the stage's (tensor all-reduces, ring passes, context gradient sums)
    /// and the pipeline's and the optimizer step's.
    public var communicationSeconds: Double { stepCommunicationSeconds + stage.communicationSeconds }
    private var stepCommunicationSeconds: Double = 0
    /// Seconds this stage spent blocked receiving activations or gradients.
    public private(set) var waitSeconds: Double = 0
    /// Seconds of optimizer steps (forward, backward, communication and update).
    public var stepSeconds: Double { loop.stepSeconds }
    /// The parameters in the single-rank layout: a rank that holds the whole model (no tensor or
    /// pipeline split) trains them in place; otherwise they are gathered from every stage when
    /// training ends (`gatherModel()`), allocated then, so a rank holds only its shard while it trains.
    public var parameters: FloatBuffer { stage.holdsWholeModel ? stage.params : gathered }
    private lazy var gathered = FloatBuffer(count: ParameterLayout(config.model).count)
    public let flopsPerToken: Double
    /// fp16 only (nil otherwise): the dynamic loss scale, the same on every rank; saved in and
    /// restored from checkpoints. Settable (on every rank alike), e.g. to start from another scale.
    public var lossScaler: DynamicLossScaler? {
        didSet { precondition((lossScaler != nil) == stage.policy.usesLossScaling, "only fp16 training has a loss scaler") }
    }

    /// The data-parallel group (nil: one pipeline replica).
    public let dataParallel: Communicator?

    /// Each group is this rank's along its axis; nil means the axis is not split. `pipeline`'s size
    /// is the number of stages (at most n_layer); model.n_head and the MLP width must divide by
    /// `tensor`'s size, model.seq_len by twice `context`'s, train.batch by `dataParallel`'s.
    public init(config: TrainConfig, data: TokenDataset, kernels: Kernels, pipeline: Communicator? = nil,
                tensor: Communicator? = nil, context: Communicator? = nil, dataParallel: Communicator? = nil,
                zero: ZeroStage = .none) throws {
        let comm = pipeline ?? SingleRankCommunicator()
        try config.validate()
        try data.check(seqLen: config.model.seqLen, modelVocab: config.model.vocab)
        let S = comm.size, L = config.model.nLayer
        guard S <= L else {
            throw DistributedError.invalidLayout("pp (\(S)) must be at most model.n_layer (\(L)): each stage needs a block")
        }
        let dp = dataParallel?.size ?? 1
        guard config.train.batch % dp == 0 else {
            throw DistributedError.invalidLayout("train.batch (\(config.train.batch)) must divide by dp (\(dp)): each data-parallel pipeline takes batch / dp sequences of every micro-batch")
        }
        let split = [comm, tensor, context].contains { ($0?.size ?? 1) > 1 }
        guard !(split && config.train.precision == .fp8) else {
            throw DistributedError.invalidLayout("train.precision = \"fp8\" (experimental) runs single-rank or under pure data parallelism; its per-tensor scales would be per shard under tensor, pipeline and context parallelism: use bf16 or fp16")
        }
        self.dataParallel = dp > 1 ? dataParallel : nil
        self.config = config
        loop = StepLoop(config: config, bytesPerToken: data.bytesPerToken)
        self.data = data
        self.kernels = kernels
        self.comm = comm
        // the single-rank initialization, from which each stage copies its part (freed after)
        let initial = try GPT.initialParameters(config.model, seed: config.train.seed)
        flopsPerToken = GPT.flopsPerToken(config.model, seqLen: config.model.seqLen)
        let s = comm.rank
        self.tensor = tensor ?? SingleRankCommunicator()
        stage = try ShardedGPT(config: config.model, comm: self.tensor, context: context,
                               layers: ThreadPool.partition(L, parts: S, part: s), isFirst: s == 0, isLast: s == S - 1,
                               inFlight: min(config.train.microBatches, S - s), B: config.train.batch / dp,
                               seqLen: config.model.seqLen, initial: initial.pointer, precision: config.train.precision)
        lossScaler = stage.policy.usesLossScaling ? DynamicLossScaler() : nil
        shards = ZeroShards(count: stage.params.count, group: dataParallel, zero: zero)
        m = FloatBuffer(count: shards.range.count)
        v = FloatBuffer(count: shards.range.count)
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

    /// Pipelines: the ideal 1F1B bubble fraction and the measured one; nil without a pipeline.
    public var bubbleFraction: (ideal: Double, measured: Double)? {
        comm.size > 1 ? (idealBubbleFraction, measuredBubbleFraction) : nil
    }

    public var memory: RankMemory {
        RankMemory(parameters: stage.params.bytes, gradients: stage.grads.bytes, optimizerState: m.bytes + v.bytes,
                   activations: stage.activationBytes, workspace: kernels.threads * Compute.Kernels.gemmWorkspaceBytesPerThread)
    }

    /// The ideal 1F1B bubble fraction (S - 1) / (M + S - 1).
    public var idealBubbleFraction: Double {
        let S = Double(comm.size), M = Double(config.train.microBatches)
        return (S - 1) / (M + S - 1)
    }

    /// Fraction of this stage's step time spent blocked in receives.
    public var measuredBubbleFraction: Double { stepSeconds > 0 ? waitSeconds / stepSeconds : 0 }

    /// Runs to `train.steps` (or `stopAfter`); every rank must call it. `onEvent` sees the same
    /// events on every rank. See `ParallelTrainer.run`.
    public func run(stopAfter: Int? = nil, checkpoint: URL? = nil, shouldStop: (() -> Bool)? = nil,
                    onEvent: (TrainEvent) -> Void = { _ in }) throws -> TrainResult {
        let groups = [comm, tensor, stage.context, dataParallel].compactMap { $0 }
        return try loop.run(stopAfter: stopAfter, checkpoint: checkpoint, onEvent: onEvent, trainStep: trainStep,
                            evaluate: evaluate(final:), save: save(to:),
                            stopAgreed: { try shouldStop.map { try anyRank($0(), over: groups) } ?? false },
                            lossScaler: { self.lossScaler }, finish: gatherModel)
    }

    /// The first rank of the grid (every coordinate 0) writes checkpoints.
    private var writesCheckpoints: Bool {
        [comm, tensor, stage.context, dataParallel].allSatisfy { ($0?.rank ?? 0) == 0 }
    }

    public func save(to url: URL) throws {
        let n = stage.layout.count
        let full = FloatBuffer(count: 3 * n)
        let (mLocal, vLocal) = try (shards.unshard(m), shards.unshard(v))
        for (k, local) in [stage.params.pointer, mLocal.pointer, vLocal.pointer].enumerated() {
            try stage.gather(local, into: full.pointer + k * n)
            if comm.size > 1 { try comm.allReduce(full.pointer + k * n, count: n) }
        }
        guard writesCheckpoints else { return }
        try TrainingCheckpoint.write(to: url, layout: stage.layout, params: full.pointer, m: full.pointer + n,
                                     v: full.pointer + 2 * n,
                                     state: .init(step: step, rngState: rng.state, recentLosses: loop.recentLosses,
                                                  lossScaler: lossScaler?.checkpointText ?? ""),
                                     config: config)
    }

    public func resume(from url: URL) throws {
        try load(TrainingCheckpoint.open(url, for: config), from: url)
    }

    public func branch(from url: URL) throws {
        try load(TrainingCheckpoint.openBranch(url, for: config), from: url)
    }

    private func load(_ file: Safetensors.File, from url: URL) throws {
        let n = stage.layout.count
        let full = FloatBuffer(count: 3 * n)
        let state = try TrainingCheckpoint.read(file, from: url, layout: stage.layout,
                                                params: full.pointer, m: full.pointer + n, v: full.pointer + 2 * n)
        let (mLocal, vLocal) = (FloatBuffer(count: stage.params.count), FloatBuffer(count: stage.params.count))
        for (k, local) in [stage.params.pointer, mLocal.pointer, vLocal.pointer].enumerated() {
            stage.scatter(full.pointer + k * n, into: local)
        }
        shards.take(mLocal.pointer, into: m)
        shards.take(vLocal.pointer, into: v)
        if lossScaler != nil { lossScaler = try DynamicLossScaler.saved(in: state, of: url) }
        loop.restore(step: state.step, recentLosses: state.recentLosses)
        rng = SplitMix64(seed: state.rngState)
    }

    private func receive(_ buffer: UnsafeMutablePointer<Float>, from source: Int, tag: Int) throws {
        let t0 = Date()
        try comm.receive(buffer, count: stage.R * config.model.dModel, from: source, tag: tag)
        let dt = Date().timeIntervalSince(t0)
        waitSeconds += dt
        stepCommunicationSeconds += dt
    }

    private func send(_ buffer: UnsafePointer<Float>, to destination: Int, tag: Int) throws {
        let t0 = Date()
        try comm.send(buffer, count: stage.R * config.model.dModel, to: destination, tag: tag)
        stepCommunicationSeconds += Date().timeIntervalSince(t0)
    }

    /// Tokens of one micro-batch: train.batch full sequences.
    private var microBatchTokens: Int { config.train.batch * config.model.seqLen }
    /// Offset of this data-parallel replica's sequences in a micro-batch.
    private var replicaOffset: Int { (dataParallel?.rank ?? 0) * stage.B * config.model.seqLen }

    /// Forward of micro-batch `i` (tokens at `inputs` + i B T); returns its loss on the last stage.
    private func forward(_ i: Int, slots: Int) throws -> Float? {
        let s = comm.rank, n = i * microBatchTokens + replicaOffset, slot = i % slots
        if !stage.isFirst { try receive(stage.input(slot), from: s - 1, tag: 2 * i) }
        let loss = try stage.forward(slot: slot, tokens: inputs + n, targets: targets + n, kernels: kernels)
        if !stage.isLast { try send(stage.output(slot), to: s + 1, tag: 2 * i) }
        return loss
    }

    private func backward(_ i: Int, slots: Int) throws {
        let s = comm.rank
        if !stage.isLast { try receive(stage.residualGradient, from: s + 1, tag: 2 * i + 1) }
        try stage.backward(slot: i % slots, lossScale: 1 / Float(config.train.microBatches), kernels: kernels)
        if !stage.isFirst { try send(stage.residualGradient, to: s - 1, tag: 2 * i + 1) }
    }

    func trainStep() throws -> StepReport {
        let t = config.train, T = config.model.seqLen, M = t.microBatches, S = comm.size, s = comm.rank
        let n = microBatchTokens
        // Mixed precision saves the loss gradient scaled by dynamicLossScale / (the replica's
        // tokens): 1 / dp of the scale makes it the single-rank run's value, and the gradients'
        // mean over the replicas is `effectiveScale` x the true gradient (fp32 ignores it).
        let scale = lossScaler?.scale ?? 1
        let effectiveScale = stage.policy.isMixed ? scale / Float(dataParallel?.size ?? 1) : 1
        stage.dynamicLossScale = effectiveScale
        for i in 0..<M {
            data.sampleTrain(B: t.batch, T: T, firstSample: (step * M + i) * t.batch, seed: t.seed, rng: &rng,
                             inputs: inputs + i * n, targets: targets + i * n)
        }
        stage.grads.zero()
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
        try stage.reduceContextGradients()
        let commStart = Date()
        if let group = embeddingGroup {
            try group.allReduce(stage.g(stage.layout.wte), count: config.model.vocab * config.model.dModel)
        }
        let g = stage.grads.pointer
        try shards.averageGradients(g)
        // the norm counts every parameter once: the tied copy's gradient is the first stage's
        var squares = stage.gradientSquares(in: shards.range)
        squares = try (shards.sumOverShards(squares.sharded), shards.sumOverShards(squares.replicated))
        let stageSquares = try stage.comm.sum(Float(squares.sharded)) + Float(squares.replicated)
        let norm = try comm.sum(stageSquares).squareRoot() / effectiveScale
        loss = try comm.sum(stage.isLast ? loss : 0)
        if let dp = dataParallel { loss = try dp.sum(loss) / Float(dp.size) }
        stepCommunicationSeconds += Date().timeIntervalSince(commStart)
        let scaleBefore = lossScaler?.scale
        if lossScaler != nil && loss.isFinite, !lossScaler!.update(gradientsFinite: norm.isFinite) {
            // fp16 overflow: every rank sees the same norm, so every rank skips the same step
            return StepReport(loss: loss, norm: norm, skipped: scale > DynamicLossScaler.minimumScale, lossScale: scaleBefore)
        }
        guard loss.isFinite, norm.isFinite else { return StepReport(loss: loss, norm: norm, lossScale: scaleBefore) }
        stepCommunicationSeconds += try shards.update(params: stage.params.pointer, grads: g, m: m, v: v,
                                                      tensors: stage.locals.map { ($0.offset..<($0.offset + $0.count), $0.tensor.decays) },
                                                      norm: norm, step: step, unscale: 1 / effectiveScale,
                                                      updates: step + 1 - (lossScaler?.skippedSteps ?? 0), train: t)
        return StepReport(loss: loss, norm: norm, lossScale: scaleBefore)
    }

    /// Mean validation loss over the held-out tokens `ValidationPlan` names (as the single-rank
    /// trainer reads them), pushed through the stages: the last stage sums its counted rows'
    /// token losses (over the context group's positions), and the sums are added over the
    /// pipeline and the data-parallel replicas.
    public func evaluate(final: Bool = false) throws -> Float {
        let s = comm.rank
        let waitedBefore = waitSeconds
        defer { waitSeconds = waitedBefore } // the bubble is a training-step measure
        let plan = ValidationPlan(config: config, data: data, final: final)
        return try plan.mean(inputs: inputs, targets: targets) { batch, rows in
            if !stage.isFirst { try receive(stage.input(0), from: s - 1, tag: 1_000_000 + batch) }
            _ = try stage.forward(slot: 0, tokens: inputs + replicaOffset, targets: targets + replicaOffset, kernels: kernels)
            if !stage.isLast { try send(stage.output(0), to: s + 1, tag: 1_000_000 + batch) }
            var total: Double = 0
            if stage.isLast {
                let first = (dataParallel?.rank ?? 0) * stage.B
                total = stage.countedLossSum(rows: max(0, min(stage.B, rows - first)))
                if let context = stage.context { total = try context.sum(total) }
            }
            total = try comm.sum(total)
            if let dp = dataParallel { total = try dp.sum(total) }
            return total
        }
    }

    /// Copies every stage's parameters into `parameters` on every rank (the single-rank layout):
    /// each stage's tensors, zero elsewhere, summed over the stages.
    public func gatherModel() throws {
        guard !stage.holdsWholeModel else { return }
        try stage.gather(into: parameters.pointer)
        try comm.allReduce(parameters.pointer, count: parameters.count)
    }
}
