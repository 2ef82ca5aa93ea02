import Foundation
import ScalingLaws

/// The report as one self-contained HTML page: inline CSS and SVG, no scripts, nothing fetched.
/// The markup is also well-formed XML (every element closed, only XML's own entities), so tools
/// and tests can parse it with an XML parser.
public enum HTMLPage {
    public static func render(_ report: ScalingReport) -> String {
        var h = """
        <!DOCTYPE html>
        <html lang="en" xmlns="http://www.w3.org/1999/xhtml">
        <head>
        <meta charset="utf-8"/>
        \(ReportWriter.mark)
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title>\(e("Ladder report: " + report.sweep))</title>
        <style>\(css)</style>
        </head>
        <body>
        <header>
        <h1>Scaling-law report: <span class="sweep">\(e(report.sweep))</span></h1>
        <p class="meta">\(e(summaryLine(report)))</p>
        </header>

        """
        h += summarySection(report)
        for figure in Figure.allCases {
            h += "<section id=\"\(figure.rawValue)\">\n<h2>\(Figure.allCases.firstIndex(of: figure)! + 1). \(e(figure.title))</h2>\n"
            h += "<p class=\"caption\">\(e(caption(figure, report)))</p>\n"
            // The plan is a table: the page shows it as HTML (copyable); plan.svg holds the same.
            if figure != .plan { h += "<figure>\n" + Figures.svg(figure, report) + "</figure>\n" }
            h += tables(figure, report)
            h += "</section>\n\n"
        }
        h += runsSection(report)
        h += "<footer>Made by <code>ladder report</code> from \(e(report.database)). The figures are also saved as separate SVG files beside this page.</footer>\n"
        h += "</body>\n</html>\n"
        return h
    }

    static func e(_ s: String) -> String { SVGWriter.escape(s) }

    static let css = """
    body{font-family:"DejaVu Sans","Liberation Sans",Helvetica,Arial,sans-serif;color:#222;background:#fff;margin:0 auto;max-width:1080px;padding:16px 24px 40px;line-height:1.4}
    h1{font-size:24px;margin:8px 0 4px}h2{font-size:19px;margin:32px 0 6px;border-bottom:1px solid #ddd;padding-bottom:4px}
    .meta,.caption{color:#555;font-size:14px;margin:4px 0 10px}
    figure{margin:8px 0}svg{max-width:100%;height:auto;display:block}
    table{border-collapse:collapse;font-size:13px;margin:10px 0 4px}th,td{padding:3px 10px;text-align:right;border-bottom:1px solid #e5e5e5}
    th{background:#eef2f7;font-weight:bold}td.text,th.text{text-align:left}tr.validation td{background:#fff8ec}
    .law{font-family:"DejaVu Sans Mono",monospace;font-size:14px;background:#f5f5f5;padding:6px 10px;display:inline-block}
    .warn{color:#a33}footer{margin-top:40px;color:#777;font-size:12px}code{font-family:"DejaVu Sans Mono",monospace}
    """

    static func summaryLine(_ r: ScalingReport) -> String {
        var counts: [String: Int] = [:]
        for run in r.runs { counts[run.status.rawValue, default: 0] += 1 }
        let status = counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        return "\(r.runs.count) runs (\(status)); \(r.fittedRuns.count) finished fit runs, \(r.validationRuns.count) validation runs; database \(r.database)"
    }

    static func summarySection(_ r: ScalingReport) -> String {
        var h = "<section id=\"summary\">\n<h2>Fits</h2>\n"
        if let p = r.parametric {
            let law = p.law
            h += "<p>Parametric law (Chinchilla Approach 3, \(e(p.source.text))):</p>\n"
            h += "<p class=\"law\" id=\"law\" data-E=\"\(law.E)\" data-A=\"\(law.A)\" data-B=\"\(law.B)\" data-alpha=\"\(law.alpha)\" data-beta=\"\(law.beta)\">"
            h += e(String(format: "L(N, D) = %.4g + %.4g / N^%.4f + %.4g / D^%.4f", law.E, law.A, law.alpha, law.B, law.beta)) + "</p>\n"
            var rows: [[String]] = [["a = β/(α+β) (N_opt ∝ C^a)", String(format: "%.4f", law.paramsExponent), fmt(p.interval { $0.paramsExponent })],
                                    ["b = α/(α+β) (D_opt ∝ C^b)", String(format: "%.4f", law.tokensExponent), fmt(p.interval { $0.tokensExponent })],
                                    ["E (irreducible loss)", String(format: "%.4g", law.E), fmt(p.interval { $0.E })],
                                    ["RMSE of log residuals", String(format: "%.4f", p.rmseLog), "-"]]
            if let iso = r.isoflop {
                rows.append(["IsoFLOP a (\(iso.source.text))", String(format: "%.4f", iso.paramsExponent), "-"])
                rows.append(["IsoFLOP b", String(format: "%.4f", iso.tokensExponent), "-"])
            }
            rows.append(["Chinchilla a (Hoffmann et al. 2022)", String(format: "%.4f", ChinchillaLaw.chinchilla.paramsExponent), "-"])
            rows.append(["Epoch a (Besiroglu et al. 2024)", String(format: "%.4f", ChinchillaLaw.epoch.paramsExponent), "-"])
            let level = p.level.map { "\(Int(($0 * 100).rounded()))% interval" } ?? "interval"
            h += table(id: "table-fit", header: ["quantity", "value", level], rows: rows.map { ($0, []) }, textColumns: [0])
            if let q = p.quality, q.isPoorlyDetermined {
                h += "<p class=\"warn\" id=\"fit-quality\">Poorly determined fit: " + q.flags.map { e($0.description) }.joined(separator: "; ") + "</p>\n"
            }
        } else if let m = r.parametricMissing {
            h += "<p class=\"warn\">\(e(m))</p>\n"
        }
        if let m = r.isoflopMissing { h += "<p class=\"warn\">\(e(m))</p>\n" }
        return h + "</section>\n\n"
    }

    static func fmt(_ i: Interval?) -> String { i.map { String(format: "[%.4g, %.4g]", $0.lower, $0.upper) } ?? "-" }

    static func caption(_ f: Figure, _ r: ScalingReport) -> String {
        switch f {
        case .isoflop:
            return "Each colour is one compute budget: its runs' final loss against model size, the parabola fitted in ln N, and the parabola's minimum (open diamond). Black triangles: validation runs."
        case .frontier:
            return "Compute-optimal model size and tokens against training compute: the IsoFLOP minima and their power law, the parametric law's frontier with its bootstrap band, the planned budgets, and the published Chinchilla and Epoch laws for reference."
        case .lossCurves:
            return "Validation loss at each logged evaluation against tokens seen, one line per run, coloured from small (purple) to large (yellow) models."
        case .residuals:
            return "Left: ln(predicted) − ln(measured) for each fit run under the parametric law. Right: measured against predicted loss; validation runs use the prediction recorded before they trained."
        case .plan:
            return "Compute-optimal allocations for budgets beyond the sweep under the fitted law (C counted as the sweep counts it; 6 N D for runs imported without a sweep file), with bootstrap intervals; the IsoFLOP power law and the published laws at the same budgets for comparison."
        }
    }

    static func tables(_ f: Figure, _ r: ScalingReport) -> String {
        switch f {
        case .isoflop:
            guard let iso = r.isoflop, !iso.budgets.isEmpty else { return r.isoflopMissing.map { "<p class=\"warn\">\(e($0))</p>\n" } ?? "" }
            var h = table(id: "table-isoflop", header: ["budget", "C (FLOPs)", "runs", "N range", "N_opt", "D_opt", "min loss"],
                          rows: iso.budgets.map { b in
                              ([b.label, NumberText.scientific(b.flops), String(b.runs), "\(NumberText.si(b.minParams))–\(NumberText.si(b.maxParams))",
                                NumberText.si(b.optimalParams), NumberText.si(b.optimalTokens), NumberText.fixed(b.minimumLoss, 4)],
                               [("data-budget", b.label), ("data-params", "\(b.optimalParams)"), ("data-loss", "\(b.minimumLoss)")])
                          }, textColumns: [0])
            for reason in iso.refused { h += "<p class=\"warn\">left out: \(e(reason))</p>\n" }
            return h
        case .frontier:
            guard let iso = r.isoflop else { return "" }
            return "<p class=\"caption\">" + e(String(format: "IsoFLOP power laws: N_opt = %.4g C^%.4f, D_opt = %.4g C^%.4f", iso.paramsCoefficient,
                                                       iso.paramsExponent, iso.tokensCoefficient, iso.tokensExponent)) + "</p>\n"
        case .lossCurves:
            return ""
        case .residuals:
            let runs = r.validationRuns
            guard !runs.isEmpty else { return "<p class=\"caption\">No validation runs in this sweep.</p>\n" }
            return table(id: "table-validation", header: ["run", "C", "N", "D", "predicted", "measured", "error"],
                         rows: runs.map { v in
                             let measured = v.status == .done ? v.loss : nil
                             let err = v.predictedLoss.flatMap { p in measured.map { ($0 - p) / p } }
                             return ([v.name, NumberText.scientific(v.flops), NumberText.si(v.params), NumberText.si(v.tokens),
                                      v.predictedLoss.map { NumberText.fixed($0, 4) } ?? "-", measured.map { NumberText.fixed($0, 4) } ?? v.status.rawValue,
                                      err.map(NumberText.percent) ?? "-"],
                                     [("data-run-id", String(v.id))] + (measured.map { [("data-loss", "\($0)")] } ?? [])
                                        + (v.predictedLoss.map { [("data-predicted", "\($0)")] } ?? []))
                         }, textColumns: [0])
        case .plan:
            let columns = Figures.planColumns(r)
            guard !r.plan.isEmpty else { return "<p class=\"warn\">no plan: the report needs a parametric law</p>\n" }
            return table(id: "table-plan", header: columns.map(\.0),
                         rows: r.plan.map { row in (columns.map { $0.1(row) }, [("data-flops", "\(row.flops)"), ("data-params", "\(row.params)")]) },
                         textColumns: [])
        }
    }

    static func runsSection(_ r: ScalingReport) -> String {
        var h = "<section id=\"runs\">\n<h2>Runs</h2>\n"
        h += table(id: "table-runs", header: ["run", "role", "status", "budget", "N", "D", "C (FLOPs)", "loss", "evals"],
                   rows: r.runs.map { run in
                       ([run.name, run.role.rawValue, run.status.rawValue, run.budget ?? "-", NumberText.si(run.params), NumberText.si(run.tokens),
                         NumberText.scientific(run.flops), run.loss.map { NumberText.fixed($0, 4) } ?? "-", String(run.curve.count)],
                        [("data-run-id", String(run.id)), ("data-params", "\(run.params)"), ("data-tokens", "\(run.tokens)"),
                         ("data-flops", "\(run.flops)")] + (run.loss.map { [("data-loss", "\($0)")] } ?? [])
                            + (run.role == .validation ? [("class", "validation")] : []))
                   }, textColumns: [0, 1, 2, 3])
        return h + "</section>\n"
    }

    static func table(id: String, header: [String], rows: [([String], [(String, String)])], textColumns: Set<Int>) -> String {
        func cls(_ i: Int) -> String { textColumns.contains(i) ? " class=\"text\"" : "" }
        var h = "<table id=\"\(e(id))\">\n<thead><tr>"
        for (i, c) in header.enumerated() { h += "<th\(cls(i))>\(e(c))</th>" }
        h += "</tr></thead>\n<tbody>\n"
        for (cells, attrs) in rows {
            h += "<tr\(SVGWriter.attributes(attrs))>"
            for (i, c) in cells.enumerated() { h += "<td\(cls(i))>\(e(c))</td>" }
            h += "</tr>\n"
        }
        return h + "</tbody>\n</table>\n"
    }
}

extension ParametricSummary {
    /// Percentile interval of a law-derived quantity over the bootstrap laws.
    func interval(_ q: (ChinchillaLaw) -> Double) -> Interval? {
        guard !bootstrap.isEmpty, let level else { return nil }
        return Bootstrap(laws: bootstrap, level: level).interval { q($0) }
    }
}
