import Foundation

/// A reason a fitted law is poorly determined by its runs.
public enum FitQualityFlag: Sendable, Hashable, Codable, CustomStringConvertible {
    /// E's interval reaches (practically) 0: the runs do not pin the asymptote.
    case irreducibleLossReachesZero(fitted: Double, lower: Double, upper: Double)
    /// An exponent's interval is wider than ± ``FitQuality/maximumExponentHalfWidth``.
    case exponentPoorlyDetermined(name: String, fitted: Double, lower: Double, upper: Double)

    /// Short machine-readable name.
    public var code: String {
        switch self {
        case .irreducibleLossReachesZero: return "irreducible_loss_reaches_zero"
        case .exponentPoorlyDetermined: return "exponent_poorly_determined"
        }
    }

    public var description: String {
        switch self {
        case let .irreducibleLossReachesZero(fitted, lower, upper):
            return String(format: "E = %.4g but its interval [%.3g, %.4g] reaches 0: the runs do not determine the irreducible loss", fitted, lower, upper)
        case let .exponentPoorlyDetermined(name, fitted, lower, upper):
            return String(format: "%@ = %.4g with interval [%.4g, %.4g] (half-width %.3f > %.2f)", name, fitted, lower, upper,
                          (upper - lower) / 2, FitQuality.maximumExponentHalfWidth)
        }
    }
}

/// Whether a fitted law is determined by its runs, judged from its bootstrap intervals at
/// ``FitQuality/level`` (80%): a law is flagged "poorly determined" when E's interval reaches 0
/// (its lower end below ``irreducibleLossFloorFraction`` of the fitted E) or when the interval of
/// alpha, beta or a = beta/(alpha+beta) is wider than ± ``maximumExponentHalfWidth``.
public struct FitQuality: Sendable, Hashable, Codable {
    /// Interval level the flags are judged at.
    public static let level = 0.8
    /// E's interval "reaches 0" when its lower end is below this fraction of the fitted E.
    public static let irreducibleLossFloorFraction = 0.01
    /// Largest acceptable half-width of an exponent's interval.
    public static let maximumExponentHalfWidth = 0.1

    /// Flags raised (empty: determined).
    public var flags: [FitQualityFlag]
    /// Level of the intervals judged.
    public var level: Double
    /// Bootstrap resamples behind the intervals.
    public var resamples: Int

    public var isPoorlyDetermined: Bool { !flags.isEmpty }

    public init(flags: [FitQualityFlag], level: Double, resamples: Int) {
        self.flags = flags
        self.level = level
        self.resamples = resamples
    }

    /// Judges `law` from `intervals` (taken at ``level``).
    public static func assess(law: ChinchillaLaw, intervals: LawIntervals, resamples: Int) -> FitQuality {
        var flags: [FitQualityFlag] = []
        if intervals.E.lower < irreducibleLossFloorFraction * law.E {
            flags.append(.irreducibleLossReachesZero(fitted: law.E, lower: intervals.E.lower, upper: intervals.E.upper))
        }
        for (name, fitted, iv) in [("alpha", law.alpha, intervals.alpha), ("beta", law.beta, intervals.beta),
                                   ("a = beta/(alpha+beta)", law.paramsExponent, intervals.a)]
            where (iv.upper - iv.lower) / 2 > maximumExponentHalfWidth {
            flags.append(.exponentPoorlyDetermined(name: name, fitted: fitted, lower: iv.lower, upper: iv.upper))
        }
        return FitQuality(flags: flags, level: level, resamples: resamples)
    }

    /// Judges `law` from a bootstrap (its intervals recomputed at ``level`` whatever level it was
    /// run for). Nil when the bootstrap has no finite law.
    public static func assess(law: ChinchillaLaw, bootstrap: Bootstrap) -> FitQuality? {
        guard let iv = bootstrap.lawIntervals(level: level) else { return nil }
        return assess(law: law, intervals: iv, resamples: bootstrap.laws.count)
    }
}
