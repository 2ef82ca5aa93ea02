import Foundation

extension Figures {
    /// Figure 1: loss against N (log axis) for each budget's runs, the fitted parabolas and their
    /// minima, and the validation runs.
    static func isoflop(_ report: ScalingReport) -> String {
        let groups = report.budgetGroups
        let curves = report.isoflop?.budgets ?? []
        let footnotes = isoflopFootnotes(report, groups: groups.map { ($0.label, $0.runs) }, curves: curves)
        let height = 560.0
        var w = SVGWriter(width: width, height: height + Double(footnotes.count) * Panel.footnoteLine + 8)
        let validation = report.validationRuns.filter { $0.status == .done && $0.loss != nil }
        let runs = groups.flatMap(\.runs) + validation
        let xs = runs.map(\.params) + curves.map(\.optimalParams)
        let ys = runs.compactMap(\.loss) + curves.map(\.minimumLoss)
        // The legend gets its own column right of the plot, so it never covers data.
        var p = Panel(x: 0, y: 0, width: width, height: height, title: "IsoFLOP curves: final loss against model size per compute budget",
                      xLabel: "non-embedding parameters N (log scale)", yLabel: "final validation loss (nats/token)",
                      xKind: .log, yKind: .linear, xValues: xs, yValues: ys, xFormat: .si, yFormat: .plain, legendColumn: 200)
        for (i, g) in groups.enumerated() {
            let color = Palette.ordered(i, of: groups.count)
            if let c = curves.first(where: { $0.label == g.label }) {
                let ns = logSpace(c.minParams / 1.25, c.maxParams * 1.25, 80)
                p.line(ns.map { ($0, c.loss(params: $0)) }, style: LineStyle(color: color, width: 2), kind: "parabola",
                       data: [("data-budget", c.label), ("data-flops", SVGWriter.exact(c.flops))],
                       title: "\(c.label): parabola in ln N, minimum at N = \(NumberText.si(c.optimalParams))")
            }
            p.markers(g.runs.map { MarkerPoint(x: $0.params, y: $0.loss!, title: runTitle($0), data: runData($0)) },
                      shape: .circle, color: color, kind: "run", legend: g.label.hasSuffix("FLOPs") ? g.label : "\(g.label) (C ≈ \(TickFormat.powerOfTen(roundedFlops(g.flops))))")
        }
        for (i, g) in groups.enumerated() {
            guard let c = curves.first(where: { $0.label == g.label }) else { continue }
            p.markers([MarkerPoint(x: c.optimalParams, y: c.minimumLoss,
                                   title: "\(c.label) minimum: N_opt = \(NumberText.si(c.optimalParams)), D_opt = \(NumberText.si(c.optimalTokens)), loss = \(NumberText.fixed(c.minimumLoss, 4))",
                                   data: [("data-budget", c.label), ("data-params", SVGWriter.exact(c.optimalParams)),
                                          ("data-loss", SVGWriter.exact(c.minimumLoss))])],
                      shape: .diamond, color: Palette.ordered(i, of: groups.count), size: 6, kind: "vertex", filled: false)
            // Beyond 6 budgets the labels would pile up; the minima keep their tooltips.
            if curves.count <= 6 { p.label("N_opt " + NumberText.si(c.optimalParams), at: (c.optimalParams, c.minimumLoss), dx: 0, dy: 20,
                    anchor: .middle, color: Palette.ordered(i, of: groups.count)) }
        }
        if !curves.isEmpty { p.addLegend(LegendEntry("parabola minimum", .marker(.diamond, Palette.reference))) }
        if !validation.isEmpty {
            p.markers(validation.map { MarkerPoint(x: $0.params, y: $0.loss!, title: runTitle($0), data: runData($0)) },
                      shape: .triangle, color: "#000000", size: 5.5, kind: "validation", legend: "validation run")
        }
        for line in footnotes { p.footnote(line) }
        p.legendPlacement = .outside
        p.render(into: &w, id: "fig-isoflop")
        return w.document(title: "IsoFLOP curves — \(report.sweep)",
                          description: "Final loss against parameters for each compute budget, with fitted parabolas in ln N and their minima.",
                          id: "svg-isoflop")
    }

    /// What goes under the figure: how unlabelled runs were grouped, why there is no fit, and a
    /// summary of the budgets left out of it (each one's reason is in the text report).
    static func isoflopFootnotes(_ report: ScalingReport, groups: [(label: String, runs: [ReportRun])],
                                 curves: [BudgetCurve]) -> [String] {
        var out: [String] = []
        if report.hasBinnedRuns {
            out.append(String(format: "Runs without a sweep budget are grouped into IsoFLOP budgets by log10 C, in bins %.3g decades wide (%d budgets).",
                              ScalingReport.binning.widthDecades, groups.count))
        }
        if let missing = report.isoflopMissing { out.append(missing) }
        let left = groups.filter { g in !curves.contains { $0.label == g.label } }
        if report.isoflop != nil && !left.isEmpty {
            let few = left.filter { Set($0.runs.map(\.params)).count < 3 }.count
            var parts: [String] = []
            if few > 0 { parts.append("\(few) with fewer than 3 model sizes") }
            if left.count - few > 0 { parts.append("\(left.count - few) without a loss minimum inside their sizes") }
            out.append("Left out of the IsoFLOP fit: \(left.count) of \(groups.count) budgets (\(parts.joined(separator: ", "))); their runs are drawn, without a parabola.")
        }
        return out
    }

    /// A budget rounded to 2 significant digits for legends (the geometric mean of its runs' FLOPs).
    static func roundedFlops(_ c: Double) -> Double {
        let p = Foundation.pow(10, Foundation.log10(c).rounded(.down))
        return (c / p * 10).rounded() / 10 * p
    }
}
