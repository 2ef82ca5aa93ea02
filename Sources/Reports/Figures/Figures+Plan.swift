import Foundation

extension Figures {
    /// The plan table's columns: header and one cell per row.
    static func planColumns(_ report: ScalingReport) -> [(String, (PlanRow) -> String)] {
        let level = report.parametric?.level.map { "\(Int(($0 * 100).rounded()))% " } ?? ""
        return [
            ("C (FLOPs)", { NumberText.scientific($0.flops) }),
            ("N_opt", { NumberText.si($0.params) }),
            ("N \(level)interval", { NumberText.siInterval($0.paramsInterval) }),
            ("D_opt", { NumberText.si($0.tokens) }),
            ("D \(level)interval", { NumberText.siInterval($0.tokensInterval) }),
            ("D/N", { String(format: "%.1f", $0.tokensPerParam) }),
            ("loss", { NumberText.fixed($0.loss, 4) }),
            ("loss \(level)interval", { NumberText.fixedInterval($0.lossInterval, 3) }),
            ("IsoFLOP N_opt", { $0.isoflopParams.map(NumberText.si) ?? "-" }),
            ("Chinchilla N_opt", { NumberText.si($0.chinchillaParams) }),
            ("Epoch N_opt", { NumberText.si($0.epochParams) }),
        ]
    }

    /// Figure 5: the compute-optimal plan for larger budgets as a table.
    static func plan(_ report: ScalingReport) -> String {
        let columns = planColumns(report)
        let rowHeight = 28.0, top = 64.0
        let height = top + rowHeight * Double(max(1, report.plan.count) + 1) + 40
        var w = SVGWriter(width: width, height: height)
        w.text("Compute-optimal plan for larger budgets (\(report.flopCountingLabel))", x: 16, y: 26, size: 15, weight: "bold")
        let subtitle = report.parametric.map { "parametric law, \($0.source.text); intervals from \($0.bootstrap.count) bootstrap laws" }
            ?? (report.parametricMissing ?? "no parametric fit")
        w.text(subtitle, x: 16, y: 46, size: 12, fill: "#555")
        let widths = columns.map { col in max(Panel.textWidth(col.0, size: 12), report.plan.map { Panel.textWidth(col.1($0), size: 12) }.max() ?? 0) + 16 }
        let scale = min(1, (width - 32) / widths.reduce(0, +))
        var xs: [Double] = []
        var x = 16.0
        for wd in widths { xs.append(x); x += wd * scale }
        let n = SVGWriter.number
        w.element("rect", [("x", "16"), ("y", n(top)), ("width", n(x - 16)), ("height", n(rowHeight)), ("fill", "#eef2f7")])
        for (i, col) in columns.enumerated() {
            w.text(col.0, x: xs[i] + 6, y: top + 19, size: 12, weight: "bold", extra: [("class", "plan-header")])
        }
        if report.plan.isEmpty {
            w.text("no plan: the report needs a parametric law", x: 22, y: top + rowHeight + 19, size: 12, fill: "#a33", extra: [("class", "note")])
        }
        for (r, row) in report.plan.enumerated() {
            let y = top + rowHeight * Double(r + 1)
            w.group([("class", "plan-row"), ("data-flops", SVGWriter.exact(row.flops)), ("data-params", SVGWriter.exact(row.params)),
                     ("data-tokens", SVGWriter.exact(row.tokens)), ("data-loss", SVGWriter.exact(row.loss))])
            if r % 2 == 1 {
                w.element("rect", [("x", "16"), ("y", n(y)), ("width", n(x - 16)), ("height", n(rowHeight)), ("fill", "#f7f7f7")])
            }
            for (i, col) in columns.enumerated() {
                w.text(col.1(row), x: xs[i] + 6, y: y + 19, size: 12, extra: [("class", "plan-cell")])
            }
            w.close()
        }
        let bottom = top + rowHeight * Double(max(1, report.plan.count) + 1)
        w.element("line", [("x1", "16"), ("y1", n(bottom)), ("x2", n(x)), ("y2", n(bottom)), ("stroke", "#999")])
        w.text("IsoFLOP N_opt: the IsoFLOP power law; Chinchilla and Epoch: the published laws at the same budget.", x: 16,
               y: bottom + 24, size: 11, fill: "#555")
        return w.document(title: "Plan for larger budgets — \(report.sweep)",
                          description: "Compute-optimal N, D and loss for larger budgets under the fitted law, with bootstrap intervals.",
                          id: "svg-plan")
    }
}
