import Foundation

/// One compute budget of an IsoFLOP fit.
public struct IsoFLOPBudget: Sendable, Hashable, Codable {
    /// The sweep's budget label, or a FLOP figure when runs were grouped by FLOPs.
    public var label: String
    /// The budget `C`: geometric mean of the group's FLOPs.
    public var flops: Double
    public var runs: Int
    /// Smallest and largest sampled model size.
    public var minParams: Double
    public var maxParams: Double
    /// Parabola `loss = c0 + c1 x + c2 x²` in `x = log N` (natural log).
    public var coefficients: [Double]
    /// Vertex `N_opt = exp(-c1 / (2 c2))`.
    public var optimalParams: Double
    /// `D_opt = C / (6 N_opt)`.
    public var optimalTokens: Double
    /// The parabola's value at the vertex.
    public var minimumLoss: Double

    public init(label: String, flops: Double, runs: Int, minParams: Double, maxParams: Double, coefficients: [Double],
                optimalParams: Double, optimalTokens: Double, minimumLoss: Double) {
        self.label = label; self.flops = flops; self.runs = runs; self.minParams = minParams; self.maxParams = maxParams
        self.coefficients = coefficients; self.optimalParams = optimalParams; self.optimalTokens = optimalTokens
        self.minimumLoss = minimumLoss
    }

    /// The parabola at `params`.
    public func loss(params: Double) -> Double {
        let x = Foundation.log(params)
        return coefficients[0] + coefficients[1] * x + coefficients[2] * x * x
    }
}

/// Result of ``IsoFLOP/fit(_:flopsTolerance:)``: power laws `N_opt = k C^a`, `D_opt = k' C^b`.
public struct IsoFLOPFit: Sendable, Hashable, Codable {
    public var budgets: [IsoFLOPBudget]
    /// `k` and `a` of `N_opt = k C^a`.
    public var paramsCoefficient: Double
    public var paramsExponent: Double
    /// `k'` and `b` of `D_opt = k' C^b`.
    public var tokensCoefficient: Double
    public var tokensExponent: Double

    /// Budgets left out (with the reason) when fitted with `skippingUnusableBudgets`.
    public var refused: [String] = []

    public func optimalParams(flops: Double) -> Double { paramsCoefficient * Foundation.pow(flops, paramsExponent) }
    public func optimalTokens(flops: Double) -> Double { tokensCoefficient * Foundation.pow(flops, tokensExponent) }
}

/// Chinchilla Approach 2 (IsoFLOP profiles).
public enum IsoFLOP {
    /// Groups runs by budget: by ``Observation/budget`` label where present, otherwise by FLOPs
    /// (``Observation/computeFlops``): runs sorted by FLOPs start a new group when they exceed the
    /// group's first run by more than `flopsTolerance` (relative). With `binning`, runs without a
    /// label are grouped into bins of log10 C instead (imported tables, whose runs each have their
    /// own 6ND), labelled by the bin's centre.
    public static func groups(_ observations: [Observation], flopsTolerance: Double = 0.1,
                              binning: LogBinning? = nil) -> [(label: String, runs: [Observation])] {
        var labelled: [String: [Observation]] = [:]
        var labelOrder: [String] = []
        var unlabelled: [Observation] = []
        for o in observations {
            if let b = o.budget {
                if labelled[b] == nil { labelOrder.append(b) }
                labelled[b, default: []].append(o)
            } else {
                unlabelled.append(o)
            }
        }
        var out = labelOrder.map { (label: $0, runs: labelled[$0]!) }
        if let binning {
            for bin in binning.bins(unlabelled.map(\.computeFlops)) {
                out.append((String(format: "%.3g FLOPs", binning.centre(of: bin.index)), bin.members.map { unlabelled[$0] }))
            }
            return out.sorted { geometricMean($0.runs.map(\.computeFlops)) < geometricMean($1.runs.map(\.computeFlops)) }
        }
        var current: [Observation] = []
        for o in unlabelled.sorted(by: { $0.computeFlops < $1.computeFlops }) {
            if let first = current.first, o.computeFlops > first.computeFlops * (1 + flopsTolerance) {
                out.append((String(format: "%.3g FLOPs", geometricMean(current.map(\.computeFlops))), current))
                current = []
            }
            current.append(o)
        }
        if !current.isEmpty {
            out.append((String(format: "%.3g FLOPs", geometricMean(current.map(\.computeFlops))), current))
        }
        return out.sorted { geometricMean($0.runs.map(\.computeFlops)) < geometricMean($1.runs.map(\.computeFlops)) }
    }

    /// Fits a parabola of loss against `log N` for one budget and returns its vertex. Throws when
    /// the budget has fewer than 3 distinct sizes, the parabola opens downward, or the vertex lies
    /// outside the sampled sizes.
    public static func fitBudget(label: String, runs: [Observation]) throws -> IsoFLOPBudget {
        let sizes = Set(runs.map(\.params))
        guard sizes.count >= 3 else { throw ScalingLawError.tooFewSizesInBudget(budget: label, count: sizes.count) }
        let xs = runs.map { Foundation.log($0.params) }
        let ys = runs.map(\.loss)
        let mean = xs.reduce(0, +) / Double(xs.count)
        // Least squares in the centred variable u = x - mean (better conditioned).
        var s = [Double](repeating: 0, count: 5), t = [Double](repeating: 0, count: 3)
        for (x, y) in zip(xs, ys) {
            let u = x - mean
            var p = 1.0
            for k in 0..<5 {
                s[k] += p
                if k < 3 { t[k] += p * y }
                p *= u
            }
        }
        guard let q = solve3([[s[0], s[1], s[2]], [s[1], s[2], s[3]], [s[2], s[3], s[4]]], t) else {
            throw ScalingLawError.invalidArgument("IsoFLOP budget \(label): the parabola fit is singular.")
        }
        let (q0, q1, q2) = (q[0], q[1], q[2])
        guard q2 > 0 else { throw ScalingLawError.parabolaOpensDownward(budget: label) }
        let uStar = -q1 / (2 * q2)
        let xStar = uStar + mean
        let lo = sizes.min()!, hi = sizes.max()!
        let nOpt = Foundation.exp(xStar)
        guard xStar >= Foundation.log(lo) && xStar <= Foundation.log(hi) else {
            throw ScalingLawError.vertexOutsideRange(budget: label, vertex: nOpt, minParams: lo, maxParams: hi)
        }
        // Back to coefficients in x: c0 + c1 x + c2 x².
        let c2 = q2, c1 = q1 - 2 * q2 * mean, c0 = q0 - q1 * mean + q2 * mean * mean
        let flops = geometricMean(runs.map(\.computeFlops))
        return IsoFLOPBudget(label: label, flops: flops, runs: runs.count, minParams: lo, maxParams: hi,
                             coefficients: [c0, c1, c2], optimalParams: nOpt, optimalTokens: flops / (6 * nOpt),
                             minimumLoss: q0 - q1 * q1 / (4 * q2))
    }

    /// Approach 2: per-budget parabola vertices, then `log N_opt = log k + a log C` and
    /// `log D_opt = log k' + b log C` by least squares (needs at least 2 budgets). A budget whose
    /// parabola has no minimum inside its sampled sizes throws; with `skippingUnusableBudgets` it is
    /// left out instead, its reason kept in ``IsoFLOPFit/refused``.
    public static func fit(_ observations: [Observation], flopsTolerance: Double = 0.1,
                           skippingUnusableBudgets: Bool = false, binning: LogBinning? = nil) throws -> IsoFLOPFit {
        try Validation.checkValues(observations)
        guard flopsTolerance >= 0 && flopsTolerance.isFinite else {
            throw ScalingLawError.invalidArgument("FLOPs tolerance must be finite and >= 0 (got \(flopsTolerance)).")
        }
        var budgets: [IsoFLOPBudget] = []
        var refused: [String] = []
        try binning?.validate()
        for group in groups(observations, flopsTolerance: flopsTolerance, binning: binning) {
            do {
                budgets.append(try fitBudget(label: group.label, runs: group.runs))
            } catch let error as ScalingLawError where skippingUnusableBudgets {
                refused.append(error.description)
            }
        }
        guard budgets.count >= 2 else { throw ScalingLawError.tooFewBudgets(count: budgets.count) }
        let logC = budgets.map { Foundation.log($0.flops) }
        guard Set(logC).count >= 2 else { throw ScalingLawError.tooFewBudgets(count: 1) }
        let (kN, aN) = linearFit(logC, budgets.map { Foundation.log($0.optimalParams) })
        let (kD, bD) = linearFit(logC, budgets.map { Foundation.log($0.optimalTokens) })
        return IsoFLOPFit(budgets: budgets, paramsCoefficient: Foundation.exp(kN), paramsExponent: aN,
                          tokensCoefficient: Foundation.exp(kD), tokensExponent: bD, refused: refused)
    }

    /// Ordinary least squares `y = c + m x`; returns `(c, m)`.
    static func linearFit(_ x: [Double], _ y: [Double]) -> (Double, Double) {
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0
        for (a, b) in zip(x, y) { sxy += (a - mx) * (b - my); sxx += (a - mx) * (a - mx) }
        let m = sxy / sxx
        return (my - m * mx, m)
    }

    /// Gaussian elimination with partial pivoting for a 3×3 system; nil when singular.
    static func solve3(_ m: [[Double]], _ v: [Double]) -> [Double]? {
        var a = m, b = v
        for col in 0..<3 {
            let pivot = (col..<3).max { abs(a[$0][col]) < abs(a[$1][col]) }!
            guard abs(a[pivot][col]) > 1e-300 else { return nil }
            a.swapAt(col, pivot); b.swapAt(col, pivot)
            for row in (col + 1)..<3 {
                let f = a[row][col] / a[col][col]
                for k in col..<3 { a[row][k] -= f * a[col][k] }
                b[row] -= f * b[col]
            }
        }
        var x = [0.0, 0.0, 0.0]
        for row in stride(from: 2, through: 0, by: -1) {
            var s = b[row]
            for k in (row + 1)..<3 { s -= a[row][k] * x[k] }
            x[row] = s / a[row][row]
        }
        return x
    }
}
