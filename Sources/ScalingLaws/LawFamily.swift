import Foundation

/// The laws Ladder fits.
public enum LawFamily: String, Sendable, Hashable, Codable, CaseIterable {
    /// `L(N, D) = E + A/N^alpha + B/D^beta`, all five free (Hoffmann et al. 2022, Approach 3).
    case chinchilla
    /// The same with E fixed at a given value (4 free parameters).
    case fixedE = "fixed-e"
    /// The same with E bounded, `lower <= E <= upper`; `upper` defaults to the lowest observed loss.
    case boundedE = "bounded-e"
    /// `L(C) = E + k C^-gamma` on the compute-optimal frontier (3 free parameters), fitted to one
    /// point per budget (see ``ComputeLawFit/frontier(_:binning:)``).
    case compute

    public var formula: String {
        switch self {
        case .chinchilla: return "L(N, D) = E + A/N^alpha + B/D^beta"
        case .fixedE: return "L(N, D) = E + A/N^alpha + B/D^beta, E fixed"
        case .boundedE: return "L(N, D) = E + A/N^alpha + B/D^beta, E bounded"
        case .compute: return "L(C) = E + k C^-gamma on the frontier"
        }
    }

    /// Free parameters (for AIC).
    public var freeParameters: Int {
        switch self {
        case .chinchilla, .boundedE: return 5
        case .fixedE: return 4
        case .compute: return 3
        }
    }
}

/// Options of ``LawFamilies``.
public struct LawFamilyOptions: Sendable {
    /// The parametric fit's options (its ``ParametricFitOptions/irreducible`` is set by the family).
    public var fit = ParametricFitOptions()
    /// `fixed-e`: the value of E (required).
    public var fixedE: Double?
    /// `bounded-e`: the bounds of E; nil upper means the lowest observed loss of the fitted runs.
    public var eLower: Double = 0
    public var eUpper: Double?
    /// `compute`: groups of runs without a budget label for the frontier points.
    public var binning = LogBinning()

    public init() {}
}

/// A law of one family fitted to runs.
public struct FittedLaw: Sendable {
    public var family: LawFamily
    /// The law (a ``ChinchillaLaw`` or a ``ComputeLaw``).
    public var law: any LossPredicting
    /// The parametric fit, for the L(N, D) families.
    public var parametric: ParametricFitResult?
    /// What the law was fitted to: the runs, or the frontier points (compute law).
    public var fitted: [Observation]
    public var statistics: FitStatistics
    /// The constraint on E in words (nil when free).
    public var constraint: String?

    public var chinchilla: ChinchillaLaw? { law as? ChinchillaLaw }
}

/// The choice of `--law auto`.
public struct LawSelection: Sendable {
    /// Every family fitted, in the order tried.
    public var candidates: [FittedLaw]
    /// Families that could not be fitted, with the reason.
    public var failures: [(family: LawFamily, reason: String)]
    /// Index of the chosen law in ``candidates``.
    public var chosen: Int
    /// Why, in words.
    public var reason: String

    public var choice: FittedLaw { candidates[chosen] }
}

/// Fits any ``LawFamily`` and chooses among them.
public enum LawFamilies {
    /// The E constraint of `family` for runs `observations`.
    public static func irreducible(_ family: LawFamily, _ observations: [Observation], options: LawFamilyOptions) throws
        -> (IrreducibleLoss, String?) {
        switch family {
        case .chinchilla, .compute:
            return (.free, nil)
        case .fixedE:
            guard let e = options.fixedE else {
                throw ScalingLawError.invalidArgument("The fixed-e law needs the value of E (e.g. --e 1.69).")
            }
            return (.fixed(e), String(format: "E fixed at %.4g", e))
        case .boundedE:
            let lowest = observations.map(\.loss).min() ?? .nan
            let upper = options.eUpper ?? lowest
            let c = IrreducibleLoss.bounded(lower: options.eLower, upper: upper)
            try c.validate()
            return (c, String(format: "E in [%.4g, %.4g]%@", options.eLower, upper,
                              options.eUpper == nil ? " (upper: the lowest observed loss)" : ""))
        }
    }

    /// Fits `family` to `observations`.
    public static func fit(_ family: LawFamily, _ observations: [Observation], options: LawFamilyOptions = LawFamilyOptions()) throws -> FittedLaw {
        if family == .compute {
            try options.binning.validate()
            let points = ComputeLawFit.frontier(observations, binning: options.binning)
            let law = try ComputeLawFit.fit(points)
            return FittedLaw(family: family, law: law, parametric: nil, fitted: points,
                             statistics: FitStatistics.of(law, on: points, parameters: family.freeParameters), constraint: nil)
        }
        var fitOptions = options.fit
        let (constraint, words) = try irreducible(family, observations, options: options)
        fitOptions.irreducible = constraint
        let result = try ParametricFit.fit(observations, options: fitOptions)
        return FittedLaw(family: family, law: result.law, parametric: result, fitted: result.observations,
                         statistics: FitStatistics.of(result.law, on: result.observations, parameters: family.freeParameters),
                         constraint: words)
    }

    /// A fitter for ``Rollout/run(_:options:fit:)``: each window refits `family` (a bounded E's
    /// default upper bound is the lowest loss of the window's runs).
    public static func fitter(_ family: LawFamily, options: LawFamilyOptions) -> ([Observation]) throws -> any LossPredicting {
        { try fit(family, $0, options: options).law }
    }

    /// Fits every applicable family and picks the L(N, D) law with the lowest AIC among those fitted
    /// to the same runs (AICs within 0.01 tie: fewer parameters, then the order chinchilla,
    /// bounded-e, fixed-e). The
    /// compute-only law is fitted and reported but not in the comparison: it is fitted to frontier
    /// points, not to the runs. `fixed-e` is tried only when ``LawFamilyOptions/fixedE`` is given.
    public static func select(_ observations: [Observation], options: LawFamilyOptions = LawFamilyOptions()) throws -> LawSelection {
        var families: [LawFamily] = [.chinchilla, .boundedE]
        if options.fixedE != nil { families.append(.fixedE) }
        families.append(.compute)
        var candidates: [FittedLaw] = []
        var failures: [(LawFamily, String)] = []
        for f in families {
            do { candidates.append(try fit(f, observations, options: options)) }
            catch { failures.append((f, "\(error)")) }
        }
        let comparable = candidates.indices.filter { candidates[$0].family != .compute }
        guard let best = comparable.min(by: { i, j in
            let a = candidates[i], b = candidates[j]
            // AICs within 0.01 are the same fit (e.g. a bound that is not active): ties as documented.
            if abs(a.statistics.aic - b.statistics.aic) > 0.01 { return a.statistics.aic < b.statistics.aic }
            return a.family.freeParameters < b.family.freeParameters || (a.family.freeParameters == b.family.freeParameters && i < j)
        }) else {
            let why = failures.map { "\($0.0.rawValue): \($0.1)" }.joined(separator: "; ")
            throw ScalingLawError.invalidArgument("No L(N, D) law could be fitted to these runs (\(why)).")
        }
        let chosen = candidates[best]
        var reason = String(format: "%@ has the lowest AIC (%.1f; n ln(RSS/n) + 2k on log residuals) of the laws fitted to the same %d runs",
                            chosen.family.rawValue, chosen.statistics.aic, chosen.statistics.runs)
        let others = comparable.filter { $0 != best }.map { candidates[$0] }
        if !others.isEmpty {
            reason += "; " + others.map { String(format: "%@ ΔAIC %+.1f", $0.family.rawValue, $0.statistics.aic - chosen.statistics.aic) }
                .joined(separator: ", ")
            let close = others.filter { $0.statistics.aic - chosen.statistics.aic < 2 }
            if !close.isEmpty {
                reason += "; within 2 of " + close.map(\.family.rawValue).joined(separator: ", ")
                    + ": the runs barely tell them apart"
            }
        }
        return LawSelection(candidates: candidates, failures: failures, chosen: best, reason: reason)
    }
}
