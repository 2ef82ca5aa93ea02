import Foundation

/// What a sweep records about a run beside its training config: the `"sweep"` object of the run's
/// stored config JSON (`{"train": ..., "sweep": {"budget": "c1e12", ...}}`). Written when the sweep
/// is expanded and by its fit pipeline; read by the scheduler, jobs, reports and exports, all
/// through this one typed record (the JSON keys are the ones Ladder has always stored).
public struct SweepLabels: Codable, Equatable, Sendable {
    /// The part of a WSD sweep a run is (Hagele et al. 2024's cooldown mode).
    public enum WSDPart: String, Codable, Sendable {
        /// The long constant-rate run the branches start from: shown, never fitted.
        case trunk
        /// A cooldown from the trunk's checkpoint at `branchStep`.
        case branch
    }

    /// How the sweep counts N ("total" or "non_embedding").
    public enum Counting: String, Codable, Sendable {
        case total
        case nonEmbedding = "non_embedding"
    }

    /// The sweep's name.
    public var sweep: String?
    /// "fit" or "validation" as planned (the run row's `role` column is the stored truth).
    public var role: String?
    public var counting: Counting?
    /// The IsoFLOP budget's label ("c1e12"), or "val-…" for a validation run.
    public var budget: String?
    public var wsd: WSDPart?
    /// A branch's starting step in its trunk, its trunk's run id and identity (the trunk's folder).
    public var branchStep: Int?
    public var trunkRun: Int64?
    public var trunkUUID: String?
    /// A validation run's prediction, made before it trained: the loss, its interval, the fit
    /// that made it, that fit's E, and the largest compute it was fitted to.
    public var predictedLoss: Double?
    public var predictedInterval: [Double]?
    public var fitId: Int64?
    public var irreducibleLoss: Double?
    public var maxFittedFlops: Double?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case sweep = "name", role, counting = "params_counting", budget, wsd
        case branchStep = "branch_step", trunkRun = "trunk_run", trunkUUID = "trunk_uuid"
        case predictedLoss = "predicted_loss", predictedInterval = "predicted_interval", fitId = "fit_id"
        case irreducibleLoss = "irreducible_loss", maxFittedFlops = "max_fitted_flops"
    }

    /// Keys added to a stored run after it was planned (by the store or the fit pipeline): not
    /// part of what the sweep file asks for, so sweep edits ignore them.
    public static let storeAddedKeys: Set<String> = [
        CodingKeys.trunkRun, .trunkUUID, .predictedLoss, .predictedInterval, .fitId, .irreducibleLoss, .maxFittedFlops,
    ].reduce(into: []) { $0.insert($1.rawValue) }

    public init() {}

    /// Each label read on its own: one of the wrong type (from an older Ladder, or edited by
    /// hand) is missing, and the others still read.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func read<T: Decodable>(_ key: CodingKeys) -> T? { (try? c.decodeIfPresent(T.self, forKey: key)) ?? nil }
        sweep = read(.sweep); role = read(.role); counting = read(.counting); budget = read(.budget); wsd = read(.wsd)
        branchStep = read(.branchStep); trunkRun = read(.trunkRun); trunkUUID = read(.trunkUUID)
        predictedLoss = read(.predictedLoss); predictedInterval = read(.predictedInterval); fitId = read(.fitId)
        irreducibleLoss = read(.irreducibleLoss); maxFittedFlops = read(.maxFittedFlops)
    }

    /// The labels of a stored run config (none when it has no `"sweep"` object or is not JSON),
    /// numbers read straight from the stored text.
    public init(config: String) {
        struct Config: Decodable {
            let sweep: SweepLabels?
            enum CodingKeys: String, CodingKey { case sweep }
            init(from decoder: Decoder) throws {
                sweep = try? decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(SweepLabels.self, forKey: .sweep)
            }
        }
        self = (try? JSONDecoder().decode(Config.self, from: Data(config.utf8)))?.sweep ?? SweepLabels()
    }

    /// `config` (a JSON object) with these labels as its `"sweep"` object; labels this type does
    /// not know, which a newer Ladder may have written, are kept.
    public func stored(in config: String) throws -> String {
        var object = try JSONSerialization.jsonObject(with: Data(config.utf8)) as? [String: Any] ?? [:]
        var labels = object["sweep"] as? [String: Any] ?? [:]
        for key in CodingKeys.allCases { labels[key.rawValue] = nil }
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(self)) as? [String: Any] ?? [:]
        labels.merge(encoded) { _, new in new }
        object["sweep"] = labels
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}

extension RunRecord {
    /// The sweep's labels of this run (see ``SweepLabels``).
    public var labels: SweepLabels { SweepLabels(config: config) }

    /// Changes this run's labels in its stored config.
    public mutating func updateLabels(_ change: (inout SweepLabels) -> Void) throws {
        var labels = self.labels
        change(&labels)
        config = try labels.stored(in: config)
    }
}
