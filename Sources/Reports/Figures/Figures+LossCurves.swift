import Foundation

extension Figures {
    /// Figure 3: validation loss against tokens seen for every run with logged evaluations,
    /// coloured by model size (viridis over ln N); validation runs dashed.
    static func lossCurves(_ report: ScalingReport) -> String {
        var w = SVGWriter(width: width, height: 560)
        let runs = report.runs.filter { r in r.curve.contains { $0.tokens > 0 } }
        let sizes = runs.map { Foundation.log($0.params) }
        let lo = sizes.min() ?? 0, hi = sizes.max() ?? 1
        func color(_ n: Double) -> String { Palette.sequential(hi > lo ? (Foundation.log(n) - lo) / (hi - lo) : 0.5) }
        let points = runs.flatMap(\.curve).filter { $0.tokens > 0 }
        var p = Panel(x: 0, y: 0, width: width, height: 560, title: "Loss curves: validation loss against tokens, coloured by model size",
                      xLabel: "tokens seen D (log scale)", yLabel: "validation loss (nats/token)", xKind: .log, yKind: .linear,
                      xValues: points.map(\.tokens), yValues: points.map(\.loss), xFormat: .si, yFormat: .plain)
        // Largest models last, so the smallest (usually highest) curves do not hide them.
        for r in runs.sorted(by: { $0.params < $1.params }) {
            let pts = r.curve.filter { $0.tokens > 0 }
            let c = color(r.params)
            p.line(pts.map { ($0.tokens, $0.loss) }, style: LineStyle(color: c, width: 1.8, dash: r.role == .validation ? "6 3" : nil),
                   kind: "loss-curve", data: runData(r) + [("data-points", String(pts.count))], title: runTitle(r))
            p.markers(pts.map { MarkerPoint(x: $0.tokens, y: $0.loss, title: "\(r.name): \(NumberText.fixed($0.loss, 4)) at D = \(NumberText.si($0.tokens))",
                                            data: [("data-run-id", String(r.id)), ("data-tokens", SVGWriter.exact($0.tokens)),
                                                   ("data-loss", SVGWriter.exact($0.loss))]) },
                      shape: .circle, color: c, size: 2.6, kind: "eval")
        }
        // Legend: a few sizes across the range.
        let distinct = Array(Set(runs.map(\.params))).sorted()
        let shown = distinct.count <= 6 ? distinct : (0..<6).map { distinct[Int((Double($0) * Double(distinct.count - 1) / 5).rounded())] }
        for n in shown { p.addLegend(LegendEntry("N = " + NumberText.si(n), .line(LineStyle(color: color(n), width: 2.5)))) }
        if runs.contains(where: { $0.role == .validation }) {
            p.addLegend(LegendEntry("validation run", .line(LineStyle(color: Palette.reference, width: 1.8, dash: "6 3"))))
        }
        let without = report.runs.count - runs.count
        if runs.isEmpty { p.note("no run logged validation losses") }
        else if without > 0 { p.note("\(without) run(s) without logged evaluations are not shown") }
        p.render(into: &w, id: "fig-loss-curves")
        return w.document(title: "Loss curves — \(report.sweep)",
                          description: "Validation loss against tokens seen for every run, coloured by model size.",
                          id: "svg-loss-curves")
    }
}
