import Compute
import Foundation
import Training

/// What one rank of a parallel run holds, in bytes.
public struct RankMemory: Sendable, Equatable {
    /// Parameters this rank keeps (all of them under data parallelism).
    public var parameters: Int
    public var gradients: Int
    /// AdamW moments (m and v) this rank keeps: divided by dp under ZeRO-1.
    public var optimizerState: Int
    /// Activations kept for backward plus backward scratch for one micro-batch (divided by cp
    /// under context parallelism, whose ring buffers it includes).
    public var activations: Int
    /// GEMM packing buffers of the rank's compute threads (`Kernels.gemmWorkspaceBytesPerThread`
    /// each), allocated by each thread's first GEMM.
    public var workspace: Int
    /// Parameters, gradients and optimizer state (the part that does not depend on the batch).
    public var total: Int { parameters + gradients + optimizerState }
    /// Everything the rank holds while it trains: `total`, activations and workspace.
    public var training: Int { total + activations + workspace }
    public init(parameters: Int, gradients: Int, optimizerState: Int, activations: Int, workspace: Int = 0) {
        self.parameters = parameters; self.gradients = gradients; self.optimizerState = optimizerState
        self.activations = activations; self.workspace = workspace
    }
}

/// A training loop run by every rank of a parallel run.
public protocol ParallelTrainer: AnyObject {
    /// Trains to `train.steps` (or `stopAfter`); every rank calls it, all see the same events.
    /// `checkpoint`: every rank passes the same URL (the grid's first rank writes it, see `save`)
    /// or every rank nil. `shouldStop`, when given, is polled after each step on every rank; when
    /// it is true on any rank, all checkpoint and return `.interrupted` at the same step.
    func run(stopAfter: Int?, checkpoint: URL?, shouldStop: (() -> Bool)?, onEvent: (TrainEvent) -> Void) throws -> TrainResult
    /// Collective: gathers parameters and AdamW moments into the single-rank layout and writes
    /// them with the step and data position as a `TrainingCheckpoint` (the grid's first rank
    /// writes). The file resumes a single-rank `Trainer` or any parallel layout of the same run.
    func save(to url: URL) throws
    /// Every rank reads a `TrainingCheckpoint` of the same model, data and optimization (written
    /// under any layout) and takes its part.
    func resume(from url: URL) throws
    /// Every rank starts from a WSD trunk's kept checkpoint, written under any layout (see
    /// `TrainingCheckpoint.openBranch` for what must match).
    func branch(from url: URL) throws
    /// Optimizer steps taken.
    var step: Int { get }
    /// The model's parameters in the single-rank layout, the same on every rank: a data-parallel
    /// replica's own; a model-parallel rank's gathered from the stages when training ends.
    var parameters: FloatBuffer { get }
    /// Training FLOPs per token, counted as `GPT.flopsPerToken` does.
    var flopsPerToken: Double { get }
    var memory: RankMemory { get }
    /// Seconds spent in collectives so far.
    var communicationSeconds: Double { get }
    /// The fp16 dynamic loss scaler (nil for other precisions and layouts without mixed precision).
    var lossScaler: DynamicLossScaler? { get }
    /// Pipeline runs: the ideal 1F1B bubble fraction and the measured fraction of step time this
    /// rank waited for its neighbours; nil for layouts without a pipeline.
    var bubbleFraction: (ideal: Double, measured: Double)? { get }
}

extension ParallelTrainer {
    public var lossScaler: DynamicLossScaler? { nil }

    /// Trains without checkpoints or stop requests.
    public func run(stopAfter: Int?, onEvent: (TrainEvent) -> Void) throws -> TrainResult {
        try run(stopAfter: stopAfter, checkpoint: nil, shouldStop: nil, onEvent: onEvent)
    }
}

/// Whether `flag` is true on any rank of the grid spanned by `groups` (one group per axis of this
/// rank): the flag summed along each axis in turn.
func anyRank(_ flag: Bool, over groups: [Communicator]) throws -> Bool {
    var x: Float = flag ? 1 : 0
    for g in groups where g.size > 1 { x = try g.sum(x) }
    return x > 0
}

public enum ParallelTraining {
    /// The trainer for `config.parallel` on this rank of `world`; refuses layouts the world size
    /// does not factor into and zero stages other than 0 and 1. Every layout, pure data
    /// parallelism included, runs on `ModelParallelTrainer`.
    public static func trainer<Kernels: ModelKernels>(config: TrainConfig, data: TokenDataset, kernels: Kernels,
                                                      world: Communicator) throws -> ParallelTrainer {
        let p = config.parallel
        let grid = try ParallelGrid(dp: p.dp, tp: p.tp, pp: p.pp, cp: p.cp, worldSize: world.size)
        guard let zero = ZeroStage(rawValue: p.zero) else {
            throw DistributedError.invalidLayout("parallel.zero must be 0 or 1, got \(p.zero)")
        }
        if grid.tp > 1 || grid.cp > 1 || grid.pp > 1 {
            let context = try ParallelContext(grid: grid, world: world)
            return try ModelParallelTrainer(config: config, data: data, kernels: kernels, pipeline: context.communicator(.pp),
                                            tensor: context.communicator(.tp), context: context.communicator(.cp),
                                            dataParallel: context.communicator(.dp), zero: zero)
        }
        return try ModelParallelTrainer(config: config, data: data, kernels: kernels, dataParallel: world, zero: zero)
    }
}
