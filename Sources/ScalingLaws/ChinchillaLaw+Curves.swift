import Foundation

/// A point of a loss-vs-tokens curve at fixed model size.
public struct LossPoint: Sendable, Hashable, Codable {
    public var tokens: Double
    public var loss: Double
}

extension ChinchillaLaw {
    /// The compute-optimal frontier at `count` log-spaced budgets from `flops.lowerBound` to
    /// `flops.upperBound` inclusive: `(C, N_opt, D_opt, loss)` for each.
    public func frontier(flops: ClosedRange<Double>, count: Int, counting: FlopCounting = .sixND) throws -> [Allocation] {
        try Self.requirePositive(flops.lowerBound, "Lowest budget")
        guard count >= 1 else { throw ScalingLawError.invalidArgument("A frontier needs at least one budget (got \(count)).") }
        return try logSpaced(flops, count).map { try computeOptimal(flops: $0, counting: counting) }
    }

    /// Loss against training tokens for a model of `params` parameters at `count` log-spaced
    /// token counts over `tokens`.
    public func lossCurve(params: Double, tokens: ClosedRange<Double>, count: Int) throws -> [LossPoint] {
        try requireValid()
        try Self.requirePositive(params, "Parameter count")
        try Self.requirePositive(tokens.lowerBound, "Lowest token count")
        guard count >= 1 else { throw ScalingLawError.invalidArgument("A curve needs at least one point (got \(count)).") }
        return logSpaced(tokens, count).map { LossPoint(tokens: $0, loss: loss(params: params, tokens: $0)) }
    }
}

/// `count` log-spaced values from `r.lowerBound` to `r.upperBound` (inclusive; one value: the lower bound).
func logSpaced(_ r: ClosedRange<Double>, _ count: Int) -> [Double] {
    guard count > 1 else { return [r.lowerBound] }
    let lo = Foundation.log(r.lowerBound), hi = Foundation.log(r.upperBound)
    return (0..<count).map { i in
        i == 0 ? r.lowerBound : i == count - 1 ? r.upperBound : Foundation.exp(lo + (hi - lo) * Double(i) / Double(count - 1))
    }
}
