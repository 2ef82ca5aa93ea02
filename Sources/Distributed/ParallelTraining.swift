import Training

/// What one rank of a parallel run holds, in bytes.
public struct RankMemory: Sendable, Equatable {
    /// Parameters this rank keeps (all of them under data parallelism).
    public var parameters: Int
    public var gradients: Int
    /// AdamW moments (m and v) this rank keeps: divided by dp under ZeRO-1.
    public var optimizerState: Int
    public var total: Int { parameters + gradients + optimizerState }
}

/// A training loop run by every rank of a parallel run.
public protocol ParallelTrainer: AnyObject {
    /// Trains to `train.steps` (or `stopAfter`); every rank calls it, all see the same events.
    func run(stopAfter: Int?, onEvent: (TrainEvent) -> Void) throws -> TrainResult
    /// The model as this rank holds it (parameters as the single-rank layout, replicated).
    var model: GPT { get }
    var memory: RankMemory { get }
    /// Seconds spent in collectives so far.
    var communicationSeconds: Double { get }
}

extension DataParallelTrainer: ParallelTrainer {
    public var memory: RankMemory {
        RankMemory(parameters: model.params.bytes, gradients: model.grads.bytes, optimizerState: optimizerStateBytes)
    }
}

public enum ParallelTraining {
    /// The trainer for `config.parallel` on this rank of `world`; refuses layouts the world size
    /// does not factor into, and axes this build does not implement.
    public static func trainer<Kernels: ModelKernels>(config: TrainConfig, data: TokenDataset, kernels: Kernels,
                                                      world: Communicator) throws -> ParallelTrainer {
        let p = config.parallel
        let grid = try ParallelGrid(dp: p.dp, tp: p.tp, pp: p.pp, cp: p.cp, worldSize: world.size)
        guard grid.tp == 1, grid.pp == 1, grid.cp == 1 else {
            throw DistributedError.invalidLayout("\(grid): only data parallelism (parallel.dp, with parallel.zero = 0 or 1) is implemented; set tp, pp and cp to 1")
        }
        guard let zero = ZeroStage(rawValue: p.zero) else {
            throw DistributedError.invalidLayout("parallel.zero must be 0 or 1, got \(p.zero)")
        }
        return try DataParallelTrainer(config: config, data: data, kernels: kernels, comm: world, zero: zero)
    }
}
