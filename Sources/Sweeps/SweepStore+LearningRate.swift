import Foundation
import ScalingLaws
import Store

extension SweepStore {
    /// The finished fit runs of `sweep` as learning-rate observations: N (counted as `counting`),
    /// the peak rate the run trained with, and its final validation loss.
    public static func learningRateObservations(_ store: ResultStore, sweep: String,
                                                counting: ParameterCounting) throws -> [LearningRateLaw.Observation] {
        try store.runs(sweep: sweep, status: .done).map(\.run).filter { $0.role == .fit && $0.loss != nil }.compactMap { r in
            guard let data = r.config.data(using: .utf8),
                  let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let train = object["train"] as? [String: Any], let lr = (train["lr"] as? NSNumber)?.doubleValue else { return nil }
            let n = params(of: r, counting: counting)
            return LearningRateLaw.Observation(params: n, tokens: r.tokens, lr: lr, loss: r.loss!)
        }
    }

    /// The most recent learning-rate law stored by `ladder fit --method lr`, with its fit id.
    public static func latestLearningRateLaw(_ store: ResultStore) throws -> (law: LearningRateLaw, fitId: Int64)? {
        guard let record = try store.latestFit(kind: .lr), let id = record.id else { return nil }
        do {
            return (try JSONDecoder().decode(LearningRateLaw.self, from: Data(record.parameters.utf8)), id)
        } catch {
            throw SweepError.invalid("fit \(id) (kind lr) in \(store.path) cannot be read as a learning-rate law: \(error)")
        }
    }
}
