import Foundation

extension Figures {
    /// Figure 2: N_opt and D_opt against compute (log-log): IsoFLOP minima and power law, the
    /// parametric law with its bootstrap band, the plan's budgets, and the published laws.
    static func frontier(_ report: ScalingReport) -> String {
        let height = 520.0
        var w = SVGWriter(width: width, height: height)
        let f = report.frontier
        let curves = report.isoflop?.budgets ?? []
        for quantity in ["params", "tokens"] {
            let isParams = quantity == "params"
            let law = isParams ? f.lawParams : f.lawTokens
            let band = isParams ? f.paramsBand : f.tokensBand
            let iso = isParams ? f.isoflopParams : f.isoflopTokens
            let chinchilla = isParams ? f.chinchillaParams : f.chinchillaTokens
            let epoch = isParams ? f.epochParams : f.epochTokens
            let minima = curves.map { ($0.flops, isParams ? $0.optimalParams : $0.optimalTokens, $0.label) }
            let planned = report.plan.map { ($0.flops, isParams ? $0.params : $0.tokens) }
            let ys = (law ?? []) + (iso ?? []) + chinchilla + epoch + minima.map(\.1) + (band.map { $0.lower + $0.upper } ?? [])
            var p = Panel(x: isParams ? 0 : width / 2, y: 0, width: width / 2, height: height,
                          title: isParams ? "Compute-optimal model size N_opt" : "Compute-optimal tokens D_opt",
                          xLabel: "training compute C (FLOPs)", yLabel: isParams ? "N_opt (parameters)" : "D_opt (tokens)",
                          xKind: .log, yKind: .log, xValues: f.flops, yValues: ys, xFormat: .powerOfTen, yFormat: .si)
            p.legendPlacement = .topLeft
            let name = report.parametric.map { "parametric law (\($0.source.text))" } ?? ""
            if let band, let level = report.parametric?.level {
                p.band(x: f.flops, lower: band.lower, upper: band.upper, color: Palette.category(0), kind: "bootstrap-band",
                       legend: "\(Int((level * 100).rounded()))% bootstrap band")
            }
            if let law {
                p.line(zip(f.flops, law).map { ($0, $1) }, style: LineStyle(color: Palette.category(0), width: 2.5),
                       kind: "law", legend: name)
            }
            if let iso, let s = report.isoflop {
                let exponent = isParams ? s.paramsExponent : s.tokensExponent
                p.line(zip(f.flops, iso).map { ($0, $1) }, style: LineStyle(color: Palette.category(3), width: 2, dash: "8 4"),
                       kind: "isoflop-law", legend: String(format: "IsoFLOP power law ∝ C^%.3f", exponent))
            }
            p.line(zip(f.flops, chinchilla).map { ($0, $1) }, style: LineStyle(color: Palette.reference, width: 1.5, dash: "3 3"),
                   kind: "reference chinchilla", legend: "Chinchilla (Hoffmann et al. 2022)")
            p.line(zip(f.flops, epoch).map { ($0, $1) }, style: LineStyle(color: "#999999", width: 1.5, dash: "10 3 2 3"),
                   kind: "reference epoch", legend: "Epoch (Besiroglu et al. 2024)")
            if !minima.isEmpty {
                p.markers(minima.map { MarkerPoint(x: $0.0, y: $0.1, title: "\($0.2): \(NumberText.si($0.1)) at C = \(NumberText.scientific($0.0))",
                                                   data: [("data-budget", $0.2), ("data-flops", SVGWriter.exact($0.0)),
                                                          ("data-\(quantity)", SVGWriter.exact($0.1))]) },
                          shape: .diamond, color: Palette.category(3), size: 5.5, kind: "isoflop-minimum", legend: "IsoFLOP minima")
            }
            if !planned.isEmpty {
                p.markers(planned.map { MarkerPoint(x: $0.0, y: $0.1, title: "plan: \(NumberText.si($0.1)) at C = \(NumberText.scientific($0.0))",
                                                    data: [("data-flops", SVGWriter.exact($0.0)), ("data-\(quantity)", SVGWriter.exact($0.1))]) },
                          shape: .square, color: Palette.category(0), size: 4.5, kind: "plan", filled: false, legend: "plan budgets")
            }
            if isParams {
                if let m = report.parametricMissing { p.note(m) }
                if let m = report.isoflopMissing { p.note(m) }
            }
            p.render(into: &w, id: "fig-frontier-\(quantity)")
        }
        return w.document(title: "Compute-optimal frontier — \(report.sweep)",
                          description: "N_opt and D_opt against training compute: IsoFLOP minima and power law, the parametric law with bootstrap band, and the Chinchilla and Epoch laws.",
                          id: "svg-frontier")
    }
}
