import Foundation
import ScalingLaws
import Store

/// Runs and stored fits to a report: decodes the stored fits (or fits now), and derives the
/// frontier and the plan. Pure apart from the fitting it may do.
public enum ReportBuilder {
    /// The observations the fits use: finished fit runs, with their budget labels (as `ladder fit` does).
    public static func observations(_ runs: [ReportRun]) -> [Observation] {
        runs.filter(\.countsForFit).map {
            Observation(params: $0.params, tokens: $0.tokens, loss: $0.loss!, flops: $0.flops, name: $0.name, budget: $0.budget)
        }
    }

    public static func build(sweep: String, database: String, runs: [ReportRun], storedParametric: FitRecord?,
                             storedIsoFLOP: FitRecord?, options: ReportOptions) -> ScalingReport {
        let obs = observations(runs)
        let fittedRuns = runs.filter(\.countsForFit)

        var parametric: ParametricSummary?
        var parametricMissing: String?
        if let record = storedParametric, let decoded = decodeLaw(record) {
            parametric = ParametricSummary(law: decoded.law, source: .stored(id: record.id!), bootstrap: decoded.bootstrap,
                                           level: decoded.level, residuals: residuals(fittedRuns, decoded.law))
        } else if options.fitWhenMissing {
            do {
                var fitOptions = ParametricFitOptions()
                fitOptions.threads = max(1, options.threads)
                let result = try ParametricFit.fit(obs, options: fitOptions)
                var laws: [ChinchillaLaw] = []
                if options.bootstrapReplicates > 0 {
                    var b = BootstrapOptions()
                    b.replicates = options.bootstrapReplicates
                    b.level = options.level
                    b.threads = max(1, options.threads)
                    laws = try Bootstrap.run(fit: result, fitOptions: fitOptions, options: b).laws
                }
                parametric = ParametricSummary(law: result.law, source: .computed, bootstrap: laws,
                                               level: laws.isEmpty ? nil : options.level, residuals: residuals(fittedRuns, result.law))
            } catch {
                parametricMissing = "no parametric fit: \(error)"
            }
        } else {
            parametricMissing = "no stored parametric fit of these runs (ladder fit --sweep \(sweep))"
        }

        var isoflop: IsoFLOPSummary?
        var isoflopMissing: String?
        if let record = storedIsoFLOP, let decoded = decodeIsoFLOP(record, observations: obs) {
            isoflop = decoded
        } else if options.fitWhenMissing {
            do {
                let f = try IsoFLOP.fit(obs, skippingUnusableBudgets: true, binning: ScalingReport.binning)
                isoflop = IsoFLOPSummary(
                    budgets: f.budgets.map { BudgetCurve(label: $0.label, flops: $0.flops, runs: $0.runs, minParams: $0.minParams,
                                                         maxParams: $0.maxParams, coefficients: $0.coefficients,
                                                         optimalParams: $0.optimalParams, optimalTokens: $0.optimalTokens,
                                                         minimumLoss: $0.minimumLoss) },
                    paramsCoefficient: f.paramsCoefficient, paramsExponent: f.paramsExponent,
                    tokensCoefficient: f.tokensCoefficient, tokensExponent: f.tokensExponent, refused: f.refused, source: .computed)
            } catch {
                isoflopMissing = "no IsoFLOP fit: \(error)"
            }
        } else {
            isoflopMissing = "no stored IsoFLOP fit of these runs (ladder fit --sweep \(sweep) --method isoflop)"
        }

        let maxRunFlops = runs.map(\.flops).filter { $0 > 0 && $0.isFinite }.max() ?? 1e12
        let planFlops = (options.planFlops ?? defaultPlanFlops(above: maxRunFlops)).filter { $0 > 0 && $0.isFinite }.sorted()
        let budgetFlops = isoflop?.budgets.map(\.flops) ?? []
        let low = (budgetFlops + runs.map(\.flops)).filter { $0 > 0 && $0.isFinite }.min() ?? maxRunFlops / 10
        let high = max(planFlops.last ?? maxRunFlops, maxRunFlops)
        let counting = options.flopCounting
        let frontier = makeFrontier(flops: (low / 2)...(high * 2), count: max(2, options.frontierPoints),
                                    parametric: parametric, isoflop: isoflop, counting: counting)
        let plan = parametric.map { p in planFlops.compactMap { planRow($0, p, isoflop, counting: counting) } } ?? []
        return ScalingReport(sweep: sweep, database: database, runs: runs, parametric: parametric,
                             parametricMissing: parametricMissing, isoflop: isoflop, isoflopMissing: isoflopMissing,
                             frontier: frontier, plan: plan, flopCounting: counting)
    }

    /// The three powers of ten above `flops` (strictly).
    public static func defaultPlanFlops(above flops: Double) -> [Double] {
        let k = Foundation.log10(flops).rounded(.down) + 1
        return (0..<3).map { Foundation.pow(10, k + Double($0)) }
    }

    static func residuals(_ runs: [ReportRun], _ law: ChinchillaLaw) -> [RunResidual] {
        runs.map { r in
            RunResidual(runId: r.id, name: r.name, budget: r.budget, params: r.params, tokens: r.tokens, measured: r.loss!,
                        predicted: law.loss(params: r.params, tokens: r.tokens))
        }
    }

    /// The law and bootstrap laws of a stored parametric fit (the JSON `ladder fit` writes).
    public static func decodeLaw(_ record: FitRecord) -> (law: ChinchillaLaw, bootstrap: [ChinchillaLaw], level: Double?)? {
        guard let p = try? JSONSerialization.jsonObject(with: Data(record.parameters.utf8)) as? [String: Any],
              let E = (p["E"] as? NSNumber)?.doubleValue, let A = (p["A"] as? NSNumber)?.doubleValue,
              let B = (p["B"] as? NSNumber)?.doubleValue, let alpha = (p["alpha"] as? NSNumber)?.doubleValue,
              let beta = (p["beta"] as? NSNumber)?.doubleValue else { return nil }
        var laws: [ChinchillaLaw] = []
        var level: Double?
        if let text = record.intervals, let iv = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] {
            level = (iv["level"] as? NSNumber)?.doubleValue
            laws = (iv["laws"] as? [[Double]] ?? []).filter { $0.count == 5 }
                .map { ChinchillaLaw(E: $0[0], A: $0[1], B: $0[2], alpha: $0[3], beta: $0[4]) }
        }
        let law = ChinchillaLaw(E: E, A: A, B: B, alpha: alpha, beta: beta)
        return law.isValid ? (law, laws.filter(\.isValid), laws.isEmpty ? nil : level) : nil
    }

    /// A stored IsoFLOP fit; the sampled size range of each budget comes from its runs.
    public static func decodeIsoFLOP(_ record: FitRecord, observations: [Observation]) -> IsoFLOPSummary? {
        guard let p = try? JSONSerialization.jsonObject(with: Data(record.parameters.utf8)) as? [String: Any],
              let a = (p["a"] as? NSNumber)?.doubleValue, let b = (p["b"] as? NSNumber)?.doubleValue,
              let k = (p["params_coefficient"] as? NSNumber)?.doubleValue,
              let kd = (p["tokens_coefficient"] as? NSNumber)?.doubleValue,
              let budgets = p["budgets"] as? [[String: Any]] else { return nil }
        let groups = IsoFLOP.groups(observations, binning: ScalingReport.binning)
        var curves: [BudgetCurve] = []
        for o in budgets {
            guard let label = o["label"] as? String, let flops = (o["flops"] as? NSNumber)?.doubleValue,
                  let runs = (o["runs"] as? NSNumber)?.intValue, let n = (o["optimal_params"] as? NSNumber)?.doubleValue,
                  let d = (o["optimal_tokens"] as? NSNumber)?.doubleValue, let l = (o["minimum_loss"] as? NSNumber)?.doubleValue,
                  let c = o["coefficients"] as? [Double], c.count == 3 else { return nil }
            let sizes = groups.first { $0.label == label }?.runs.map(\.params) ?? []
            curves.append(BudgetCurve(label: label, flops: flops, runs: runs, minParams: sizes.min() ?? n / 3,
                                      maxParams: sizes.max() ?? n * 3, coefficients: c, optimalParams: n,
                                      optimalTokens: d, minimumLoss: l))
        }
        return IsoFLOPSummary(budgets: curves, paramsCoefficient: k, paramsExponent: a, tokensCoefficient: kd, tokensExponent: b,
                              refused: p["refused_budgets"] as? [String] ?? [], source: .stored(id: record.id!))
    }

    static func makeFrontier(flops range: ClosedRange<Double>, count: Int, parametric: ParametricSummary?,
                             isoflop: IsoFLOPSummary?, counting: FlopCounting = .sixND) -> Frontier {
        let lo = Foundation.log(range.lowerBound), hi = Foundation.log(range.upperBound)
        let cs = (0..<count).map { Foundation.exp(lo + (hi - lo) * Double($0) / Double(count - 1)) }
        func optimal(_ law: ChinchillaLaw, _ counting: FlopCounting = .sixND) -> ([Double], [Double]) {
            let a = cs.map { try? law.computeOptimal(flops: $0, counting: counting) }
            return (a.map { $0?.params ?? .nan }, a.map { $0?.tokens ?? .nan })
        }
        let chinchilla = optimal(.chinchilla), epoch = optimal(.epoch)
        var frontier = Frontier(flops: cs, isoflopParams: isoflop.map { f in cs.map { f.optimalParams(flops: $0) } },
                                isoflopTokens: isoflop.map { f in cs.map { f.optimalTokens(flops: $0) } },
                                lawParams: nil, lawTokens: nil, paramsBand: nil, tokensBand: nil,
                                chinchillaParams: chinchilla.0, chinchillaTokens: chinchilla.1,
                                epochParams: epoch.0, epochTokens: epoch.1)
        if let p = parametric {
            let law = optimal(p.law, counting)
            frontier.lawParams = law.0
            frontier.lawTokens = law.1
            if !p.bootstrap.isEmpty, let level = p.level {
                let boot = Bootstrap(laws: p.bootstrap, level: level)
                let n = cs.map { c in boot.interval { try $0.computeOptimal(flops: c, counting: counting).params } }
                let d = cs.map { c in boot.interval { try $0.computeOptimal(flops: c, counting: counting).tokens } }
                if n.allSatisfy({ $0 != nil }) && d.allSatisfy({ $0 != nil }) {
                    frontier.paramsBand = (n.map { $0!.lower }, n.map { $0!.upper })
                    frontier.tokensBand = (d.map { $0!.lower }, d.map { $0!.upper })
                }
            }
        }
        return frontier
    }

    static func planRow(_ c: Double, _ p: ParametricSummary, _ isoflop: IsoFLOPSummary?,
                        counting: FlopCounting = .sixND) -> PlanRow? {
        guard let a = try? p.law.computeOptimal(flops: c, counting: counting),
              let ch = try? ChinchillaLaw.chinchilla.computeOptimal(flops: c),
              let ep = try? ChinchillaLaw.epoch.computeOptimal(flops: c) else { return nil }
        var row = PlanRow(flops: c, params: a.params, tokens: a.tokens, loss: a.loss, paramsInterval: nil, tokensInterval: nil,
                          lossInterval: nil, isoflopParams: isoflop?.optimalParams(flops: c),
                          chinchillaParams: ch.params, epochParams: ep.params)
        if !p.bootstrap.isEmpty, let level = p.level {
            let boot = Bootstrap(laws: p.bootstrap, level: level)
            row.paramsInterval = boot.interval { try $0.computeOptimal(flops: c, counting: counting).params }.map { $0.lower...$0.upper }
            row.tokensInterval = boot.interval { try $0.computeOptimal(flops: c, counting: counting).tokens }.map { $0.lower...$0.upper }
            row.lossInterval = boot.interval { try $0.computeOptimal(flops: c, counting: counting).loss }.map { $0.lower...$0.upper }
        }
        return row
    }
}
