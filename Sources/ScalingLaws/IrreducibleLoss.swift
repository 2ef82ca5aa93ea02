import Foundation

/// What the fit may do with the asymptote E of `L = E + A/N^alpha + B/D^beta`.
public enum IrreducibleLoss: Sendable, Hashable, Codable {
    /// E is fitted freely (Hoffmann et al. 2022).
    case free
    /// E is fixed at a value (a prior belief, e.g. the entropy of the text).
    case fixed(Double)
    /// E is fitted within `lower <= E <= upper` (a prior range; `upper` is typically the lowest
    /// observed loss, since no run can be below its asymptote). Parametrized as
    /// `E = lower + (upper - lower) · sigmoid(z)`.
    case bounded(lower: Double, upper: Double)

    /// Throws unless the value or bound is finite and positive.
    public func validate() throws {
        switch self {
        case .free: return
        case let .fixed(v):
            guard v.isFinite && v > 0 else {
                throw ScalingLawError.invalidArgument("A fixed irreducible loss E must be finite and positive (got \(v)).")
            }
        case let .bounded(lo, hi):
            guard lo.isFinite && hi.isFinite && lo >= 0 && hi > lo else {
                throw ScalingLawError.invalidArgument("Bounds of the irreducible loss E need 0 <= lower < upper, both finite (got [\(lo), \(hi)]).")
            }
        }
    }

    /// Free coordinates of the optimizer: 5 (`[a, b, e, alpha, beta]`, or `z` for `e` when
    /// bounded), 4 when E is fixed (`[a, b, alpha, beta]`).
    public var dimension: Int {
        if case .fixed = self { return 4 }
        return 5
    }

    /// The law's coordinates `[a, b, e, alpha, beta]` from the optimizer's.
    public func lawCoordinates(_ x: [Double]) -> [Double] {
        switch self {
        case .free: return x
        case let .fixed(v): return [x[0], x[1], Foundation.log(v), x[2], x[3]]
        case let .bounded(lo, hi): return [x[0], x[1], Foundation.log(lo + (hi - lo) * Self.sigmoid(x[2])), x[3], x[4]]
        }
    }

    /// The optimizer's coordinates from the law's (a bounded E above its bound is clamped just below it).
    public func optimizerCoordinates(_ law: [Double]) -> [Double] {
        switch self {
        case .free: return law
        case .fixed: return [law[0], law[1], law[3], law[4]]
        case let .bounded(lo, hi):
            let s = min(max((Foundation.exp(law[2]) - lo) / (hi - lo), 1e-9), 1 - 1e-9)
            return [law[0], law[1], Foundation.log(s / (1 - s)), law[3], law[4]]
        }
    }

    /// Starts for the optimizer from a grid of law coordinates: E's axis collapsed when fixed, its
    /// values reused as `z` when bounded (z in [-1, 1]: E between 27% and 73% of the way from lower to upper).
    func starts(_ grid: StartGrid) -> [[Double]] {
        switch self {
        case .free, .bounded: return (0..<grid.count).map { grid.start(at: $0) }
        case .fixed:
            let g = StartGrid(a: grid.a, b: grid.b, e: [0], alpha: grid.alpha, beta: grid.beta)
            return (0..<g.count).map { g.start(at: $0) }.map { [$0[0], $0[1], $0[3], $0[4]] }
        }
    }

    /// Objective value and gradient in the optimizer's coordinates.
    public func valueAndGradient(_ objective: FitObjective, _ x: [Double], _ gradient: inout [Double]) -> Double {
        switch self {
        case .free:
            return objective.valueAndGradient(x, gradient: &gradient)
        case .fixed:
            var g = [Double](repeating: 0, count: 5)
            let f = objective.valueAndGradient(lawCoordinates(x), gradient: &g)
            gradient[0] = g[0]; gradient[1] = g[1]; gradient[2] = g[3]; gradient[3] = g[4]
            return f
        case let .bounded(lo, hi):
            let f = objective.valueAndGradient(lawCoordinates(x), gradient: &gradient)
            // e = log E, E = lo + (hi - lo) s, s = sigmoid(z): de/dz = (hi - lo) s (1 - s) / E.
            let sg = Self.sigmoid(x[2])
            gradient[2] *= (hi - lo) * sg * (1 - sg) / (lo + (hi - lo) * sg)
            return f
        }
    }

    static func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }
}
