import Foundation

extension Figures {
    /// Figure 4: the parametric fit's log residuals against N (left), and predicted against
    /// measured loss (right): validation runs with the prediction recorded before they trained,
    /// fit runs in grey.
    static func residuals(_ report: ScalingReport) -> String {
        let height = 520.0
        var w = SVGWriter(width: width, height: height)
        let res = report.parametric?.residuals ?? []
        var left = Panel(x: 0, y: 0, width: width / 2, height: height, title: "Parametric fit residuals",
                         xLabel: "non-embedding parameters N (log scale)", yLabel: "log residual ln(predicted) − ln(measured)",
                         xKind: .log, yKind: .linear, xValues: res.map(\.params), yValues: res.map(\.logResidual) + [0],
                         xFormat: .si, yFormat: .plain)
        left.legendPlacement = .bottomRight
        if let p = report.parametric {
            let ns = res.map(\.params)
            left.line([(ns.min().map { $0 / 2 } ?? 1, 0), (ns.max().map { $0 * 2 } ?? 10, 0)],
                      style: LineStyle(color: Palette.reference, width: 1, dash: "4 3"), kind: "zero")
            // Many budgets: a legend inside the panel would cover residuals; the colours are the
            // IsoFLOP figure's, said in a note.
            let groups = report.budgetGroups
            let legend = groups.count <= 6
            for g in groups {
                let members = res.filter { r in g.runs.contains { $0.id == r.runId } }
                left.markers(members.map { r in
                    MarkerPoint(x: r.params, y: r.logResidual,
                                title: "\(r.name): measured \(NumberText.fixed(r.measured, 4)), predicted \(NumberText.fixed(r.predicted, 4))",
                                data: [("data-run-id", String(r.runId)), ("data-params", SVGWriter.exact(r.params)),
                                       ("data-loss", SVGWriter.exact(r.measured)), ("data-predicted", SVGWriter.exact(r.predicted))])
                }, shape: .circle, color: report.budgetColor(g.label), kind: "residual", legend: legend ? g.label : nil)
            }
            left.note(String(format: "%@; RMSE of log residuals %.4f over %d runs", p.source.text, p.rmseLog, res.count))
            if !legend { left.note("colours: the \(groups.count) budgets as in the IsoFLOP figure") }
        } else {
            left.note(report.parametricMissing ?? "no parametric fit")
        }
        left.render(into: &w, id: "fig-residuals")

        let validation = report.validationRuns.filter { $0.status == .done && $0.loss != nil }
        let law = report.parametric?.law
        let predictedValidation = validation.compactMap { r -> (ReportRun, Double, Bool)? in
            if let p = r.predictedLoss { return (r, p, true) }
            return law.map { (r, $0.loss(params: r.params, tokens: r.tokens), false) }
        }
        let all = res.flatMap { [$0.measured, $0.predicted] } + predictedValidation.flatMap { [$0.0.loss!, $0.1] }
        var right = Panel(x: width / 2, y: 0, width: width / 2, height: height, title: "Predicted against measured loss",
                          xLabel: "predicted loss (nats/token)", yLabel: "measured loss (nats/token)",
                          xKind: .linear, yKind: .linear, xValues: all, yValues: all, xFormat: .plain, yFormat: .plain)
        // Low losses (the largest runs, validation runs) sit bottom left; the top left stays empty.
        right.legendPlacement = .topLeft
        if let lo = all.min(), let hi = all.max() {
            let pad = (hi - lo) + 1
            right.line([(lo - pad, lo - pad), (hi + pad, hi + pad)], style: LineStyle(color: Palette.reference, width: 1, dash: "4 3"),
                       kind: "diagonal", legend: "measured = predicted")
        }
        if !res.isEmpty {
            right.markers(res.map { r in
                MarkerPoint(x: r.predicted, y: r.measured, title: "\(r.name) (fit run): measured \(NumberText.fixed(r.measured, 4)), law \(NumberText.fixed(r.predicted, 4))",
                            data: [("data-run-id", String(r.runId)), ("data-loss", SVGWriter.exact(r.measured)),
                                   ("data-predicted", SVGWriter.exact(r.predicted))])
            }, shape: .circle, color: "#b0b0b0", size: 3.5, kind: "fit-run", legend: "fit runs (under the law)")
        }
        if !predictedValidation.isEmpty {
            right.markers(predictedValidation.map { r, predicted, recorded in
                MarkerPoint(x: predicted, y: r.loss!,
                            title: "\(r.name): predicted \(NumberText.fixed(predicted, 4))\(recorded ? " (recorded before training)" : " (current law)"), measured \(NumberText.fixed(r.loss!, 4)), error \(NumberText.percent((r.loss! - predicted) / predicted))",
                            data: runData(r) + [("data-predicted", SVGWriter.exact(predicted)), ("data-recorded", recorded ? "true" : "false")])
            }, shape: .triangle, color: Palette.category(3), size: 6, kind: "validation", legend: "validation runs")
            for (r, predicted, _) in predictedValidation {
                right.label(NumberText.percent((r.loss! - predicted) / predicted), at: (predicted, r.loss!), dx: 9, dy: -8,
                            color: Palette.category(3))
            }
        } else {
            right.note(validation.isEmpty ? "no finished validation runs" : "validation runs have no prediction")
        }
        right.render(into: &w, id: "fig-validation")
        return w.document(title: "Residuals and validation — \(report.sweep)",
                          description: "Log residuals of the parametric fit against model size, and predicted against measured loss for validation runs.",
                          id: "svg-residuals")
    }
}
