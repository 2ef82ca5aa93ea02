import Foundation
import ScalingLaws
import Store

/// Puts a sweep's planned runs into the store, idempotently: runs are matched by name, so running
/// the same file again finds its runs instead of adding new ones.
public enum SweepStore {
    /// Returns the stored records of `planned`, inserting those not yet stored (all in one
    /// transaction). A stored run whose N or D differs from the plan is an error: the file changed
    /// under an existing sweep.
    public static func materialize(_ planned: [PlannedRun], sweep: String, specText: String,
                                   store: ResultStore) throws -> [RunRecord] {
        _ = try store.ensureSweep(name: sweep, spec: specText)
        let existing = Dictionary(try store.runs(sweep: sweep).compactMap { l in l.run.name.map { ($0, l.run) } },
                                  uniquingKeysWith: { a, _ in a })
        var missing: [RunRecord] = []
        var missingBranches: [PlannedRun] = []
        for p in planned {
            if let r = existing[p.name] {
                if abs(r.params - p.paramsNonEmbedding) > 0.5 || abs(r.tokens - p.tokens) > 0.5 {
                    throw SweepError.invalid("sweep '\(sweep)' already has run \(p.name) with N = \(r.params), D = \(r.tokens); the file now plans N = \(p.paramsNonEmbedding), D = \(p.tokens) (non-embedding N). Use a new sweep name.")
                }
                continue
            }
            if case .branch = p.wsd { missingBranches.append(p) } else { missing.append(try record(p, sweep: sweep)) }
        }
        if !missing.isEmpty { try store.insertRuns(missing, intoSweep: sweep) }
        var byName = Dictionary(try store.runs(sweep: sweep).compactMap { l in l.run.name.map { ($0, l.run) } },
                                uniquingKeysWith: { a, _ in a })
        if !missingBranches.isEmpty {
            // A branch's label names its trunk's run id, known once the trunk is stored.
            let branches = try missingBranches.map { p -> RunRecord in
                guard case let .branch(trunkName, _) = p.wsd, let trunk = byName[trunkName]?.id else {
                    throw SweepError.invalid("wsd branch \(p.name) has no stored trunk")
                }
                return try record(p, sweep: sweep, trunkRunId: trunk)
            }
            try store.insertRuns(branches, intoSweep: sweep)
            byName = Dictionary(try store.runs(sweep: sweep).compactMap { l in l.run.name.map { ($0, l.run) } },
                                uniquingKeysWith: { a, _ in a })
        }
        return planned.compactMap { byName[$0.name] }
    }

    static func record(_ p: PlannedRun, sweep: String, trunkRunId: Int64? = nil) throws -> RunRecord {
        var r = RunRecord(sweepId: 0, name: p.name, status: .pending, config: try p.configJSON(sweep: sweep, trunkRunId: trunkRunId),
                          nLayer: p.shape.nLayer, dModel: p.shape.dModel, nHead: p.shape.nHead, dFF: p.shape.dFF,
                          params: p.paramsNonEmbedding, paramsTotal: p.paramsTotal, tokens: p.tokens, flops: p.flops,
                          seed: Int(truncatingIfNeeded: p.config.train.seed))
        r.role = p.role == .validation ? .validation : .fit
        return r
    }

    /// A run's N as `counting` counts it (the store keeps both counts); nil: as its sweep counts
    /// it (the `params_counting` label), non-embedding for runs without the label.
    public static func params(of run: RunRecord, counting: ParameterCounting?) -> Double {
        let c = counting ?? self.counting(of: run) ?? .nonEmbedding
        return c == .total ? (run.paramsTotal ?? run.params) : run.params
    }

    /// How the run's sweep counts N (its `params_counting` label), nil when it has none.
    public static func counting(of run: RunRecord) -> ParameterCounting? {
        switch label("params_counting", of: run) as? String {
        case "total"?: return .total
        case "non_embedding"?: return .nonEmbedding
        default: return nil
        }
    }

    /// The run a WSD branch starts from (its trunk), nil for other runs.
    public static func trunkRun(of run: RunRecord) -> Int64? {
        (label("trunk_run", of: run) as? NSNumber)?.int64Value
    }

    /// The step of its trunk a WSD branch starts from.
    public static func branchStep(of run: RunRecord) -> Int? {
        (label("branch_step", of: run) as? NSNumber)?.intValue
    }

    /// A WSD trunk: trained at a constant rate, so its own loss is not a point of the law.
    public static func isTrunk(_ run: RunRecord) -> Bool { label("wsd", of: run) as? String == "trunk" }

    /// A sweep label stored in a run's config (`{"sweep": {key: value}}`).
    public static func label(_ key: String, of run: RunRecord) -> Any? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(run.config.utf8)) as? [String: Any],
              let sweep = object["sweep"] as? [String: Any] else { return nil }
        return sweep[key]
    }

    /// Adds labels to a stored run's config.
    public static func setLabels(_ labels: [String: Any], of run: inout RunRecord) throws {
        var object = try JSONSerialization.jsonObject(with: Data(run.config.utf8)) as? [String: Any] ?? [:]
        var sweep = object["sweep"] as? [String: Any] ?? [:]
        for (k, v) in labels { sweep[k] = v }
        object["sweep"] = sweep
        run.config = String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}
