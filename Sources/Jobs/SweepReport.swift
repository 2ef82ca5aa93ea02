import Foundation
import ScalingLaws
import Store
import Sweeps

/// What a sweep prints when its grid is done: the fits, the validation runs' predicted against
/// measured loss, and plans for larger budgets. N is counted as the sweep's `[model] params`
/// says and C is the sweep's own FLOP count (``SweepSpec/ModelFamily/flopCounting``), so fit,
/// validation and plan mean the same N and C.
public struct SweepReport {
    public let spec: SweepSpec
    public let store: ResultStore

    public init(spec: SweepSpec, store: ResultStore) {
        self.spec = spec
        self.store = store
    }

    /// A fitted law with what predictions need: its bootstrap laws and the seed-to-seed noise.
    public struct FittedLaw {
        public init(law: ChinchillaLaw, fitId: Int64, bootstrap: Bootstrap?, noise: SeedNoise?, maxFittedFlops: Double) {
            self.law = law; self.fitId = fitId; self.bootstrap = bootstrap; self.noise = noise; self.maxFittedFlops = maxFittedFlops
        }
        public var law: ChinchillaLaw
        public var fitId: Int64
        public var bootstrap: Bootstrap?
        public var noise: SeedNoise?
        /// The largest budget the law was fitted on.
        public var maxFittedFlops: Double
    }

    public var counting: ParameterCounting { spec.model.counting }

    /// Fits the parametric law (stored, with bootstrap intervals) and the IsoFLOP curves (stored
    /// when every budget has its minimum inside the sampled range). Runs repeated with other
    /// seeds give the noise and are fitted as one point (their geometric-mean loss). Returns the
    /// law, or nil (with the reason printed) when the runs do not determine it.
    public func fit() throws -> FittedLaw? {
        let (all, ids) = try fittedObservations(store, sweep: spec.name, counting: counting)
        let noise = SeedNoise.estimate(all)
        let obs = SeedNoise.averaged(all)
        let sweepId = try store.sweep(named: spec.name)?.id
        let runIds = String(decoding: try JSONEncoder().encode(ids), as: UTF8.self)
        print("N = \(counting == .total ? "total parameters" : "non-embedding parameters"); C = \(spec.model.flopCounting)\n")
        let parametric: FitOutcome
        let boot: Bootstrap?
        let result: ParametricFitResult
        do {
            result = try ParametricFit.fit(obs)
            boot = spec.plan.bootstrap > 0 ? try Bootstrap.run(fit: result, options: {
                var b = BootstrapOptions()
                b.replicates = spec.plan.bootstrap
                return b
            }()) : nil
            parametric = .parametric(result, boot)
        } catch {
            print("no parametric fit: \(error)")
            return nil
        }
        guard result.law.isValid else {
            // a law with a non-positive or non-finite parameter plans nothing sound: not stored
            print(parametric.text, terminator: "")
            print("not stored: the fitted law has a non-positive or non-finite parameter (E, A, B, alpha, beta must be positive and finite); the runs do not determine it")
            return nil
        }
        let record = try store.insertFit(FitRecord(kind: .parametric, sweepId: sweepId, parameters: try parametric.parametersJSON(),
                                                   intervals: try parametric.intervalsJSON(), runIds: runIds))
        print(parametric.text, terminator: "")
        print("stored as fit \(record.id!)")
        if let noise {
            print(String(format: "seed-to-seed noise: %.2f%% of the loss (std. dev. of ln L over %d points with %d runs); the fit's RMSE of log residuals is %.2f%%",
                         noise.sigmaLog * 100, noise.points, noise.runs, result.rmseLog * 100))
        }
        print("")
        printBacktest(result)
        do {
            let iso = FitOutcome.isoflop(try IsoFLOP.fit(obs, skippingUnusableBudgets: true))
            let isoRecord = try store.insertFit(FitRecord(kind: .isoflop, sweepId: sweepId, parameters: try iso.parametersJSON(), runIds: runIds))
            print(iso.text, terminator: "")
            print("stored as fit \(isoRecord.id!)\n")
        } catch {
            print("no IsoFLOP fit: \(error)\n")
        }
        return FittedLaw(law: result.law, fitId: record.id!, bootstrap: boot, noise: noise,
                         maxFittedFlops: obs.map(\.computeFlops).max() ?? 0)
    }

    /// Leave-top-budget-out: the law refitted without the largest budget predicts each of its
    /// runs (no extra compute). Printed per run, with the summary of ``RolloutFormat``.
    public func printBacktest(_ result: ParametricFitResult) {
        var options = RolloutOptions()
        options.windows = 1
        do {
            let rollout = try Rollout.parametric(result.observations, options: options)
            print("backtest: ", terminator: "")
            print(RolloutFormat.text(rollout), terminator: "")
            if let w = rollout.windows.first {
                print(Format.table(header: ["held-out run", "N", "D", "predicted", "measured", "error", "reducible"],
                                   rows: w.predictions.map { p in
                                       [p.observation.name ?? "-", Format.si(p.observation.params), Format.si(p.observation.tokens),
                                        Format.fixed(p.predicted, 4), Format.fixed(p.observation.loss, 4),
                                        String(format: "%+.2f%%", 100 * p.totalError), String(format: "%+.1f%%", 100 * p.reducibleError)]
                                   }))
            }
        } catch {
            print("no backtest: \(error)\n")
        }
    }

    /// The law's prediction for a run of N, D with its interval: the bootstrap laws' spread
    /// combined in quadrature with the seed-to-seed noise.
    public func prediction(_ fitted: FittedLaw, params: Double, tokens: Double) -> (loss: Double, interval: [Double]?) {
        let loss = fitted.law.loss(params: params, tokens: tokens)
        guard let boot = fitted.bootstrap, let iv = boot.interval({ $0.loss(params: params, tokens: tokens) }) else {
            return (loss, nil)
        }
        let z = 1.2816 // two-sided 80%
        let noise = (fitted.noise?.sigmaLog ?? 0) * z
        let lo = Foundation.log(iv.lower / loss), hi = Foundation.log(iv.upper / loss)
        return (loss, [loss * Foundation.exp(-(lo * lo + noise * noise).squareRoot()),
                       loss * Foundation.exp((hi * hi + noise * noise).squareRoot())])
    }

    /// The validation runs: found in the store, or planned now at the law's compute-optimal size
    /// (under the sweep's FLOP counting) with the law's prediction recorded before they train.
    public func validationRuns(_ fitted: FittedLaw) throws -> [RunRecord] {
        let stored = try store.runs(sweep: spec.name).map(\.run).filter { $0.role == .validation }
        var result: [RunRecord] = []
        for v in spec.validation {
            let label = "val-" + SweepExpansion.label(v.flops)
            if let existing = stored.first(where: { $0.labels.budget == label }) {
                result.append(existing)
                continue
            }
            let n = try v.params ?? fitted.law.computeOptimal(flops: v.flops, counting: spec.model.flopCounting).params
            let planned = try SweepExpansion.validationRun(spec, flops: v.flops, params: n)
            guard var run = try SweepStore.materialize([planned], sweep: spec.name, specText: "", store: store).first else { continue }
            let p = prediction(fitted, params: SweepStore.params(of: run, counting: counting), tokens: run.tokens)
            try run.updateLabels {
                $0.predictedLoss = p.loss
                $0.predictedInterval = p.interval
                $0.fitId = fitted.fitId
                $0.irreducibleLoss = fitted.law.E
                $0.maxFittedFlops = fitted.maxFittedFlops
            }
            try store.updateRun(run)
            result.append(run)
        }
        return result
    }

    public func printValidation() throws {
        let runs = try store.runs(sweep: spec.name).map(\.run).filter { $0.role == .validation }
        guard !runs.isEmpty else { return }
        print("validation (the law's prediction and its 80% interval, recorded before each run trained;")
        print("error in total loss (L - L^)/L^ and in reducible loss (L - L^)/(L^ - E)):")
        let rows: [[String]] = runs.map { r in
            let labels = r.labels
            let predicted = labels.predictedLoss, iv = labels.predictedInterval.flatMap { $0.count == 2 ? $0 : nil }
            let e = labels.irreducibleLoss, maxFitted = labels.maxFittedFlops
            let measured = r.status == .done ? r.loss : nil
            let error = predicted.flatMap { p in measured.map { ($0 - p) / p } }
            let reducible = predicted.flatMap { p in measured.flatMap { m in e.map { (m - p) / (p - $0) } } }
            return [r.name ?? "#\(r.id!)", Format.scientific(r.flops), maxFitted.map { String(format: "%.1fx", r.flops / $0) } ?? "-",
                    Format.si(SweepStore.params(of: r, counting: counting)), Format.si(r.tokens),
                    (predicted.map { Format.fixed($0, 4) } ?? "-") + (iv.map { " [\(Format.fixed($0[0], 3)), \(Format.fixed($0[1], 3))]" } ?? ""),
                    measured.map { Format.fixed($0, 4) } ?? r.status.rawValue,
                    error.map { String(format: "%+.2f%%", $0 * 100) } ?? "-",
                    reducible.map { String(format: "%+.1f%%", $0 * 100) } ?? "-"]
        }
        print(Format.table(header: ["run", "C", "C / fitted", "N", "D", "predicted [80%]", "measured", "error", "reducible"], rows: rows))
    }

    public func printPlans(_ fitted: FittedLaw) throws {
        guard !spec.plan.flops.isEmpty else { return }
        let fit = try store.fit(id: fitted.fitId)
        let boot = try fit.map { try StoredLaw.decode($0) }
        let counting = spec.model.flopCounting
        print("plan with fit \(fitted.fitId) (N \(self.counting == .total ? "total" : "non-embedding"), C as the sweep counts it\(boot?.level.map { ", \(Int($0 * 100))% bootstrap intervals" } ?? "")):")
        let rows: [[String]] = try spec.plan.flops.map { c in
            let a = try fitted.law.computeOptimal(flops: c, counting: counting)
            let n = interval(boot?.bootstrap ?? [], level: boot?.level) { try $0.computeOptimal(flops: c, counting: counting).params }
            let l = interval(boot?.bootstrap ?? [], level: boot?.level) { try $0.computeOptimal(flops: c, counting: counting).loss }
            return [Format.scientific(c), Format.si(a.params) + (n.map { " [\(Format.si($0[0])), \(Format.si($0[1]))]" } ?? ""),
                    Format.si(a.tokens), String(format: "%.1f", a.tokensPerParam),
                    Format.fixed(a.loss, 4) + (l.map { " [\(Format.fixed($0[0], 3)), \(Format.fixed($0[1], 3))]" } ?? "")]
        }
        print(Format.table(header: ["C", "N_opt", "D_opt", "D/N", "loss"], rows: rows), terminator: "")
    }
}
