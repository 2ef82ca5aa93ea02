/// A training plan: budget, model size, tokens and the law's predicted loss.
public struct Allocation: Sendable, Hashable, Codable {
    /// Training compute in FLOPs (under the plan's ``FlopCounting``).
    public var flops: Double
    /// Parameters `N`.
    public var params: Double
    /// Training tokens `D`.
    public var tokens: Double
    /// Predicted loss `L(N, D)`.
    public var loss: Double

    public init(flops: Double, params: Double, tokens: Double, loss: Double) {
        self.flops = flops
        self.params = params
        self.tokens = tokens
        self.loss = loss
    }

    /// `D / N` (about 20 for Chinchilla).
    public var tokensPerParam: Double { tokens / params }
}

/// A data-constrained plan (Muennighoff et al. 2023): the tokens `D` are drawn from `uniqueTokens`
/// distinct tokens, repeated for `epochs = D / U` epochs.
public struct DataConstrainedAllocation: Sendable, Hashable, Codable {
    public var allocation: Allocation
    public var uniqueTokens: Double
    /// `D / U`.
    public var epochs: Double
    /// `D' = U + U R* (1 - e^(-R/R*))`, `R = D/U - 1` (or `D` when `D <= U`): what the loss sees.
    public var effectiveTokens: Double
}

/// An inference-aware plan (Sardana et al. 2024): the model that reaches the budget-optimal loss
/// with the least training plus inference compute, `6 N D + 2 N T`.
public struct InferenceAwareAllocation: Sendable, Hashable, Codable {
    /// The chosen model (its `flops` are TRAINING FLOPs, `6 N D`).
    public var allocation: Allocation
    /// Lifetime inference tokens `T`.
    public var inferenceTokens: Double
    /// `2 N T`.
    public var inferenceFlops: Double
    /// `6 N D + 2 N T`.
    public var totalFlops: Double
    /// The training-compute-optimal model for the budget, reaching the same loss.
    public var baseline: Allocation
    /// `6 N* D* + 2 N* T` for the baseline.
    public var baselineTotalFlops: Double
    /// `1 - totalFlops / baselineTotalFlops` (0 when T = 0).
    public var savings: Double
}
