import Foundation
import ScalingLaws

extension Figures {
    /// `ladder compare --figure`: the compute-optimal loss against compute of the baseline and each
    /// variant (joint fit: solid; separate fits: dashed), each group's lowest loss per budget as
    /// markers, and the multiplier in the legend.
    public static func comparison(_ r: ComputeComparison) -> String {
        let height = 520.0
        var w = SVGWriter(width: width, height: height)
        let all = r.separate.flatMap(\.observations)
        let cs = all.map(\.computeFlops)
        let lo = cs.min()! / 2, hi = cs.max()! * 4
        let grid = logSpace(lo, hi, 60)
        var points: [[MarkerPoint]] = []
        for f in r.separate {
            let (groups, _) = Rollout.groups(f.observations, axis: .compute, binning: LogBinning())
            points.append(groups.map { g in
                let best = g.members.map { f.observations[$0] }.min { $0.loss < $1.loss }!
                return MarkerPoint(x: best.computeFlops, y: best.loss, title: String(format: "C = %.3g, lowest loss %.4f", best.computeFlops, best.loss))
            })
        }
        func frontier(_ law: ChinchillaLaw) -> [(Double, Double)] {
            grid.compactMap { c in (try? law.computeOptimal(flops: c).loss).map { (c, $0) } }
        }
        let curves = r.joint.laws.map(frontier)
        let ys = points.flatMap { $0.map(\.y) } + curves.flatMap { $0.map(\.1) }
        var p = Panel(x: 0, y: 0, width: width, height: height, title: "Baseline and variants: compute-optimal loss against compute",
                      xLabel: "training compute C (FLOPs, log scale)", yLabel: "loss (nats/token)", xKind: .log, yKind: .linear,
                      xValues: [lo, hi], yValues: ys, xFormat: .powerOfTen, yFormat: .plain, legendColumn: 260)
        for (i, name) in r.names.enumerated() {
            let color = Palette.category(i)
            let m = i == 0 ? "baseline" : r.multipliers[i - 1].interval.map {
                String(format: "m = %.2f [%.2f, %.2f]", r.multipliers[i - 1].value, $0.lower, $0.upper)
            } ?? String(format: "m = %.2f", r.multipliers[i - 1].value)
            p.line(curves[i], style: LineStyle(color: color, width: 2), kind: "joint-frontier", legend: "\(name): \(m)")
            p.line(frontier(r.separate[i].law), style: LineStyle(color: color, width: 1.5, dash: "6 4"), kind: "separate-frontier")
            p.markers(points[i], shape: .circle, color: color, kind: "group-minimum")
        }
        p.addLegend(LegendEntry("separate fit", .line(LineStyle(color: Palette.reference, width: 1.5, dash: "6 4"))))
        p.addLegend(LegendEntry("lowest loss per budget", .marker(.circle, Palette.reference)))
        p.legendPlacement = .outside
        p.render(into: &w, id: "fig-compare")
        return w.document(title: "Compare: effective compute multiplier",
                          description: "Compute-optimal loss of the baseline and variants; m is the effective compute multiplier.",
                          id: "svg-compare")
    }
}
