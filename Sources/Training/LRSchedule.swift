import Foundation

/// Learning-rate schedules. `lr(step)` for step in 0..<totalSteps.
public enum LRSchedule: Codable, Equatable, Sendable {
    /// The same rate throughout (after an optional linear warmup).
    case constant(warmup: Int)
    /// Linear warmup, then cosine decay to `minRatio * peak` at the last step.
    case cosine(warmup: Int, minRatio: Double)
    /// Warmup-stable-decay (Hu et al. 2024; Hagele et al. 2024): warmup, a constant stretch, then a
    /// cooldown over the last `cooldownFraction` of the steps to `minRatio * peak`, linearly or as
    /// 1 - sqrt.
    case wsd(warmup: Int, cooldownFraction: Double, shape: CooldownShape, minRatio: Double)

    public enum CooldownShape: String, Codable, Equatable, Sendable {
        case linear
        case oneMinusSqrt = "1-sqrt"
    }

    /// The rate at `step` (0-based) of a run of `totalSteps` steps with peak rate `peak`.
    public func lr(step: Int, totalSteps: Int, peak: Double) -> Double {
        let warmup: Int
        switch self {
        case let .constant(w), let .cosine(w, _), let .wsd(w, _, _, _): warmup = w
        }
        if warmup > 0 && step < warmup { return peak * Double(step + 1) / Double(warmup) }
        switch self {
        case .constant:
            return peak
        case let .cosine(_, minRatio):
            let span = max(totalSteps - warmup - 1, 1)
            let progress = min(Double(step - warmup) / Double(span), 1)
            let ratio = minRatio + (1 - minRatio) * 0.5 * (1 + cos(Double.pi * progress))
            return peak * ratio
        case let .wsd(_, fraction, shape, minRatio):
            let cooldown = Int((Double(totalSteps) * fraction).rounded())
            let start = totalSteps - cooldown
            if step < start || cooldown == 0 { return peak }
            let progress = Double(step - start + 1) / Double(cooldown)
            let decay: Double
            switch shape {
            case .linear: decay = 1 - progress
            case .oneMinusSqrt: decay = 1 - progress.squareRoot()
            }
            return peak * (minRatio + (1 - minRatio) * decay)
        }
    }
}
