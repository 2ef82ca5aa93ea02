import Foundation
import ScalingLaws
import Store

/// Settings of a report.
public struct ReportOptions: Sendable {
    /// Budgets to plan for; nil: the three decades above the sweep's largest run (e.g. 1e13, 1e14,
    /// 1e15 after runs up to 2e12 FLOPs).
    public var planFlops: [Double]? = nil
    /// When no stored fit covers exactly the sweep's finished runs, fit now (not stored).
    public var fitWhenMissing: Bool = true
    /// Bootstrap resamples for a fit made now (0: no bands).
    public var bootstrapReplicates: Int = 200
    /// Interval level for a fit made now.
    public var level: Double = 0.8
    /// Threads for a fit made now.
    public var threads: Int = 2
    /// Points along the frontier lines.
    public var frontierPoints: Int = 60
    /// How the sweep counts C (its `[model]` table): the fitted law's frontier and plan are found
    /// under it, so they mean what the sweep's own plan means; published laws keep 6 N D.
    public var flopCounting: FlopCounting = .sixND

    public init() {}
}

/// Store to report model: reads the sweep's runs, their logged evaluations and the stored fits.
public enum ReportLoader {
    /// The sweep to report on: the named one, or the only one in the store.
    public static func resolveSweep(_ name: String?, store: ResultStore) throws -> SweepRecord {
        let sweeps = try store.sweeps()
        if let name {
            guard let s = sweeps.first(where: { $0.name == name }) else {
                throw ReportError.unknownSweep(name: name, database: store.path, sweeps: sweeps.map(\.name))
            }
            return s
        }
        switch sweeps.count {
        case 0: throw ReportError.noSweeps(database: store.path)
        case 1: return sweeps[0]
        default: throw ReportError.ambiguousSweep(database: store.path, sweeps: sweeps.map(\.name))
        }
    }

    /// Loads the sweep and builds its report. Throws ``ReportError/noFinishedRuns(sweep:statusCounts:)``
    /// when no run finished with a loss.
    public static func load(store: ResultStore, sweep name: String?, options: ReportOptions = ReportOptions()) throws -> ScalingReport {
        let sweep = try resolveSweep(name, store: store)
        let records = try store.runs(sweep: sweep.name).map(\.run)
        var runs: [ReportRun] = []
        for r in records {
            let labels = r.labels
            let curve = try store.metrics(runId: r.id!).compactMap { m in
                m.valLoss.map { CurvePoint(tokens: m.tokensSeen, loss: $0) }
            }
            var run = ReportRun(id: r.id!, name: r.name ?? "#\(r.id!)", role: r.role, status: r.status,
                                  params: Self.params(r, labels), tokens: r.tokens, flops: r.flops, loss: r.loss,
                                  budget: labels.budget, predictedLoss: labels.predictedLoss,
                                  predictedByFit: labels.fitId, curve: curve)
            run.wsdTrunk = labels.wsd == .trunk
            runs.append(run)
        }
        guard runs.contains(where: { $0.status == .done && $0.loss != nil }) else {
            var counts: [String: Int] = [:]
            for r in runs { counts[r.status.rawValue, default: 0] += 1 }
            throw ReportError.noFinishedRuns(sweep: sweep.name, statusCounts: counts)
        }
        let fitted = runs.filter(\.countsForFit)
        let ids = fitted.map(\.id).sorted()
        func matching(_ kind: FitKind) throws -> FitRecord? {
            try store.fits(sweepId: sweep.id!, kind: kind).first { record in
                guard let stored = try? JSONDecoder().decode([Int64].self, from: Data(record.runIds.utf8)) else { return false }
                return stored.sorted() == ids
            }
        }
        return ReportBuilder.build(sweep: sweep.name, database: store.path, runs: runs,
                                   storedParametric: try matching(.parametric), storedIsoFLOP: try matching(.isoflop),
                                   options: options)
    }

    /// N as the run's sweep counts it (`params_counting` label: total or non-embedding; runs
    /// without it are non-embedding), so the report's axes and fits mean the sweep's N.
    static func params(_ r: RunRecord, _ labels: SweepLabels) -> Double {
        labels.counting == .total ? (r.paramsTotal ?? r.params) : r.params
    }
}
