import Foundation
/// Dynamic loss scaling (Micikevicius et al. 2018) for fp16 training.
///
/// The loss is multiplied by `scale` before backward so small gradients survive fp16's 2^-24
/// floor; the optimizer divides it back out. When any gradient is inf or NaN the step is skipped
/// (weights and optimizer moments untouched) and the scale halves; after `growthInterval`
/// consecutive clean steps it doubles. Initial scale 2^16, growth interval 2,000.
public struct DynamicLossScaler: Equatable, Sendable {
    public private(set) var scale: Float
    /// Clean steps since the last overflow or growth.
    public private(set) var cleanSteps: Int
    /// Steps skipped for overflow since training began.
    public private(set) var skippedSteps: Int
    public let growthInterval: Int
    /// Smallest scale the halving stops at (a run whose gradients overflow even at 1 diverges).
    public static let minimumScale: Float = 1
    /// Largest scale doubling reaches.
    public static let maximumScale: Float = 0x1p24

    public init(scale: Float = 65536, growthInterval: Int = 2000, cleanSteps: Int = 0, skippedSteps: Int = 0) {
        precondition(scale > 0 && growthInterval > 0, "loss scale and growth interval must be positive")
        self.scale = scale
        self.growthInterval = growthInterval
        self.cleanSteps = cleanSteps
        self.skippedSteps = skippedSteps
    }

    /// Records one step's outcome: `finite` false halves the scale and counts a skipped step.
    /// Returns whether the optimizer should apply this step.
    @discardableResult
    public mutating func update(gradientsFinite finite: Bool) -> Bool {
        if !finite {
            scale = max(scale / 2, Self.minimumScale)
            cleanSteps = 0
            skippedSteps += 1
            return false
        }
        cleanSteps += 1
        if cleanSteps >= growthInterval {
            scale = min(scale * 2, Self.maximumScale)
            cleanSteps = 0
        }
        return true
    }

    /// "scale,cleanSteps,skippedSteps" (the scale's bit pattern), for checkpoint metadata.
    public var checkpointText: String { "\(scale.bitPattern),\(cleanSteps),\(skippedSteps)" }

    /// Parses `checkpointText`; nil when malformed.
    public init?(checkpointText text: String, growthInterval: Int = 2000) {
        let parts = text.split(separator: ",")
        guard parts.count == 3, let bits = UInt32(parts[0]), let clean = Int(parts[1]), let skipped = Int(parts[2]),
              Float(bitPattern: bits) > 0, clean >= 0, skipped >= 0 else { return nil }
        self.init(scale: Float(bitPattern: bits), growthInterval: growthInterval, cleanSteps: clean, skippedSteps: skipped)
    }
}

extension DynamicLossScaler {
    /// The scaler saved in a checkpoint's `state`, for an fp16 run resuming from `url`.
    public static func saved(in state: TrainingCheckpoint.State, of url: URL) throws -> DynamicLossScaler {
        guard let scaler = DynamicLossScaler(checkpointText: state.lossScaler) else {
            throw TrainingError.checkpoint("\(url.path) has no loss-scaler state for this fp16 run; remove it to start over")
        }
        return scaler
    }
}
