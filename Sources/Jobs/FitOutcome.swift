import Foundation
import ScalingLaws
import Store

/// A finished fit as the CLI prints and stores it.
public enum FitOutcome {
    case parametric(ParametricFitResult, Bootstrap?)
    case isoflop(IsoFLOPFit)

    public var kind: FitKind {
        switch self {
        case .parametric: return .parametric
        case .isoflop: return .isoflop
        }
    }

    /// The poorly-determined flags of a parametric fit with a bootstrap (80% intervals).
    public var quality: FitQuality? {
        guard case let .parametric(r, boot?) = self else { return nil }
        return FitQuality.assess(law: r.law, bootstrap: boot)
    }

    public static func lawObject(_ law: ChinchillaLaw) -> [String: Any] {
        ["E": law.E, "A": law.A, "B": law.B, "alpha": law.alpha, "beta": law.beta,
         "a": law.paramsExponent, "b": law.tokensExponent]
    }

    /// The JSON object `ladder fit --json` prints.
    public var summary: [String: Any] {
        switch self {
        case let .parametric(r, boot):
            var o = Self.lawObject(r.law)
            o["method"] = "parametric"
            o["rmse_log"] = r.rmseLog
            o["runs"] = r.observations.count
            o["objective"] = r.objective
            o["excluded"] = r.excluded.count
            o["warnings"] = r.warnings
            o["largest_residuals"] = r.largestResiduals.map { ["name": $0.observation.name as Any, "params": $0.observation.params,
                                                              "tokens": $0.observation.tokens, "loss": $0.observation.loss,
                                                              "predicted": $0.predicted, "log_residual": $0.logResidual] }
            if let boot, let iv = boot.lawIntervals() {
                o["intervals"] = Self.intervalsObject(iv, level: boot.level, resamples: boot.laws.count)
            }
            if let q = quality { o["quality"] = QualityFormat.object(q) }
            return o
        case let .isoflop(f):
            return ["method": "isoflop", "a": f.paramsExponent, "b": f.tokensExponent,
                    "params_coefficient": f.paramsCoefficient, "tokens_coefficient": f.tokensCoefficient,
                    "runs": f.budgets.reduce(0) { $0 + $1.runs }, "refused_budgets": f.refused,
                    "budgets": f.budgets.map { ["label": $0.label, "flops": $0.flops, "runs": $0.runs,
                                                "optimal_params": $0.optimalParams, "optimal_tokens": $0.optimalTokens,
                                                "minimum_loss": $0.minimumLoss, "coefficients": $0.coefficients] }]
        }
    }

    public static func intervalsObject(_ iv: LawIntervals, level: Double, resamples: Int) -> [String: Any] {
        func pair(_ i: Interval) -> [Double] { [i.lower, i.upper] }
        return ["level": level, "resamples": resamples, "E": pair(iv.E), "A": pair(iv.A), "B": pair(iv.B),
                "alpha": pair(iv.alpha), "beta": pair(iv.beta), "a": pair(iv.a), "b": pair(iv.b)]
    }

    /// What a stored fit's `parameters` column holds: the summary without its intervals (those go
    /// to `intervalsJSON`). Callers that store more (law choice, counting, task link) add to it.
    public var parametersObject: [String: Any] {
        var o = summary
        o.removeValue(forKey: "intervals")
        return o
    }

    public func parametersJSON() throws -> String { try jsonLine(parametersObject) }

    /// Intervals plus every bootstrap law, so plans can put intervals on what they derive.
    public func intervalsJSON() throws -> String? {
        guard case let .parametric(_, boot?) = self, let iv = boot.lawIntervals() else { return nil }
        var o = Self.intervalsObject(iv, level: boot.level, resamples: boot.laws.count)
        o["laws"] = boot.laws.map { [$0.E, $0.A, $0.B, $0.alpha, $0.beta] }
        return try jsonLine(o)
    }

    public var text: String {
        switch self {
        case let .parametric(r, boot):
            let law = r.law
            let iv = boot?.lawIntervals()
            func row(_ name: String, _ v: Double, _ i: Interval?) -> [String] {
                [name, String(format: "%.4g", v), i.map { String(format: "[%.4g, %.4g]", $0.lower, $0.upper) } ?? "-"]
            }
            var out = "parametric fit of L(N, D) = E + A/N^alpha + B/D^beta on \(r.observations.count) runs"
            out += r.excluded.isEmpty ? "\n" : " (\(r.excluded.count) outliers excluded)\n"
            out += Format.table(header: ["param", "value", boot.map { "\(Int($0.level * 100))% interval" } ?? "interval"],
                                rows: [row("E", law.E, iv?.E), row("A", law.A, iv?.A), row("B", law.B, iv?.B),
                                       row("alpha", law.alpha, iv?.alpha), row("beta", law.beta, iv?.beta),
                                       row("a = beta/(alpha+beta)", law.paramsExponent, iv?.a),
                                       row("b = alpha/(alpha+beta)", law.tokensExponent, iv?.b)])
            out += String(format: "RMSE of log residuals: %.4f\n", r.rmseLog)
            if let q = quality { out += QualityFormat.text(q) }
            if !r.largestResiduals.isEmpty {
                out += "largest residuals:\n"
                out += Format.table(header: ["run", "N", "D", "loss", "predicted", "log residual"],
                                    rows: r.largestResiduals.map { res in
                                        [res.observation.name ?? "#\(res.index)", Format.si(res.observation.params),
                                         Format.si(res.observation.tokens), Format.fixed(res.observation.loss, 4),
                                         Format.fixed(res.predicted, 4), String(format: "%+.4f", res.logResidual)]
                                    })
            }
            for w in r.warnings { out += "warning: \(w)\n" }
            return out
        case let .isoflop(f):
            var out = "IsoFLOP fit over \(f.budgets.count) budgets\n"
            out += Format.table(header: ["budget", "FLOPs", "runs", "N_opt", "D_opt", "min loss"],
                                rows: f.budgets.map { [$0.label, Format.scientific($0.flops), String($0.runs),
                                                       Format.si($0.optimalParams), Format.si($0.optimalTokens),
                                                       Format.fixed($0.minimumLoss, 4)] })
            out += String(format: "N_opt = %.4g C^%.4f   D_opt = %.4g C^%.4f\n", f.paramsCoefficient, f.paramsExponent,
                          f.tokensCoefficient, f.tokensExponent)
            for r in f.refused { out += "budget left out: \(r)\n" }
            return out
        }
    }
}
