/// One training run: model size, tokens seen and final loss.
public struct Observation: Hashable, Codable, Sendable {
    /// Parameter count `N` (whatever convention the law is fitted in; see ``ParameterCounting``).
    public var params: Double
    /// Training tokens `D`.
    public var tokens: Double
    /// Final loss (nats per token).
    public var loss: Double
    /// Training compute in FLOPs, when known. The IsoFLOP fit falls back to `6 N D` without it.
    public var flops: Double?
    /// Free-form run name (for reports on residuals).
    public var name: String?
    /// Compute-budget label from a sweep (IsoFLOP groups by it when present).
    public var budget: String?

    public init(params: Double, tokens: Double, loss: Double, flops: Double? = nil,
                name: String? = nil, budget: String? = nil) {
        self.params = params
        self.tokens = tokens
        self.loss = loss
        self.flops = flops
        self.name = name
        self.budget = budget
    }

    /// `flops` when given, else `6 N D`.
    public var computeFlops: Double { flops ?? 6 * params * tokens }
}
