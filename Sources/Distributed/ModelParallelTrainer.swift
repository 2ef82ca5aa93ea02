import Foundation
import ScalingLaws
import Training

/// Training of a model sharded over a tensor-parallel group and/or a context-parallel group
/// (`ShardedGPT`), optionally replicated over a data-parallel group.
///
/// Tensor parallelism (Megatron-LM): every rank of the tp group sees the same tokens and holds
/// 1/tp of each block's heads and MLP units, with two all-reduces of activations per block forward
/// and two of input gradients per block backward. Context parallelism: the ranks of the cp group
/// see the same sequences and hold 2 of their 2 cp chunks each (ring attention); the parameter
/// gradients are summed over the cp group once per step. The optimizer updates each rank's shards
/// and its copy of the replicated tensors (whose gradients are then equal on every rank); the
/// clipping norm sums the shards' squares over the tp group once.
///
/// With a data-parallel group as well, each (tp x cp) replica trains on its 1/dp slice of the
/// batch and the local gradient buffer is all-reduced (mean) over the dp group, which links the
/// ranks holding the same shards.
public final class ModelParallelTrainer<Kernels: ModelKernels>: ParallelTrainer {
    public let config: TrainConfig
    public let data: TokenDataset
    /// The tensor-parallel group of this rank (size 1 without tensor parallelism).
    public let comm: Communicator
    /// The context-parallel group of this rank (nil or size 1 without context parallelism).
    public let context: Communicator?
    /// The data-parallel group of this rank (nil or size 1 without data parallelism).
    public let dataParallel: Communicator?
    let localBatch: Int
    let kernels: Kernels
    let sharded: ShardedGPT
    let m: FloatBuffer, v: FloatBuffer
    let loop: ParallelLoop
    /// Optimizer steps taken.
    public var step: Int { loop.step }
    var rng: SplitMix64
    let inputs: UnsafeMutablePointer<Int32>
    let targets: UnsafeMutablePointer<Int32>
    var optimizerCommunicationSeconds: Double = 0
    /// Seconds in collectives: the blocks' all-reduces and the gradient reductions.
    public var communicationSeconds: Double { optimizerCommunicationSeconds + sharded.communicationSeconds }
    /// A single-rank model holding the gathered parameters after `run`.
    public let model: GPT

    /// `tensor` is the tensor-parallel group (model.n_head and the MLP width must divide by its
    /// size), `context` the context-parallel group (model.seq_len must divide by twice its size).
    public init(config: TrainConfig, data: TokenDataset, kernels: Kernels, tensor comm: Communicator,
                context: Communicator? = nil, dataParallel: Communicator? = nil) throws {
        try config.validate()
        try data.check(seqLen: config.model.seqLen, modelVocab: config.model.vocab)
        let dp = dataParallel?.size ?? 1
        guard config.train.batch % dp == 0 else {
            throw DistributedError.invalidLayout("train.batch (\(config.train.batch)) must divide by dp (\(dp)): each data-parallel rank takes batch / dp sequences")
        }
        localBatch = config.train.batch / dp
        self.dataParallel = dataParallel
        self.config = config
        loop = ParallelLoop(config: config, data: data)
        self.data = data
        self.kernels = kernels
        self.comm = comm
        model = try GPT(config: config.model, batch: 1, seqLen: config.model.seqLen, seed: config.train.seed)
        self.context = context
        sharded = try ShardedGPT(config: config.model, comm: comm, context: context, B: localBatch,
                                 seqLen: config.model.seqLen, initial: model.params.pointer)
        m = FloatBuffer(count: sharded.params.count)
        v = FloatBuffer(count: sharded.params.count)
        rng = SplitMix64(seed: config.train.seed &+ 0x5EED)
        let n = config.train.batch * config.model.seqLen
        inputs = .allocate(capacity: n)
        targets = .allocate(capacity: n)
    }

    deinit {
        inputs.deallocate()
        targets.deallocate()
    }

    public var memory: RankMemory {
        RankMemory(parameters: sharded.params.bytes, gradients: sharded.grads.bytes, optimizerState: m.bytes + v.bytes,
                   activations: sharded.activationBytes)
    }
    public var bubbleFraction: (ideal: Double, measured: Double)? { nil }

    public func run(stopAfter: Int?, onEvent: (TrainEvent) -> Void) throws -> TrainResult {
        try loop.run(stopAfter: stopAfter, onEvent: onEvent, trainStep: trainStep, evaluate: evaluate, finish: {
            try self.sharded.gather(into: self.model.params.pointer)
        })
    }

    func trainStep() throws -> (Float, Float) {
        let t = config.train, T = config.model.seqLen
        let slice = (dataParallel?.rank ?? 0) * localBatch * T
        sharded.grads.zero()
        var loss: Float = 0
        for _ in 0..<t.microBatches {
            data.sampleTrain(B: t.batch, T: T, rng: &rng, inputs: inputs, targets: targets)
            loss += try sharded.loss(tokens: inputs + slice, targets: targets + slice, kernels: kernels)
            try sharded.backward(lossScale: 1 / Float(t.microBatches), kernels: kernels)
        }
        loss /= Float(t.microBatches)
        try sharded.reduceContextGradients()
        let commStart = Date()
        if let dp = dataParallel, dp.size > 1 {
            try dp.allReduce(sharded.grads.pointer, count: sharded.grads.count)
            scale(sharded.grads.pointer, count: sharded.grads.count, by: 1 / Float(dp.size))
            loss = try dp.sum(loss) / Float(dp.size)
        }
        let squares = sharded.gradientSquares()
        let norm = (try comm.sum(Float(squares.sharded)) + Float(squares.replicated)).squareRoot()
        optimizerCommunicationSeconds += Date().timeIntervalSince(commStart)
        guard loss.isFinite, norm.isFinite else { return (loss, norm) }
        let clip: Float = t.gradClip > 0 && Double(norm) > t.gradClip ? Float(t.gradClip) / norm : 1
        let lr = Float(t.lrSchedule.lr(step: step, totalSteps: t.steps, peak: t.lr))
        for l in sharded.locals {
            AdamW.update(params: sharded.params.pointer + l.offset, grads: sharded.grads.pointer + l.offset,
                         m: m.pointer + l.offset, v: v.pointer + l.offset, range: 0..<l.count, step: step + 1, lr: lr,
                         decays: l.tensor.decays, gradScale: clip, config: t.adamW)
        }
        return (loss, norm)
    }

    /// Mean validation loss over `eval_batches` fixed batches.
    public func evaluate() throws -> Float {
        let t = config.train, T = config.model.seqLen
        let slice = (dataParallel?.rank ?? 0) * localBatch * T
        var total: Double = 0
        for i in 0..<t.evalBatches {
            data.validationBatch(i, of: t.evalBatches, B: t.batch, T: T, inputs: inputs, targets: targets)
            total += Double(try sharded.loss(tokens: inputs + slice, targets: targets + slice, kernels: kernels))
        }
        let local = Float(total / Double(t.evalBatches))
        guard let dp = dataParallel, dp.size > 1 else { return local }
        return try dp.sum(local) / Float(dp.size)
    }
}
