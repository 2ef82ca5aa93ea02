import Foundation

/// Errors from fitting and planning, each with a message a user can act on.
public enum ScalingLawError: Error, Equatable, CustomStringConvertible, Sendable {
    /// Fewer runs than the number of free parameters.
    case tooFewRuns(count: Int, required: Int)
    /// All runs share one model size: the parameter term cannot be separated from E.
    case singleModelSize(Double)
    /// All runs share one token count: the data term cannot be separated from E.
    case singleTokenCount(Double)
    /// A run has a non-positive or non-finite value.
    case invalidValue(run: Int, field: String, value: Double)
    /// An IsoFLOP budget whose fitted parabola opens downward (no minimum).
    case parabolaOpensDownward(budget: String)
    /// An IsoFLOP budget whose minimum lies outside its sampled model sizes.
    case vertexOutsideRange(budget: String, vertex: Double, minParams: Double, maxParams: Double)
    /// An IsoFLOP budget with too few distinct model sizes to fit a parabola.
    case tooFewSizesInBudget(budget: String, count: Int)
    /// Too few budgets for the IsoFLOP power-law fit.
    case tooFewBudgets(count: Int)
    /// A target loss at or below the irreducible loss E can never be reached.
    case targetLossUnreachable(target: Double, irreducible: Double)
    /// A law with a non-positive or non-finite parameter.
    case invalidLaw(ChinchillaLaw)
    /// A bad argument to a planning or fitting function.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .tooFewRuns(count, required):
            return "Only \(count) run(s); the law has \(required) parameters (E, A, B, alpha, beta), so at least \(required) runs are needed (many more for a trustworthy fit)."
        case let .singleModelSize(n):
            return "Every run has the same model size (N = \(n)): the law is not identifiable (A/N^alpha cannot be told apart from E). Add runs with other model sizes."
        case let .singleTokenCount(d):
            return "Every run has the same token count (D = \(d)): the law is not identifiable (B/D^beta cannot be told apart from E). Add runs with other token counts."
        case let .invalidValue(run, field, value):
            return "Run \(run) has \(field) = \(value); params, tokens, loss (and flops when given) must be finite and positive."
        case let .parabolaOpensDownward(budget):
            return "IsoFLOP budget \(budget): loss vs log N curves downward (the fitted parabola has no minimum). Sample model sizes on both sides of the optimum."
        case let .vertexOutsideRange(budget, vertex, lo, hi):
            return "IsoFLOP budget \(budget): the fitted minimum N = \(vertex) lies outside the sampled sizes [\(lo), \(hi)]. Extend the sweep toward the minimum."
        case let .tooFewSizesInBudget(budget, count):
            return "IsoFLOP budget \(budget) has \(count) distinct model size(s); a parabola needs at least 3."
        case let .tooFewBudgets(count):
            return "IsoFLOP fit found \(count) compute budget(s); fitting N_opt = k C^a needs at least 2."
        case let .targetLossUnreachable(target, irreducible):
            return "Target loss \(target) is at or below the irreducible loss E = \(irreducible): no amount of compute reaches it."
        case let .invalidLaw(law):
            return "Invalid law (every parameter must be finite and positive): \(law)."
        case let .invalidArgument(message):
            return message
        }
    }
}

extension ScalingLawError: LocalizedError {
    public var errorDescription: String? { description }
}
