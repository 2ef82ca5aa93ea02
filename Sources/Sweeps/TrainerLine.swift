import Foundation

/// One line of a trainer's metrics file (JSONL, Ladder's trainer protocol; README, "Your own trainer").
///
///     {"event": "start", "step": S}        (re)starting at step S: points after S logged before are void
///     {"step": k, "tokens": n, "train_loss": x, "val_loss": y, "lr": r, "tokens_per_s": s, "tasks": {"name": v}}
///     {"event": "checkpoint", "step": k}
///     {"event": "end", "outcome": "done" | "interrupted" | "diverged", "loss": L, "train_loss": x, "reason": "..."}
///
/// Every field of a point but `step` is optional; a step may come in several lines (training values,
/// then its evaluation), which merge.
public enum TrainerLine: Equatable, Sendable {
    case start(step: Int)
    case point(TrainerPoint)
    case checkpoint(step: Int)
    case end(TrainerEnd)

    /// The line's meaning, or nil for a line that is not a protocol object (torn by a crash, or
    /// something else the trainer printed there); unknown keys are ignored.
    public init?(json line: Data) {
        guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any] else { return nil }
        func number(_ key: String) -> Double? {
            guard let v = (object[key] as? NSNumber)?.doubleValue else { return nil }
            return v.isFinite ? v : nil
        }
        let step = (object["step"] as? NSNumber).map(\.intValue)
        switch object["event"] as? String {
        case "start":
            guard let step, step >= 0 else { return nil }
            self = .start(step: step)
        case "checkpoint":
            guard let step, step >= 0 else { return nil }
            self = .checkpoint(step: step)
        case "end":
            guard let text = object["outcome"] as? String, let outcome = TrainerEnd.Outcome(rawValue: text) else { return nil }
            self = .end(TrainerEnd(outcome: outcome, loss: number("loss"), trainLoss: number("train_loss"),
                                   reason: object["reason"] as? String, wallSeconds: number("wall_seconds"),
                                   device: object["device"] as? String,
                                   worldSize: (object["world_size"] as? NSNumber).map(\.intValue)))
        case nil:
            guard let step, step >= 0 else { return nil }
            var tasks: [String: Double] = [:]
            for (name, value) in object["tasks"] as? [String: Any] ?? [:] {
                if let v = (value as? NSNumber)?.doubleValue, v.isFinite, !name.isEmpty { tasks[name] = v }
            }
            self = .point(TrainerPoint(step: step, tokens: number("tokens"), trainLoss: number("train_loss"),
                                       valLoss: number("val_loss"), learningRate: number("lr"),
                                       tokensPerSecond: number("tokens_per_s"), tasks: tasks))
        default:
            return nil
        }
    }
}

public struct TrainerPoint: Equatable, Sendable {
    public var step: Int
    public var tokens: Double?
    public var trainLoss: Double?
    public var valLoss: Double?
    public var learningRate: Double?
    public var tokensPerSecond: Double?
    public var tasks: [String: Double] = [:]
}

public struct TrainerEnd: Equatable, Sendable {
    public enum Outcome: String, Sendable { case done, interrupted, diverged }
    public var outcome: Outcome
    /// Final validation loss in nats per token (required when done).
    public var loss: Double?
    public var trainLoss: Double?
    public var reason: String?
    public var wallSeconds: Double?
    public var device: String?
    public var worldSize: Int?

    public init(outcome: Outcome, loss: Double? = nil, trainLoss: Double? = nil, reason: String? = nil,
                wallSeconds: Double? = nil, device: String? = nil, worldSize: Int? = nil) {
        self.outcome = outcome; self.loss = loss; self.trainLoss = trainLoss; self.reason = reason
        self.wallSeconds = wallSeconds; self.device = device; self.worldSize = worldSize
    }
}
