import Foundation
import ScalingLaws

/// The report's figures.
public enum Figure: String, CaseIterable, Sendable {
    case isoflop
    case frontier
    case lossCurves = "loss-curves"
    case residuals
    case plan

    /// The SVG file name, e.g. `isoflop.svg`.
    public var fileName: String { rawValue + ".svg" }

    public var title: String {
        switch self {
        case .isoflop: return "IsoFLOP curves"
        case .frontier: return "Compute-optimal frontier"
        case .lossCurves: return "Loss curves"
        case .residuals: return "Residuals and validation"
        case .plan: return "Plan for larger budgets"
        }
    }
}

/// Renders figures: pure functions from a report to SVG text.
public enum Figures {
    /// The figure as a standalone SVG document (no XML declaration, so it can be inlined in HTML).
    public static func svg(_ figure: Figure, _ report: ScalingReport) -> String {
        switch figure {
        case .isoflop: return isoflop(report)
        case .frontier: return frontier(report)
        case .lossCurves: return lossCurves(report)
        case .residuals: return residuals(report)
        case .plan: return plan(report)
        }
    }

    static let width = 1040.0
}

extension ScalingReport {
    /// How runs without a budget label (imported tables) are grouped: bins of log10 C.
    public static let binning = LogBinning()

    /// The finished fit runs grouped into IsoFLOP budgets as the fit groups them (by label, else
    /// by bins of log10 C, ``binning``), smallest budget first.
    public var budgetGroups: [(label: String, flops: Double, runs: [ReportRun])] {
        let fitted = fittedRuns
        let byId = Dictionary(uniqueKeysWithValues: fitted.map { ($0.id, $0) })
        let obs = fitted.map {
            Observation(params: $0.params, tokens: $0.tokens, loss: $0.loss!, flops: $0.flops, name: String($0.id), budget: $0.budget)
        }
        return IsoFLOP.groups(obs, binning: Self.binning).map { g in
            let runs = g.runs.compactMap { o in o.name.flatMap { Int64($0) }.flatMap { byId[$0] } }
            let logMean = runs.map { Foundation.log($0.flops) }.reduce(0, +) / Double(max(1, runs.count))
            return (g.label, Foundation.exp(logMean), runs)
        }
    }

    /// Whether some fitted runs had no budget label and were binned by log10 C.
    public var hasBinnedRuns: Bool { fittedRuns.contains { $0.budget == nil } }

    /// The colour of a budget (by its position among the budgets; see `Palette.ordered`).
    func budgetColor(_ label: String?) -> String {
        let groups = budgetGroups
        guard let label, let i = groups.firstIndex(where: { $0.label == label }) else { return Palette.reference }
        return Palette.ordered(i, of: groups.count)
    }
}

/// `data-*` attributes holding a run's exact stored values.
func runData(_ r: ReportRun) -> [(String, String)] {
    var d: [(String, String)] = [("data-run-id", String(r.id)), ("data-run", r.name), ("data-params", SVGWriter.exact(r.params)),
                                 ("data-tokens", SVGWriter.exact(r.tokens)), ("data-flops", SVGWriter.exact(r.flops))]
    if let loss = r.loss { d.append(("data-loss", SVGWriter.exact(loss))) }
    if let b = r.budget { d.append(("data-budget", b)) }
    return d
}

func runTitle(_ r: ReportRun) -> String {
    "\(r.name): N = \(NumberText.si(r.params)), D = \(NumberText.si(r.tokens)), C = \(NumberText.scientific(r.flops))"
        + (r.loss.map { ", loss = \(NumberText.fixed($0, 4))" } ?? "")
}

/// `lo ... hi` at `count` log-spaced points.
func logSpace(_ lo: Double, _ hi: Double, _ count: Int) -> [Double] {
    let a = Foundation.log(lo), b = Foundation.log(hi)
    return (0..<count).map { Foundation.exp(a + (b - a) * Double($0) / Double(max(1, count - 1))) }
}
