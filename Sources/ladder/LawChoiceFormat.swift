import Foundation
import Jobs
import ScalingLaws

/// Text and JSON of the law a fit used (family, constraint, AIC, R², RMSE) and of `--law auto`'s choice.
enum LawChoiceFormat {
    static func statisticsRow(_ f: FittedLaw) -> [String] {
        let s = f.statistics
        return [f.family.rawValue, String(s.runs), String(s.parameters), String(format: "%.1f", s.aic), String(format: "%.4f", s.r2),
                String(format: "%.4f", s.rmse), String(format: "%.4f", s.rmseLog)]
    }

    static func text(_ fitted: FittedLaw, _ selection: LawSelection?) -> String {
        var out = ""
        if let selection {
            out += "law selection (AIC = n ln(RSS/n) + 2k on log residuals; R² and RMSE on loss):\n"
            out += Format.table(header: ["law", "fitted to", "k", "AIC", "R²", "RMSE", "RMSE log"],
                                rows: selection.candidates.map { c in
                                    var row = statisticsRow(c)
                                    row[1] = c.family == .compute ? "\(c.statistics.runs) frontier pts" : "\(c.statistics.runs) runs"
                                    return row
                                })
            for f in selection.failures { out += "not fitted: \(f.family.rawValue): \(f.reason)\n" }
            out += "chose \(selection.choice.family.rawValue): \(selection.reason)\n"
        } else {
            let s = fitted.statistics
            out += String(format: "law %@: %@; AIC %.1f (k = %d), R² %.4f, RMSE %.4f\n", fitted.family.rawValue, fitted.family.formula,
                          s.aic, s.parameters, s.r2, s.rmse)
        }
        if let c = fitted.constraint { out += "constraint: \(c)\n" }
        if let law = fitted.law as? ComputeLaw {
            out += String(format: "L(C) = %.4g + %.4g C^-%.4f, fitted to %d frontier points (IsoFLOP minima, else each budget's lowest loss)\n",
                          law.E, law.k, law.gamma, fitted.fitted.count)
        }
        return out
    }

    static func object(_ fitted: FittedLaw, _ selection: LawSelection?) -> [String: Any] {
        func stats(_ f: FittedLaw) -> [String: Any] {
            ["law": f.family.rawValue, "runs": f.statistics.runs, "parameters": f.statistics.parameters, "aic": f.statistics.aic,
             "r2": f.statistics.r2, "rmse": f.statistics.rmse, "rmse_log": f.statistics.rmseLog,
             "values": Dictionary(uniqueKeysWithValues: f.law.namedParameters.map { ($0.name, $0.value) })]
        }
        var o: [String: Any] = ["law": fitted.family.rawValue, "statistics": stats(fitted)]
        if let c = fitted.constraint { o["constraint"] = c }
        if let selection {
            o["selection"] = ["criterion": "aic", "reason": selection.reason, "candidates": selection.candidates.map(stats),
                              "failures": selection.failures.map { ["law": $0.family.rawValue, "reason": $0.reason] }]
        }
        if let law = fitted.law as? ComputeLaw {
            o["E"] = law.E; o["k"] = law.k; o["gamma"] = law.gamma; o["method"] = "compute"
        }
        return o
    }

    /// A stored fit's parameters JSON with the law family, its constraint and statistics added.
    static func merge(into o: inout [String: Any], _ fitted: FittedLaw, _ selection: LawSelection?) {
        o["law"] = fitted.family.rawValue
        if let c = fitted.constraint { o["constraint"] = c }
        o["statistics"] = object(fitted, nil)["statistics"]
        if let selection { o["selection_reason"] = selection.reason }
    }
}
