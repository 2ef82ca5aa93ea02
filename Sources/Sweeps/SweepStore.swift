import Foundation
import ScalingLaws
import Store

/// Puts a sweep's planned runs into the store, idempotently: runs are matched by name, so running
/// the same file again finds its runs instead of adding new ones.
public enum SweepStore {
    /// Returns the stored records of `planned`, inserting those not yet stored (all in one
    /// transaction). Stored runs the file now plans differently (any setting that changes what
    /// they train, see ``SweepEdits``) are refused with the differences, unless `replan`: then
    /// unfinished ones take the new plan and a new identity (so their old folder and checkpoint are never resumed; their metrics are dropped)
    /// and finished ones are still refused (a re-plan would mix two experiments in one fit).
    public static func materialize(_ planned: [PlannedRun], sweep: String, specText: String,
                                   store: ResultStore, replan: Bool = false) throws -> [RunRecord] {
        _ = try store.ensureSweep(name: sweep, spec: specText)
        var existing = Dictionary(try store.runs(sweep: sweep).compactMap { l in l.run.name.map { ($0, l.run) } },
                                  uniquingKeysWith: { a, _ in a })
        let edits = try SweepEdits.between(stored: Array(existing.values), planned: planned, sweep: sweep)
        if !edits.isEmpty {
            let finished = edits.changedRuns.filter(\.finished)
            guard replan, finished.isEmpty else {
                var message = "the sweep file plans \(edits.changedRuns.count) of sweep '\(sweep)''s stored runs differently than they were stored:\n\(edits.summary())\n"
                if !finished.isEmpty {
                    message += "\(finished.count) of them already trained (\(finished.prefix(3).map(\.name).joined(separator: ", "))\(finished.count > 3 ? ", ..." : "")); a re-plan would fit runs of two different settings together: use a new sweep name, or delete those runs first (ladder runs delete)"
                } else {
                    message += "none of them has finished: pass --replan to train them with the file's settings (they start over under a new identity: their metrics are dropped, their old folders left unused), or restore the file, or use a new sweep name"
                }
                throw SweepError.edited(message)
            }
            for changed in edits.changedRuns {
                if let lease = try store.lease(runId: changed.id), !lease.isStale(staleAfter: ResultStore.leaseTimeout) {
                    throw SweepError.edited("run \(changed.name) is being trained by \(lease.ownerDescription); stop it before re-planning")
                }
            }
            let plans = Dictionary(planned.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            for changed in edits.changedRuns {
                guard let old = existing[changed.name], let p = plans[changed.name] else { continue }
                var r = try record(p, sweep: sweep, trunkRunId: old.labels.trunkRun)
                if let trunkUUID = old.labels.trunkUUID { try r.updateLabels { $0.trunkUUID = trunkUUID } }
                r.id = old.id
                r.sweepId = old.sweepId
                r.uuid = UUID().uuidString.lowercased()  // a new identity: the old folder is no longer this run's
                r.created = old.created
                try store.replanRun(r)
                existing[changed.name] = r
            }
        }
        var missing: [RunRecord] = []
        var missingBranches: [PlannedRun] = []
        for p in planned {
            if existing[p.name] != nil { continue }
            if case .branch = p.wsd { missingBranches.append(p) } else { missing.append(try record(p, sweep: sweep)) }
        }
        if !missing.isEmpty { try store.insertRuns(missing, intoSweep: sweep) }
        var byName = Dictionary(try store.runs(sweep: sweep).compactMap { l in l.run.name.map { ($0, l.run) } },
                                uniquingKeysWith: { a, _ in a })
        if !missingBranches.isEmpty {
            // A branch's label names its trunk's run id, known once the trunk is stored.
            let branches = try missingBranches.map { p -> RunRecord in
                guard case let .branch(trunkName, _) = p.wsd, let trunkRecord = byName[trunkName], let trunk = trunkRecord.id else {
                    throw SweepError.invalid("wsd branch \(p.name) has no stored trunk")
                }
                var r = try record(p, sweep: sweep, trunkRunId: trunk)
                // the trunk's folder is named by its identity too
                if let uuid = trunkRecord.uuid { try r.updateLabels { $0.trunkUUID = uuid } }
                return r
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
        switch run.labels.counting {
        case .total?: return .total
        case .nonEmbedding?: return .nonEmbedding
        case nil: return nil
        }
    }
}
