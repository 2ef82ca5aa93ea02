import Foundation

/// A compute-only law on the compute-optimal frontier,
///
///     L(C) = E + k · C^-gamma
///
/// (the form Hoffmann et al. 2022 derive from L(N, D) at the optimum, with gamma = alpha·beta/(alpha+beta),
/// and the form OLMo's and Marin's ladders fit to their frontier). It predicts the best loss a
/// budget can reach, not the loss of an off-optimum run.
public struct ComputeLaw: Sendable, Hashable, Codable, LossPredicting {
    public var E: Double
    public var k: Double
    public var gamma: Double

    public init(E: Double, k: Double, gamma: Double) {
        self.E = E; self.k = k; self.gamma = gamma
    }

    public func loss(flops: Double) -> Double { E + k * Foundation.pow(flops, -gamma) }

    public func predictedLoss(for run: Observation) -> Double { loss(flops: run.computeFlops) }
    public var irreducibleLoss: Double { E }
    public var namedParameters: [(name: String, value: Double)] { [("E", E), ("k", k), ("gamma", gamma)] }
}

/// Fits of ``ComputeLaw`` to frontier points.
public enum ComputeLawFit {
    /// The frontier points of a set of runs, one per compute group (a sweep budget, else a bin of
    /// log10 C of `binning`'s width): the IsoFLOP parabola's minimum (at the group's compute) when the
    /// group determines one, else the group's lowest-loss run (an upper bound on the frontier, at
    /// its own compute). Ascending compute; `budget` carries the group label.
    public static func frontier(_ observations: [Observation], binning: LogBinning = LogBinning()) -> [Observation] {
        let (groups, _) = Rollout.groups(observations, axis: .compute, binning: binning)
        return groups.map { g in
            let runs = g.members.map { observations[$0] }
            if let b = try? IsoFLOP.fitBudget(label: g.group.label, runs: runs) {
                return Observation(params: b.optimalParams, tokens: b.optimalTokens, loss: b.minimumLoss, flops: b.flops,
                                   name: "\(g.group.label) parabola minimum", budget: g.group.label)
            }
            var best = runs.min { $0.loss < $1.loss }!
            best.budget = g.group.label
            return best
        }
    }

    /// Least squares on log loss, `Σ (log(E + k C^-gamma) - log L)²`: for each E on a scan of
    /// [0, min L) the linear fit of log(L - E) on log C gives k and gamma; the best E is refined by
    /// golden section. Needs 3 points at 2 or more distinct budgets.
    public static func fit(_ points: [Observation]) throws -> ComputeLaw {
        try Validation.checkValues(points)
        guard points.count >= 3 else { throw ScalingLawError.tooFewRuns(count: points.count, required: 3) }
        let logC = points.map { Foundation.log($0.computeFlops) }
        guard Set(logC).count >= 2 else { throw ScalingLawError.tooFewBudgets(count: 1) }
        let logL = points.map { Foundation.log($0.loss) }
        let minLoss = points.map(\.loss).min()!

        func lawFor(_ e: Double) -> ComputeLaw? {
            let y = points.map { Foundation.log($0.loss - e) }
            guard y.allSatisfy(\.isFinite) else { return nil }
            let (c, m) = IsoFLOP.linearFit(logC, y)
            let law = ComputeLaw(E: e, k: Foundation.exp(c), gamma: -m)
            return law.k.isFinite && law.gamma.isFinite ? law : nil
        }
        func objective(_ law: ComputeLaw) -> Double {
            zip(points, logL).reduce(0) { s, pl in
                let r = Foundation.log(law.loss(flops: pl.0.computeFlops)) - pl.1
                return s + r * r
            }
        }
        let best = minimize1D(0, minLoss * (1 - 1e-9), scan: 200, tolerance: 1e-12) { e in
            lawFor(e).map(objective) ?? .infinity
        }
        guard var law = lawFor(best.x) else {
            throw ScalingLawError.invalidArgument("The compute-only law L(C) = E + k C^-gamma could not be fitted to these frontier points.")
        }
        // Refine all three jointly (the profile above fits log(L - E), not log L) by L-BFGS on
        // (log k, gamma, e = log E) from the profile's answer.
        let lbfgs = LBFGS(options: ParametricFitOptions.defaultLBFGS)
        let start = [Foundation.log(law.k), law.gamma, Foundation.log(max(law.E, 1e-6 * minLoss))]
        let r = lbfgs.minimize(from: start) { x, g in
            let k = Foundation.exp(x[0]), gamma = x[1], e = Foundation.exp(x[2])
            var f = 0.0, g0 = 0.0, g1 = 0.0, g2 = 0.0
            for (lc, ll) in zip(logC, logL) {
                let t = k * Foundation.exp(-gamma * lc)
                let pred = e + t
                let res = Foundation.log(pred) - ll
                f += 0.5 * res * res
                g0 += res * t / pred
                g1 -= res * t / pred * lc
                g2 += res * e / pred
            }
            g[0] = g0; g[1] = g1; g[2] = g2
            return f
        }
        let refined = ComputeLaw(E: Foundation.exp(r.x[2]), k: Foundation.exp(r.x[0]), gamma: r.x[1])
        if r.value.isFinite && 2 * r.value < objective(law) { law = refined }
        return law
    }
}
