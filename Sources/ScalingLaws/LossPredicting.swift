import Foundation

/// A fitted law that predicts a run's final loss. Every law family conforms, so rollouts and
/// comparisons work the same way for each.
public protocol LossPredicting: Sendable {
    /// Predicted final loss of `run` (from its N, D and compute).
    func predictedLoss(for run: Observation) -> Double
    /// The asymptote E (the loss with unlimited compute); the reducible loss is `L - E`.
    var irreducibleLoss: Double { get }
    /// The fitted parameters by name, for tables and JSON.
    var namedParameters: [(name: String, value: Double)] { get }
}

extension ChinchillaLaw: LossPredicting {
    public func predictedLoss(for run: Observation) -> Double { loss(params: run.params, tokens: run.tokens) }
    public var irreducibleLoss: Double { E }
    public var namedParameters: [(name: String, value: Double)] {
        [("E", E), ("A", A), ("B", B), ("alpha", alpha), ("beta", beta)]
    }
}
