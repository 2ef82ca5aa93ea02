import Foundation
import Randomness

/// A percentile interval.
public struct Interval: Sendable, Hashable, Codable {
    public var lower: Double
    public var upper: Double
    /// Central coverage, e.g. 0.8 for the 10th–90th percentiles.
    public var level: Double
    /// Median of the samples.
    public var median: Double
    /// Finite samples the interval was computed from.
    public var samples: Int

    public init(lower: Double, upper: Double, level: Double, median: Double, samples: Int) {
        self.lower = lower; self.upper = upper; self.level = level; self.median = median; self.samples = samples
    }

    public func contains(_ v: Double) -> Bool { v >= lower && v <= upper }

    /// Percentile interval of `values` (non-finite ones ignored) with linear interpolation between
    /// order statistics (Hyndman & Fan type 7). Nil when no value is finite.
    public static func percentile(_ values: [Double], level: Double) -> Interval? {
        precondition(level > 0 && level < 1, "level must be in (0, 1)")
        let v = values.filter(\.isFinite).sorted()
        guard !v.isEmpty else { return nil }
        func q(_ p: Double) -> Double {
            let h = Double(v.count - 1) * p
            let lo = Int(h.rounded(.down)), hi = min(lo + 1, v.count - 1)
            return v[lo] + (h - Double(lo)) * (v[hi] - v[lo])
        }
        let tail = (1 - level) / 2
        return Interval(lower: q(tail), upper: q(1 - tail), level: level, median: q(0.5), samples: v.count)
    }
}

/// Intervals of a compute-optimal plan's quantities over the bootstrap laws.
public struct AllocationIntervals: Sendable, Hashable, Codable {
    public var params: Interval
    public var tokens: Interval
    public var loss: Interval
    public var tokensPerParam: Interval
}

/// Options of ``Bootstrap``.
public struct BootstrapOptions: Sendable, Hashable {
    /// Number of resamples.
    public var replicates: Int = 200
    /// Seed of the resampling generator (``SplitMix64``); the same seed gives the same laws.
    public var seed: UInt64 = 0x5EED
    /// Central coverage of reported intervals.
    public var level: Double = 0.8
    /// Worker threads over resamples; the result does not depend on it.
    public var threads: Int = 2
    /// Starts for each refit: the full fit's distinct local minima (``ParametricFitResult/localMinima``,
    /// up to this many, the fit's optimum first).
    public var startsFromLocalMinima: Int = 8
    /// Optionally also every start of this grid (e.g. ``StartGrid/full`` for an exhaustive but
    /// 4,500-times-slower bootstrap).
    public var extraGrid: StartGrid? = nil

    public init() {}
}

/// Intervals for the law's parameters and derived exponents.
public struct LawIntervals: Sendable, Hashable, Codable {
    public var E: Interval
    public var A: Interval
    public var B: Interval
    public var alpha: Interval
    public var beta: Interval
    /// `a = beta / (alpha + beta)`: N_opt ∝ C^a.
    public var a: Interval
    /// `b = alpha / (alpha + beta)`: D_opt ∝ C^b.
    public var b: Interval

    public init(E: Interval, A: Interval, B: Interval, alpha: Interval, beta: Interval, a: Interval, b: Interval) {
        self.E = E; self.A = A; self.B = B; self.alpha = alpha; self.beta = beta; self.a = a; self.b = b
    }
}

/// Nonparametric bootstrap of the parametric fit: resample runs with replacement, refit each.
///
/// Resample `k` draws `n` run indices uniformly with replacement using a ``SplitMix64`` seeded with
/// `seed ^ (k · golden)` (so each resample is independent of thread scheduling). A resample is fitted
/// as the weighted objective with each run's multiplicity as its weight (identical to fitting the
/// duplicated list). Refits start from the full fit's distinct local minima (the global optimum and
/// the next-best basins the 4,500-start grid found; 8 by default), not from the whole grid: a
/// resample perturbs the objective only slightly, so its optimum is expected in one of those basins
/// (a test checks that adding a grid of starts finds the same optima), and this keeps 200 refits
/// cheaper than one full fit. Set ``BootstrapOptions/extraGrid`` to add grid starts.
public struct Bootstrap: Sendable {
    /// One law per resample (resample order).
    public var laws: [ChinchillaLaw]
    public var level: Double
    /// Resamples whose best start stopped at the iteration limit.
    public var unconverged: Int

    public init(laws: [ChinchillaLaw], level: Double, unconverged: Int = 0) {
        self.laws = laws
        self.level = level
        self.unconverged = unconverged
    }

    /// Runs the bootstrap around a full fit (uses its observations, δ and L-BFGS options).
    public static func run(fit: ParametricFitResult, fitOptions: ParametricFitOptions = ParametricFitOptions(),
                           options: BootstrapOptions = BootstrapOptions()) throws -> Bootstrap {
        guard options.replicates > 0 else {
            throw ScalingLawError.invalidArgument("Bootstrap needs at least 1 resample (got \(options.replicates)).")
        }
        guard options.level > 0 && options.level < 1 else {
            throw ScalingLawError.invalidArgument("Interval level must be strictly between 0 and 1 (got \(options.level)).")
        }
        let runs = fit.observations
        let n = runs.count
        var lawStarts = Array(fit.localMinima.prefix(max(1, options.startsFromLocalMinima)))
        if let grid = options.extraGrid { lawStarts += (0..<grid.count).map { grid.start(at: $0) } }  // law coordinates
        let optimizer = LBFGS(options: fitOptions.lbfgs)
        let delta = fitOptions.delta, underTunedWeight = fitOptions.underTunedWeight
        let constraint = fitOptions.irreducible
        let starts = lawStarts.map { constraint.optimizerCoordinates($0) }
        let seed = options.seed

        let results = UnsafeMutableBufferPointer<(ChinchillaLaw, Bool)>.allocate(capacity: options.replicates)
        defer { results.deallocate() }
        let slots = ParallelSlots(results)
        parallelFor(options.replicates, threads: options.threads, chunk: 1) { k in
            var rng = SplitMix64(seed: seed ^ (UInt64(k + 1) &* 0x9E37_79B9_7F4A_7C15))
            var weights = [Double](repeating: 0, count: n)
            for _ in 0..<n { weights[Int(rng.next() % UInt64(n))] += 1 }
            let objective = FitObjective(observations: runs, weights: weights, delta: delta, underTunedWeight: underTunedWeight)
            var bestX = constraint.lawCoordinates(starts[0]), bestF = Double.infinity, bestStatus = LBFGS.Status.maxIterations
            for s in starts {
                let r = optimizer.minimize(from: s) { x, g in constraint.valueAndGradient(objective, x, &g) }
                if r.value < bestF { bestF = r.value; bestX = constraint.lawCoordinates(r.x); bestStatus = r.status }
            }
            let law = ChinchillaLaw(a: bestX[0], b: bestX[1], e: bestX[2], alpha: bestX[3], beta: bestX[4])
            slots.initialize(k, to: (law, bestStatus == .maxIterations))
        }
        let out = Array(results)
        _ = results.baseAddress!.deinitialize(count: options.replicates)
        return Bootstrap(laws: out.map(\.0), level: options.level, unconverged: out.filter(\.1).count)
    }

    /// Percentile interval of any quantity computed from a law (e.g. a planned N_opt). Resamples
    /// where `quantity` throws or is non-finite are skipped; nil when none is left.
    public func interval(level: Double? = nil, _ quantity: (ChinchillaLaw) throws -> Double) -> Interval? {
        let values = laws.map { (try? quantity($0)) ?? .nan }
        return Interval.percentile(values, level: level ?? self.level)
    }

    /// Intervals of E, A, B, alpha, beta, a and b.
    public func lawIntervals(level: Double? = nil) -> LawIntervals? {
        guard let e = interval(level: level, \.E), let a = interval(level: level, \.A),
              let b = interval(level: level, \.B), let al = interval(level: level, \.alpha),
              let be = interval(level: level, \.beta),
              let pa = interval(level: level, \.paramsExponent),
              let pb = interval(level: level, \.tokensExponent) else { return nil }
        return LawIntervals(E: e, A: a, B: b, alpha: al, beta: be, a: pa, b: pb)
    }

    /// Intervals of N_opt, D_opt, the predicted loss and D/N for a budget of `flops`, each law
    /// planned with ``ChinchillaLaw/computeOptimal(flops:counting:)``.
    public func allocationIntervals(flops: Double, counting: FlopCounting = .sixND, level: Double? = nil) -> AllocationIntervals? {
        let plans = laws.map { try? $0.computeOptimal(flops: flops, counting: counting) }
        func iv(_ f: (Allocation) -> Double) -> Interval? {
            Interval.percentile(plans.map { $0.map(f) ?? .nan }, level: level ?? self.level)
        }
        guard let n = iv(\.params), let d = iv(\.tokens), let l = iv(\.loss), let r = iv(\.tokensPerParam) else { return nil }
        return AllocationIntervals(params: n, tokens: d, loss: l, tokensPerParam: r)
    }
}
