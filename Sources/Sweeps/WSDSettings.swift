import Foundation
import Training

/// WSD cooldown mode (Hagele et al. 2024, "Scaling Laws and Compute-Optimal Training Beyond Fixed
/// Training Durations"): for each model size N, one trunk run trains at a constant rate (after
/// warmup) and keeps checkpoints; for each token count D a branch starts from the trunk at
/// (1 - f) D tokens and cools the rate down over the last f D tokens. Each branch's final loss is
/// the point (N, D), as if a WSD run of D tokens had been trained from scratch, for a fraction of
/// the compute: the trunk is shared.
///
///     [wsd]
///     params = [3e3, 1e4, 3e4]       # model sizes N
///     tokens = [2e5, 4e5, 8e5]       # points D per size, each a cooldown branch
///     cooldown_fraction = 0.2        # f: the cooldown's share of each point's tokens
///     cooldown_shape = "1-sqrt"      # or "linear"
///     min_lr_ratio = 0               # the rate at the end of a cooldown, relative to the peak
public struct WSDSettings: Codable, Equatable, Sendable {
    public var params: [Double]
    public var tokens: [Double]
    public var cooldownFraction: Double = 0.2
    public var cooldownShape: LRSchedule.CooldownShape = .oneMinusSqrt
    public var minLRRatio: Double = 0

    public init(params: [Double], tokens: [Double]) { self.params = params; self.tokens = tokens }

    enum CodingKeys: String, CodingKey {
        case params, tokens, cooldownFraction = "cooldown_fraction", cooldownShape = "cooldown_shape"
        case minLRRatio = "min_lr_ratio"
    }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        params = try c.decode([Double].self, forKey: .params)
        tokens = try c.decode([Double].self, forKey: .tokens)
        cooldownFraction = try c.decodeIfPresent(Double.self, forKey: .cooldownFraction) ?? 0.2
        cooldownShape = try c.decodeIfPresent(LRSchedule.CooldownShape.self, forKey: .cooldownShape) ?? .oneMinusSqrt
        minLRRatio = try c.decodeIfPresent(Double.self, forKey: .minLRRatio) ?? 0
    }

    func validate() throws {
        func fail(_ m: String) throws -> Never { throw SweepError.invalid(m) }
        if params.isEmpty || tokens.isEmpty { try fail("wsd.params and wsd.tokens must each list at least one value") }
        if let p = params.first(where: { !($0 >= 1000 && $0.isFinite) }) { try fail("wsd.params must be >= 1000, got \(p)") }
        if let d = tokens.first(where: { !($0 > 0 && $0.isFinite) }) { try fail("wsd.tokens must be positive, got \(d)") }
        if !(cooldownFraction > 0 && cooldownFraction < 1) {
            try fail("wsd.cooldown_fraction must be in (0, 1), got \(cooldownFraction)")
        }
        if !(0...1).contains(minLRRatio) { try fail("wsd.min_lr_ratio must be in [0, 1], got \(minLRRatio)") }
    }
}

/// A run's part in WSD cooldown mode.
public enum WSDPart: Equatable, Sendable {
    /// The constant-rate run; keeps checkpoints at its branches' starting steps. Never fitted.
    case trunk
    /// A cooldown from the trunk's checkpoint after `step` steps.
    case branch(trunk: String, step: Int)
}

/// What WSD cooldown mode saves: the compute its trunks and branches spend against the same points
/// trained as separate runs from scratch.
public struct WSDSavings: Equatable, Sendable {
    public var trunks: Int
    public var branches: Int
    /// FLOPs the trunks and branches spend (a branch only its cooldown).
    public var spent: Double
    /// FLOPs of the same points as separate runs: the sum of 6 N D over the branches.
    public var grid: Double
    public var savedFraction: Double { 1 - spent / grid }

    /// nil when the runs hold no WSD branches.
    public init?(_ runs: [PlannedRun]) {
        let trunks = runs.filter { $0.wsd == .trunk }
        let branches = runs.filter { if case .branch = $0.wsd { return true } else { return false } }
        guard !branches.isEmpty else { return nil }
        self.trunks = trunks.count
        self.branches = branches.count
        spent = (trunks + branches).reduce(0) { $0 + $1.flopsSpent }
        grid = branches.reduce(0) { $0 + $1.flops }
    }

    public var summary: String {
        String(format: "WSD cooldown mode: %d trunk(s) + %d cooldown branch(es) spend %.3g FLOPs; the same %d points as separate runs would spend %.3g (%.0f%% saved)",
               trunks, branches, spent, branches, grid, savedFraction * 100)
    }
}
