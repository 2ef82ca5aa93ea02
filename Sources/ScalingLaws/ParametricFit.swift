import Foundation

/// Options of the parametric (Approach 3) fit.
public struct ParametricFitOptions: Sendable, Hashable {
    /// Starting points; every one is optimized and the lowest objective wins.
    public var grid: StartGrid = .full
    /// Worker threads for the starts. The result does not depend on it.
    public var threads: Int = 2
    /// Huber threshold δ.
    public var delta: Double = 1e-3
    /// L-BFGS settings. Tight by default: loose tolerances stop the optimizer short of the optimum.
    public var lbfgs: LBFGS.Options = ParametricFitOptions.defaultLBFGS
    /// Drop the K runs with the highest observed loss before fitting (Besiroglu et al. 2024 did).
    public var excludeOutliers: Int = 0
    /// How many largest-residual runs to report.
    public var reportedResiduals: Int = 5
    /// How many distinct local minima (best first) to keep for bootstrap refits.
    public var keptLocalMinima: Int = 16
    /// The asymptote E: free (default), fixed at a value, or bounded.
    public var irreducible: IrreducibleLoss = .free
    /// Weight of runs whose loss is above the law (`log L̂ - log L < 0`) relative to runs below it.
    /// Below 1 makes the fit asymmetric: under-tuned runs (too high a loss for their N and D) pull
    /// the law up less than well-tuned ones pull it down. 1 (default) is the symmetric Huber fit.
    public var underTunedWeight: Double = 1

    public init() {}

    public static let defaultLBFGS: LBFGS.Options = {
        var o = LBFGS.Options()
        o.memory = 10
        o.maxIterations = 1_000
        o.gradientTolerance = 1e-12
        o.relativeDecreaseTolerance = 1e-13
        o.stepTolerance = 1e-15
        return o
    }()
}

/// A run's residual under the fitted law.
public struct FitResidual: Sendable, Hashable, Codable {
    /// Index of the run in the fitted observations (after outlier exclusion).
    public var index: Int
    public var observation: Observation
    /// Predicted loss `L(N, D)`.
    public var predicted: Double
    /// `log(predicted) - log(observed)`.
    public var logResidual: Double
}

/// Outcome of ``ParametricFit/fit(_:options:)``.
public struct ParametricFitResult: Sendable, Codable {
    public var law: ChinchillaLaw
    /// Fitted `[a, b, e, alpha, beta]`.
    public var parameters: [Double]
    /// Objective (sum of Huber losses) at the fit.
    public var objective: Double
    /// Root mean square of the log residuals.
    public var rmseLog: Double
    /// Residuals of every fitted run, in input order.
    public var residuals: [FitResidual]
    /// The ``ParametricFitOptions/reportedResiduals`` runs with the largest |log residual|.
    public var largestResiduals: [FitResidual]
    /// Runs the fit used.
    public var observations: [Observation]
    /// Runs dropped by `excludeOutliers`.
    public var excluded: [Observation]
    /// Index (in the start grid) and value of the start that reached the best objective.
    public var bestStartIndex: Int
    public var bestStart: [Double]
    /// How the best start's L-BFGS run stopped.
    public var status: LBFGS.Status
    public var iterations: Int
    /// Starts optimized, and how many of them had at least one line search that missed the Wolfe
    /// conditions (they were still compared by objective).
    public var startsRun: Int
    public var startsWithLineSearchTrouble: Int
    /// Starts that reached the best fit: objective within 1e-8 (relative) of the best, or end point
    /// within 1e-4 (relative, absolute below 1) of it in every coordinate.
    public var startsAtBest: Int
    /// Distinct local minima `[a, b, e, alpha, beta]`, best objective first (the fit first).
    public var localMinima: [[Double]]
    /// Human-readable warnings (grid edges, non-converged best start).
    public var warnings: [String]
}

/// Chinchilla Approach 3: a robust parametric fit of `L = E + A/N^alpha + B/D^beta` by L-BFGS
/// from a grid of starts (see ``FitObjective`` for the objective and ``LBFGS`` for the optimizer).
public enum ParametricFit {
    /// Number of free parameters (E, A, B, alpha, beta).
    public static let parameterCount = 5

    /// Throws when the runs cannot determine the law: fewer than 5 runs, a single model size or
    /// token count, or a non-positive / non-finite value.
    public static func validate(_ observations: [Observation]) throws {
        try Validation.checkValues(observations)
        if observations.count < parameterCount {
            throw ScalingLawError.tooFewRuns(count: observations.count, required: parameterCount)
        }
        let sizes = Set(observations.map(\.params))
        if sizes.count == 1 { throw ScalingLawError.singleModelSize(sizes.first!) }
        let tokens = Set(observations.map(\.tokens))
        if tokens.count == 1 { throw ScalingLawError.singleTokenCount(tokens.first!) }
    }

    /// Removes the `k` runs with the highest observed loss. Returns (kept, dropped), kept in input order.
    public static func excludingHighestLoss(_ observations: [Observation], count k: Int) -> (kept: [Observation], dropped: [Observation]) {
        guard k > 0 else { return (observations, []) }
        let order = observations.indices.sorted {
            observations[$0].loss != observations[$1].loss ? observations[$0].loss > observations[$1].loss : $0 < $1
        }
        let dropped = Set(order.prefix(k))
        return (observations.indices.filter { !dropped.contains($0) }.map { observations[$0] },
                order.prefix(k).map { observations[$0] })
    }

    /// Fits the law. Throws ``ScalingLawError`` for unusable input.
    public static func fit(_ observations: [Observation], options: ParametricFitOptions = ParametricFitOptions()) throws -> ParametricFitResult {
        try validate(observations)
        if options.excludeOutliers < 0 {
            throw ScalingLawError.invalidArgument("excludeOutliers must be >= 0 (got \(options.excludeOutliers)).")
        }
        try options.irreducible.validate()
        guard options.underTunedWeight.isFinite && options.underTunedWeight > 0 && options.underTunedWeight <= 1 else {
            throw ScalingLawError.invalidArgument("underTunedWeight must be in (0, 1] (got \(options.underTunedWeight)).")
        }
        let (kept, dropped) = excludingHighestLoss(observations, count: options.excludeOutliers)
        try validate(kept)

        let objective = FitObjective(observations: kept, delta: options.delta, underTunedWeight: options.underTunedWeight)
        let grid = options.grid
        let constraint = options.irreducible
        let internalRuns = optimizeStarts(objective: objective, constraint: constraint, starts: constraint.starts(grid),
                                          lbfgs: options.lbfgs, threads: options.threads)
        guard let best = bestIndex(internalRuns) else {
            throw ScalingLawError.invalidArgument("Every start produced a non-finite objective; check the runs' values.")
        }
        // Every run's end point in the law's coordinates [a, b, e, alpha, beta].
        let runs = internalRuns.map { r -> LBFGS.Result in
            var r = r
            r.x = constraint.lawCoordinates(r.x)
            return r
        }
        let x = runs[best].x
        let law = ChinchillaLaw(a: x[0], b: x[1], e: x[2], alpha: x[3], beta: x[4])

        var residuals: [FitResidual] = []
        residuals.reserveCapacity(kept.count)
        var sumSq = 0.0
        for (i, o) in kept.enumerated() {
            let p = law.loss(params: o.params, tokens: o.tokens)
            let r = Foundation.log(p) - Foundation.log(o.loss)
            sumSq += r * r
            residuals.append(FitResidual(index: i, observation: o, predicted: p, logResidual: r))
        }
        let largest = Array(residuals.sorted {
            abs($0.logResidual) != abs($1.logResidual) ? abs($0.logResidual) > abs($1.logResidual) : $0.index < $1.index
        }.prefix(max(0, options.reportedResiduals)))

        let bestValue = runs[best].value
        // Starts that reached the best fit: same objective (relative 1e-8) or same point (1e-4).
        let nearBest = runs.indices.filter { i in
            guard runs[i].value.isFinite else { return false }
            if runs[i].value <= bestValue + 1e-8 * abs(bestValue) { return true }
            return zip(runs[i].x, x).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) }
        }

        var warnings: [String] = []
        let startsOnEdge = nearBest.allSatisfy { !grid.edges(of: grid.start(at: $0), fraction: 0).isEmpty }
        if startsOnEdge && constraint == .free {
            let names = grid.edges(of: grid.start(at: best), fraction: 0).map { "\($0.name) = \($0.edge)" }
            warnings.append("Only starts on an edge of the start grid reached the best fit (best start has \(names.joined(separator: ", "))); the grid may not cover the optimum's basin.")
        }
        for edge in grid.edges(of: x, fraction: 0.01) where constraint == .free || !edge.name.hasPrefix("e =") {
            warnings.append("Fitted \(edge.name) = \(fmt(edge.value)) sits at or beyond the start grid's edge (\(edge.edge)); the fit may be unreliable.")
        }
        if runs[best].status == .maxIterations {
            warnings.append("The best start stopped at the iteration limit (\(runs[best].iterations)); the fit may not have converged.")
        }

        return ParametricFitResult(
            law: law, parameters: x, objective: bestValue,
            rmseLog: (sumSq / Double(kept.count)).squareRoot(),
            residuals: residuals, largestResiduals: largest,
            observations: kept, excluded: dropped,
            bestStartIndex: best, bestStart: grid.start(at: best),
            status: runs[best].status, iterations: runs[best].iterations,
            startsRun: runs.count,
            startsWithLineSearchTrouble: runs.filter { $0.lineSearchFailures > 0 }.count,
            startsAtBest: nearBest.count,
            localMinima: distinctMinima(runs, keep: options.keptLocalMinima, first: best),
            warnings: warnings)
    }

    /// Runs L-BFGS from each start (in parallel); results in start order.
    static func optimizeStarts(objective: FitObjective, constraint: IrreducibleLoss = .free, starts: [[Double]],
                               lbfgs: LBFGS.Options, threads: Int) -> [LBFGS.Result] {
        let optimizer = LBFGS(options: lbfgs)
        let results = UnsafeMutableBufferPointer<LBFGS.Result>.allocate(capacity: starts.count)
        defer { results.deallocate() }
        let slots = ParallelSlots(results)
        parallelFor(starts.count, threads: threads) { i in
            let r = optimizer.minimize(from: starts[i]) { x, g in constraint.valueAndGradient(objective, x, &g) }
            slots.initialize(i, to: r)
        }
        let out = Array(results)
        _ = results.baseAddress!.deinitialize(count: starts.count)
        return out
    }

    /// Lowest finite objective, ties to the lowest index (deterministic for any thread count).
    static func bestIndex(_ runs: [LBFGS.Result]) -> Int? {
        var best: Int? = nil
        for i in runs.indices where runs[i].value.isFinite {
            if let b = best, runs[b].value <= runs[i].value { continue }
            best = i
        }
        return best
    }

    static func distinctMinima(_ runs: [LBFGS.Result], keep: Int, first: Int) -> [[Double]] {
        let order = runs.indices.filter { runs[$0].value.isFinite && $0 != first }
            .sorted { runs[$0].value != runs[$1].value ? runs[$0].value < runs[$1].value : $0 < $1 }
        // Same minimum: a, b, alpha, beta and E = exp(e) all within 1e-3 (relative above 1). Comparing
        // E rather than e merges the E → 0 basin, which starts reach with different, irrelevant e.
        func key(_ x: [Double]) -> [Double] { [x[0], x[1], Foundation.exp(x[2]), x[3], x[4]] }
        var out: [[Double]] = [runs[first].x]
        var keys: [[Double]] = [key(runs[first].x)]
        for i in order where out.count < keep {
            let k = key(runs[i].x)
            if keys.allSatisfy({ y in zip(k, y).contains { abs($0 - $1) > 1e-3 * max(1, abs($1)) } }) {
                out.append(runs[i].x)
                keys.append(k)
            }
        }
        return out
    }

    static func fmt(_ v: Double) -> String { String(format: "%.4g", v) }
}
