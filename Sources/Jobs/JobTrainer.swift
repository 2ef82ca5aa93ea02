import Compute
import Distributed
import Foundation
import Training

/// What a job needs of a trainer, whatever the layout: the single-rank `Trainer` and every
/// parallel layout's trainer (one per rank) behind one interface.
protocol JobTrainer: AnyObject {
    /// Optimizer steps taken (0, or where a resume or branch left off).
    var step: Int { get }
    /// Training FLOPs per token of the whole model (for throughput lines).
    var flopsPerToken: Double { get }
    /// The fp16 loss scaler's state, when the run has one.
    var lossScale: (scale: Double, skipped: Int)? { get }
    func resume(from url: URL) throws
    func branch(from url: URL) throws
    func train(checkpoint: URL, shouldStop: @escaping () -> Bool, onEvent: (TrainEvent) -> Void) throws -> TrainResult
}

extension Trainer: JobTrainer {
    var flopsPerToken: Double { model.flopsPerToken }
    var lossScale: (scale: Double, skipped: Int)? { lossScaler.map { (Double($0.scale), $0.skippedSteps) } }
    func train(checkpoint: URL, shouldStop: @escaping () -> Bool, onEvent: (TrainEvent) -> Void) throws -> TrainResult {
        try run(checkpoint: checkpoint, shouldStop: shouldStop, onEvent: onEvent)
    }
}

/// One rank's parallel trainer as a job trainer.
final class RankTrainer: JobTrainer {
    let trainer: ParallelTrainer
    init(_ trainer: ParallelTrainer) { self.trainer = trainer }

    var step: Int { trainer.step }
    var flopsPerToken: Double { trainer.flopsPerToken }
    var lossScale: (scale: Double, skipped: Int)? { trainer.lossScaler.map { (Double($0.scale), $0.skippedSteps) } }
    func resume(from url: URL) throws { try trainer.resume(from: url) }
    func branch(from url: URL) throws { try trainer.branch(from: url) }
    func train(checkpoint: URL, shouldStop: @escaping () -> Bool, onEvent: (TrainEvent) -> Void) throws -> TrainResult {
        try trainer.run(stopAfter: nil, checkpoint: checkpoint, shouldStop: shouldStop, onEvent: onEvent)
    }
}

/// Why a job could not run.
public enum JobError: Error, CustomStringConvertible {
    case unsupported(String)
    case invalid(String)
    /// Another live process holds the run's claim.
    case busy(String)
    public var description: String {
        switch self {
        case let .unsupported(s), let .invalid(s), let .busy(s): return s
        }
    }
}
