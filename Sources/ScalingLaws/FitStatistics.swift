import Foundation

/// Goodness of fit of a law on the runs it was fitted to.
///
/// - `rmse`: root mean square of `L - L̂` (nats); `rmseLog`: of `log L̂ - log L`.
/// - `r2`: `1 - Σ(L - L̂)² / Σ(L - mean L)²`.
/// - `aic`: Akaike's criterion for Gaussian errors on log loss, `n ln(RSS_log / n) + 2k`
///   (constants dropped), with k the free parameters (Burnham & Anderson 2002). Lower is better;
///   differences below 2 mean the runs do not tell the laws apart. Only laws fitted to the same
///   runs are comparable.
public struct FitStatistics: Sendable, Hashable, Codable {
    public var runs: Int
    public var parameters: Int
    public var rmse: Double
    public var rmseLog: Double
    public var r2: Double
    public var aic: Double

    /// Statistics of `law` on `observations`, counting `parameters` free parameters.
    public static func of(_ law: any LossPredicting, on observations: [Observation], parameters: Int) -> FitStatistics {
        let n = Double(observations.count)
        var ss = 0.0, ssLog = 0.0
        let mean = observations.reduce(0) { $0 + $1.loss } / n
        var ssTot = 0.0
        for o in observations {
            let p = law.predictedLoss(for: o)
            ss += (o.loss - p) * (o.loss - p)
            let r = Foundation.log(p) - Foundation.log(o.loss)
            ssLog += r * r
            ssTot += (o.loss - mean) * (o.loss - mean)
        }
        return FitStatistics(runs: observations.count, parameters: parameters, rmse: (ss / n).squareRoot(),
                             rmseLog: (ssLog / n).squareRoot(), r2: ssTot > 0 ? 1 - ss / ssTot : .nan,
                             aic: n * Foundation.log(max(ssLog, 1e-300) / n) + 2 * Double(parameters))
    }
}
