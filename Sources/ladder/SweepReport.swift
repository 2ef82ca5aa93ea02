import Foundation
import ScalingLaws
import Store
import Sweeps

/// What a sweep prints when its grid is done: the fits, the validation runs' predicted against
/// measured loss, and plans for larger budgets.
struct SweepReport {
    let spec: SweepSpec
    let store: ResultStore

    /// Fits the parametric law (stored, with bootstrap intervals) and the IsoFLOP curves (stored
    /// when every budget has its minimum inside the sampled range). Returns the law, or nil (with
    /// the reason printed) when the runs do not determine it.
    func fit() throws -> (ChinchillaLaw, Int64)? {
        let (obs, ids) = try fittedObservations(store, sweep: spec.name)
        let sweepId = try store.sweep(named: spec.name)?.id
        let runIds = String(decoding: try JSONEncoder().encode(ids), as: UTF8.self)
        let parametric: FitOutcome
        do {
            let result = try ParametricFit.fit(obs)
            let boot = spec.plan.bootstrap > 0 ? try Bootstrap.run(fit: result, options: {
                var b = BootstrapOptions()
                b.replicates = spec.plan.bootstrap
                return b
            }()) : nil
            parametric = .parametric(result, boot)
        } catch {
            print("no parametric fit: \(error)")
            return nil
        }
        let record = try store.insertFit(FitRecord(kind: .parametric, sweepId: sweepId, parameters: try parametric.parametersJSON(),
                                                   intervals: try parametric.intervalsJSON(), runIds: runIds))
        print(parametric.text, terminator: "")
        print("stored as fit \(record.id!)\n")
        do {
            let iso = FitOutcome.isoflop(try IsoFLOP.fit(obs, skippingUnusableBudgets: true))
            let isoRecord = try store.insertFit(FitRecord(kind: .isoflop, sweepId: sweepId, parameters: try iso.parametersJSON(), runIds: runIds))
            print(iso.text, terminator: "")
            print("stored as fit \(isoRecord.id!)\n")
        } catch {
            print("no IsoFLOP fit: \(error)\n")
        }
        guard case let .parametric(result, _) = parametric else { return nil }
        return (result.law, record.id!)
    }

    /// The validation runs: found in the store, or planned now at the law's compute-optimal size
    /// with the law's prediction recorded before they train.
    func validationRuns(law: ChinchillaLaw, fitId: Int64) throws -> [RunRecord] {
        let stored = try store.runs(sweep: spec.name).map(\.run).filter { $0.role == .validation }
        var result: [RunRecord] = []
        for v in spec.validation {
            let label = "val-" + SweepExpansion.label(v.flops)
            if let existing = stored.first(where: { SweepStore.label("budget", of: $0) as? String == label }) {
                result.append(existing)
                continue
            }
            let n = try v.params ?? law.computeOptimal(flops: v.flops).params
            let planned = try SweepExpansion.validationRun(spec, flops: v.flops, params: n)
            guard var run = try SweepStore.materialize([planned], sweep: spec.name, specText: "", store: store).first else { continue }
            try SweepStore.setLabels(["predicted_loss": law.loss(params: run.params, tokens: run.tokens), "fit_id": fitId], of: &run)
            try store.updateRun(run)
            result.append(run)
        }
        return result
    }

    func printValidation() throws {
        let runs = try store.runs(sweep: spec.name).map(\.run).filter { $0.role == .validation }
        guard !runs.isEmpty else { return }
        print("validation (the law's prediction, recorded before each run trained):")
        let rows: [[String]] = runs.map { r in
            let predicted = SweepStore.label("predicted_loss", of: r) as? Double
            let measured = r.status == .done ? r.loss : nil
            let error = predicted.flatMap { p in measured.map { ($0 - p) / p } }
            return [r.name ?? "#\(r.id!)", Format.scientific(r.flops), Format.si(r.params), Format.si(r.tokens),
                    predicted.map { Format.fixed($0, 4) } ?? "-", measured.map { Format.fixed($0, 4) } ?? r.status.rawValue,
                    error.map { String(format: "%+.2f%%", $0 * 100) } ?? "-"]
        }
        print(Format.table(header: ["run", "C", "N", "D", "predicted", "measured", "error"], rows: rows))
    }

    func printPlans(law: ChinchillaLaw, fitId: Int64) throws {
        guard !spec.plan.flops.isEmpty else { return }
        let fit = try store.fit(id: fitId)
        let boot = try fit.map { try LawOptions.decode($0) }
        print("plan with fit \(fitId) (C = 6 N D, N non-embedding\(boot?.level.map { ", \(Int($0 * 100))% bootstrap intervals" } ?? "")):")
        let rows: [[String]] = try spec.plan.flops.map { c in
            let a = try law.computeOptimal(flops: c)
            let n = interval(boot?.bootstrap ?? [], level: boot?.level) { try $0.computeOptimal(flops: c).params }
            let l = interval(boot?.bootstrap ?? [], level: boot?.level) { try $0.computeOptimal(flops: c).loss }
            return [Format.scientific(c), Format.si(a.params) + (n.map { " [\(Format.si($0[0])), \(Format.si($0[1]))]" } ?? ""),
                    Format.si(a.tokens), String(format: "%.1f", a.tokensPerParam),
                    Format.fixed(a.loss, 4) + (l.map { " [\(Format.fixed($0[0], 3)), \(Format.fixed($0[1], 3))]" } ?? "")]
        }
        print(Format.table(header: ["C", "N_opt", "D_opt", "D/N", "loss"], rows: rows), terminator: "")
    }
}
