import Foundation

/// A learning-rate law `lr_opt(N, D) = coefficient · N^exponent · D^tokensExponent`, fitted from a
/// learning-rate sweep (a few model sizes, each trained at several peak learning rates for one or
/// more token counts): per (N, D), a parabola of final loss in `ln lr` gives the optimal rate, and
/// least squares through `(ln N, ln D, ln lr_opt)` gives the law. With a single D/N ratio in the
/// sweep, N and D move together and the law is fitted in N alone (`tokensExponent` = 0). DeepSeek LLM (DeepSeek-AI 2024, §3.1) fits the optimal rate
/// and batch as power laws of compute the same way; Porian et al. 2024 show that tuning the rate
/// per size is what moves small-scale fits to Chinchilla's exponent.
public struct LearningRateLaw: Codable, Equatable, Sendable {
    public var coefficient: Double
    public var exponent: Double
    /// Exponent of D (0 when the sweep had one D/N ratio).
    public var tokensExponent: Double
    /// How the N of `lr(params:tokens:)` is counted.
    public var counting: ParameterCounting
    /// Per-size optima the law was fitted through.
    public var optima: [SizeOptimum]
    /// RMS of `ln lr_opt` residuals about the line.
    public var rmseLog: Double

    public struct SizeOptimum: Codable, Equatable, Sendable {
        public var params: Double
        public var tokens: Double
        public var lr: Double
        /// Loss at the optimum (the parabola's minimum).
        public var loss: Double
        /// Learning rates tried at this size.
        public var tried: [Double]
    }

    public init(coefficient: Double, exponent: Double, tokensExponent: Double = 0, counting: ParameterCounting,
                optima: [SizeOptimum] = [], rmseLog: Double = 0) {
        self.coefficient = coefficient; self.exponent = exponent; self.tokensExponent = tokensExponent
        self.counting = counting; self.optima = optima; self.rmseLog = rmseLog
    }

    enum CodingKeys: String, CodingKey { case coefficient, exponent, tokensExponent, counting, optima, rmseLog }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        coefficient = try c.decode(Double.self, forKey: .coefficient)
        exponent = try c.decode(Double.self, forKey: .exponent)
        tokensExponent = try c.decodeIfPresent(Double.self, forKey: .tokensExponent) ?? 0
        counting = try c.decode(ParameterCounting.self, forKey: .counting)
        optima = try c.decodeIfPresent([SizeOptimum].self, forKey: .optima) ?? []
        rmseLog = try c.decodeIfPresent(Double.self, forKey: .rmseLog) ?? 0
    }

    /// The law's learning rate for `params` parameters trained on `tokens` tokens.
    public func lr(params: Double, tokens: Double) -> Double {
        coefficient * Foundation.pow(params, exponent) * Foundation.pow(tokens, tokensExponent)
    }

    /// One run of a learning-rate sweep.
    public struct Observation: Sendable, Equatable {
        public var params: Double
        public var tokens: Double
        public var lr: Double
        public var loss: Double
        public init(params: Double, tokens: Double, lr: Double, loss: Double) {
            self.params = params; self.tokens = tokens; self.lr = lr; self.loss = loss
        }
    }

    struct Point: Hashable { let params: Double, tokens: Double }

    /// Fits the law. Points are the distinct (N, D); each needs at least three learning rates
    /// and an optimum inside the tried range (within half a step of its ends); at least two points
    /// must qualify (three, with two D/N ratios, for the D exponent). Errors name the point that
    /// does not.
    public static func fit(_ runs: [Observation], counting: ParameterCounting) throws -> LearningRateLaw {
        let sizes = Dictionary(grouping: runs.filter { $0.loss.isFinite && $0.lr > 0 && $0.params > 0 && $0.tokens > 0 },
                               by: { Point(params: $0.params, tokens: $0.tokens) })
        var optima: [SizeOptimum] = []
        var problems: [String] = []
        for (point, group) in sizes.sorted(by: { ($0.key.params, $0.key.tokens) < ($1.key.params, $1.key.tokens) }) {
            let n = point.params
            let byLR = Dictionary(grouping: group, by: \.lr).map { (lr: $0.key, loss: $0.value.map(\.loss).reduce(0, +) / Double($0.value.count)) }
                .sorted { $0.lr < $1.lr }
            guard byLR.count >= 3 else { problems.append("N = \(Int(n)), D = \(Int(point.tokens)): \(byLR.count) learning rates (need 3)"); continue }
            // the parabola through the best rate and its neighbours (a local fit: the loss is not a
            // parabola in ln lr far from the optimum)
            let best = byLR.indices.min { byLR[$0].loss < byLR[$1].loss }!
            let lo = max(0, min(best - 1, byLR.count - 3))
            let pts = Array(byLR[lo..<(lo + 3)]).map { (Foundation.log($0.lr), $0.loss) }
            guard let (a, b, c) = parabola(pts), a > 0 else {
                problems.append("N = \(Int(n)): the loss has no minimum in ln lr (rates \(byLR.map(\.lr)))")
                continue
            }
            let x = -b / (2 * a)
            let step = (Foundation.log(byLR.last!.lr) - Foundation.log(byLR.first!.lr)) / Double(byLR.count - 1)
            guard x >= Foundation.log(byLR.first!.lr) - step / 2 && x <= Foundation.log(byLR.last!.lr) + step / 2 else {
                problems.append("N = \(Int(n)): the optimal rate \(Foundation.exp(x)) is outside the tried range \(byLR.first!.lr)...\(byLR.last!.lr); extend it")
                continue
            }
            optima.append(SizeOptimum(params: n, tokens: point.tokens, lr: Foundation.exp(x), loss: a * x * x + b * x + c,
                                      tried: byLR.map(\.lr)))
        }
        guard optima.count >= 2 else {
            throw ScalingLawError.invalidArgument("A learning-rate law needs at least two (N, D) points with an optimum inside their tried rates; "
                + (problems.isEmpty ? "got \(optima.count)" : problems.joined(separator: "; ")))
        }
        let ratios = Set(optima.map { ($0.tokens / $0.params * 1e3).rounded() })
        let rows = optima.map { o -> [Double] in
            ratios.count >= 2 ? [1, Foundation.log(o.params), Foundation.log(o.tokens)] : [1, Foundation.log(o.params)]
        }
        let ys = optima.map { Foundation.log($0.lr) }
        guard rows.count >= rows[0].count, let beta = leastSquares(rows, ys) else {
            throw ScalingLawError.invalidArgument("A learning-rate law in N and D needs at least three (N, D) points with an optimum; got \(optima.count)")
        }
        let rmse = (zip(rows, ys).map { r, y in
            let e = y - zip(r, beta).map(*).reduce(0, +); return e * e
        }.reduce(0, +) / Double(ys.count)).squareRoot()
        return LearningRateLaw(coefficient: Foundation.exp(beta[0]), exponent: beta[1], tokensExponent: beta.count > 2 ? beta[2] : 0,
                               counting: counting, optima: optima, rmseLog: rmse)
    }

    /// Least-squares `y = a x² + b x + c` through three or more points.
    static func parabola(_ pts: [(Double, Double)]) -> (Double, Double, Double)? {
        guard let abc = leastSquares(pts.map { [$0.0 * $0.0, $0.0, 1] }, pts.map(\.1)) else { return nil }
        return (abc[0], abc[1], abc[2])
    }

    /// Ordinary least squares by the normal equations (a few unknowns), nil when singular.
    static func leastSquares(_ rows: [[Double]], _ ys: [Double]) -> [Double]? {
        let k = rows[0].count
        var a = [[Double]](repeating: [Double](repeating: 0, count: k + 1), count: k)
        for (r, y) in zip(rows, ys) {
            for i in 0..<k {
                for j in 0..<k { a[i][j] += r[i] * r[j] }
                a[i][k] += r[i] * y
            }
        }
        for col in 0..<k {
            guard let piv = (col..<k).max(by: { abs(a[$0][col]) < abs(a[$1][col]) }), abs(a[piv][col]) > 1e-12 else { return nil }
            a.swapAt(col, piv)
            for r in 0..<k where r != col {
                let f = a[r][col] / a[col][col]
                for j in col...k { a[r][j] -= f * a[col][j] }
            }
        }
        return (0..<k).map { a[$0][k] / a[$0][$0] }
    }

}
