import Foundation
import ScalingLaws

/// Text and JSON of a rollout (expanding-window backtest), as `ladder fit` and `sweep run` print it.
public enum RolloutFormat {
    public static func text(_ r: RolloutResult) -> String {
        let what = r.axis == .compute ? "budget" : "model size"
        var out = "rollout: refit without the largest \(what)s, predict them (error = (measured - predicted) / predicted; "
        out += "reducible: / (predicted - E))\n"
        if let w = r.binWidthDecades {
            out += String(format: "groups: %d bins of log10 %@, %.3g decades wide\n", r.groups.count, r.axis == .compute ? "C" : "N", w)
        }
        var rows: [[String]] = []
        for w in r.windows {
            for g in w.groups {
                rows.append([String(w.heldOutGroups), String(w.trainingRuns), g.group.label, String(g.group.runs),
                             String(format: "%.2f", g.decadesBeyond), String(format: "%+.2f%%", 100 * g.meanTotalError),
                             String(format: "%.2f%%", 100 * g.maxAbsTotalError), String(format: "%+.1f%%", 100 * g.meanReducibleError)])
            }
        }
        if !rows.isEmpty {
            out += Format.table(header: ["held out", "fit runs", r.axis == .compute ? "budget" : "size", "runs", "decades out",
                                         "mean error", "max |error|", "reducible"], rows: rows)
        }
        if let s = r.stopped { out += "rollout stopped: \(s)\n" }
        return out
    }

    public static func object(_ r: RolloutResult) -> [String: Any] {
        var o: [String: Any] = [
            "axis": r.axis.rawValue,
            "groups": r.groups.map { ["label": $0.label, "value": $0.value, "runs": $0.runs] as [String: Any] },
            "windows": r.windows.map { w -> [String: Any] in
                ["held_out_groups": w.heldOutGroups, "training_runs": w.trainingRuns, "training_maximum": w.trainingMaximum,
                 "parameters": w.parameters, "rms_error": w.rmsTotalError,
                 "groups": w.groups.map { g -> [String: Any] in
                     ["label": g.group.label, "value": g.group.value, "runs": g.group.runs, "decades_beyond": g.decadesBeyond,
                      "mean_error": g.meanTotalError, "mean_reducible_error": g.meanReducibleError,
                      "max_abs_error": g.maxAbsTotalError]
                 },
                 "predictions": w.predictions.map { p -> [String: Any] in
                     ["name": p.observation.name as Any, "params": p.observation.params, "tokens": p.observation.tokens,
                      "flops": p.observation.computeFlops, "loss": p.observation.loss, "predicted": p.predicted,
                      "group": p.group, "error": p.totalError, "reducible_error": p.reducibleError]
                 }]
            },
        ]
        if let w = r.binWidthDecades { o["bin_width_decades"] = w }
        if let s = r.stopped { o["stopped"] = s }
        return o
    }
}

/// Text and JSON of a fit's quality flags.
public enum QualityFormat {
    public static func text(_ q: FitQuality) -> String {
        let level = Int((q.level * 100).rounded())
        guard q.isPoorlyDetermined else {
            return String(format: "fit quality: determined (%d%% intervals from %d resamples: E's stays above %.0f%% of E, alpha's, beta's and a's within ±%.2f)\n",
                          level, q.resamples, 100 * FitQuality.irreducibleLossFloorFraction, FitQuality.maximumExponentHalfWidth)
        }
        var out = "fit quality: POORLY DETERMINED (\(level)% intervals from \(q.resamples) resamples)\n"
        for f in q.flags { out += "  - \(f)\n" }
        return out
    }

    public static func object(_ q: FitQuality) -> [String: Any] {
        ["poorly_determined": q.isPoorlyDetermined, "level": q.level, "resamples": q.resamples,
         "flags": q.flags.map { ["code": $0.code, "message": $0.description] },
         "thresholds": ["irreducible_loss_floor_fraction": FitQuality.irreducibleLossFloorFraction,
                        "maximum_exponent_half_width": FitQuality.maximumExponentHalfWidth]]
    }
}
