import Foundation
import ScalingLaws

/// The figures as text tables for the terminal (`ladder report --text`).
public enum TextReport {
    public static func render(_ r: ScalingReport) -> String {
        var out = "report of sweep '\(r.sweep)': \(HTMLPage.summaryLine(r))\n"
        if let p = r.parametric {
            out += String(format: "parametric law (%@): L(N, D) = %.4g + %.4g / N^%.4f + %.4g / D^%.4f; RMSE of log residuals %.4f\n",
                          p.source.text, p.law.E, p.law.A, p.law.alpha, p.law.B, p.law.beta, p.rmseLog)
            if let q = p.quality, q.isPoorlyDetermined {
                out += "fit quality: POORLY DETERMINED\n" + q.flags.map { "  - \($0)\n" }.joined()
            }
        } else if let m = r.parametricMissing { out += m + "\n" }
        if let m = r.isoflopMissing { out += m + "\n" }
        out += "\n" + isoflop(r) + "\n" + frontier(r) + "\n" + lossCurves(r) + "\n" + residuals(r) + "\n" + plan(r)
        return out
    }

    static func isoflop(_ r: ScalingReport) -> String {
        var out = "1. IsoFLOP curves (final loss against N per budget)\n"
        let curves = r.isoflop?.budgets ?? []
        for g in r.budgetGroups {
            let c = curves.first { $0.label == g.label }
            out += "budget \(g.label) (C ≈ \(NumberText.scientific(g.flops))): \(g.runs.count) runs"
            if let c {
                out += ", minimum at N = \(NumberText.si(c.optimalParams)), D = \(NumberText.si(c.optimalTokens)), loss \(NumberText.fixed(c.minimumLoss, 4))"
            } else if r.isoflop != nil {
                out += ", no parabola minimum (left out of the fit)"
            }
            out += "\n"
            out += NumberText.table(header: ["run", "N", "D", "loss", "parabola"],
                                    rows: g.runs.sorted { $0.params < $1.params }.map { run in
                                        [run.name, NumberText.si(run.params), NumberText.si(run.tokens), NumberText.fixed(run.loss!, 4),
                                         c.map { NumberText.fixed($0.loss(params: run.params), 4) } ?? "-"]
                                    })
        }
        if let iso = r.isoflop {
            out += String(format: "IsoFLOP power laws (%@): N_opt = %.4g C^%.4f, D_opt = %.4g C^%.4f\n", iso.source.text,
                          iso.paramsCoefficient, iso.paramsExponent, iso.tokensCoefficient, iso.tokensExponent)
            for reason in iso.refused { out += "left out: \(reason)\n" }
        }
        return out
    }

    /// Budgets the frontier table shows: the IsoFLOP budgets and the plan's.
    static func frontierBudgets(_ r: ScalingReport) -> [Double] {
        let budgets = (r.isoflop?.budgets.map(\.flops) ?? r.budgetGroups.map(\.flops)) + r.plan.map(\.flops)
        return Array(Set(budgets)).sorted()
    }

    static func frontier(_ r: ScalingReport) -> String {
        var out = "2. Compute-optimal frontier (N_opt and D_opt against C)\n"
        let level = r.parametric?.level.map { "\(Int(($0 * 100).rounded()))%" } ?? ""
        let boot = r.parametric.flatMap { p in p.level.map { Bootstrap(laws: p.bootstrap, level: $0) } }
        let rows: [[String]] = frontierBudgets(r).map { c in
            let law = r.parametric.flatMap { try? $0.law.computeOptimal(flops: c) }
            let n = boot.flatMap { b in b.laws.isEmpty ? nil : b.interval { try $0.computeOptimal(flops: c).params } }
            let d = boot.flatMap { b in b.laws.isEmpty ? nil : b.interval { try $0.computeOptimal(flops: c).tokens } }
            let minimum = r.isoflop?.budgets.first { $0.flops == c }
            let ch = try? ChinchillaLaw.chinchilla.computeOptimal(flops: c)
            let ep = try? ChinchillaLaw.epoch.computeOptimal(flops: c)
            return [NumberText.scientific(c),
                    minimum.map { NumberText.si($0.optimalParams) } ?? "-",
                    r.isoflop.map { NumberText.si($0.optimalParams(flops: c)) } ?? "-",
                    law.map { NumberText.si($0.params) } ?? "-",
                    n.map { NumberText.siInterval($0.lower...$0.upper) } ?? "-",
                    minimum.map { NumberText.si($0.optimalTokens) } ?? "-",
                    law.map { NumberText.si($0.tokens) } ?? "-",
                    d.map { NumberText.siInterval($0.lower...$0.upper) } ?? "-",
                    ch.map { NumberText.si($0.params) } ?? "-", ep.map { NumberText.si($0.params) } ?? "-"]
        }
        out += NumberText.table(header: ["C", "IsoFLOP min N", "IsoFLOP law N", "law N_opt", "\(level) band", "IsoFLOP min D",
                                         "law D_opt", "\(level) band", "Chinchilla N", "Epoch N"], rows: rows)
        return out
    }

    static func lossCurves(_ r: ScalingReport) -> String {
        var out = "3. Loss curves (validation loss at evaluations; first, middle, last)\n"
        let runs = r.runs.filter { !$0.curve.isEmpty }.sorted { $0.params < $1.params }
        guard !runs.isEmpty else { return out + "no run logged validation losses\n" }
        out += NumberText.table(header: ["run", "role", "N", "evals", "first (D)", "middle (D)", "last (D)"], rows: runs.map { run in
            let c = run.curve
            func cell(_ p: CurvePoint) -> String { "\(NumberText.fixed(p.loss, 4)) (\(NumberText.si(p.tokens)))" }
            return [run.name, run.role.rawValue, NumberText.si(run.params), String(c.count), cell(c[0]), cell(c[c.count / 2]), cell(c[c.count - 1])]
        })
        return out
    }

    static func residuals(_ r: ScalingReport) -> String {
        var out = "4. Residuals of the parametric fit, and validation runs\n"
        if let p = r.parametric {
            out += NumberText.table(header: ["run", "budget", "N", "D", "measured", "predicted", "log residual"],
                                    rows: p.residuals.map { [$0.name, $0.budget ?? "-", NumberText.si($0.params), NumberText.si($0.tokens),
                                                             NumberText.fixed($0.measured, 4), NumberText.fixed($0.predicted, 4),
                                                             NumberText.signed($0.logResidual)] })
            out += String(format: "RMSE of log residuals: %.4f\n", p.rmseLog)
        } else {
            out += (r.parametricMissing ?? "no parametric fit") + "\n"
        }
        let validation = r.validationRuns
        if validation.isEmpty {
            out += "no validation runs\n"
        } else {
            out += "validation (prediction recorded before each run trained):\n"
            out += NumberText.table(header: ["run", "C", "N", "D", "predicted", "measured", "error"], rows: validation.map { v in
                let measured = v.status == .done ? v.loss : nil
                let err = v.predictedLoss.flatMap { p in measured.map { ($0 - p) / p } }
                return [v.name, NumberText.scientific(v.flops), NumberText.si(v.params), NumberText.si(v.tokens),
                        v.predictedLoss.map { NumberText.fixed($0, 4) } ?? "-", measured.map { NumberText.fixed($0, 4) } ?? v.status.rawValue,
                        err.map(NumberText.percent) ?? "-"]
            })
        }
        return out
    }

    static func plan(_ r: ScalingReport) -> String {
        var out = "5. Plan for larger budgets (\(r.flopCountingLabel))\n"
        guard !r.plan.isEmpty else { return out + "no plan: the report needs a parametric law\n" }
        let columns = Figures.planColumns(r)
        out += NumberText.table(header: columns.map(\.0), rows: r.plan.map { row in columns.map { $0.1(row) } })
        return out
    }
}
