import Foundation

/// A learning-rate law `lr_opt(N) = coefficient · N^exponent`, fitted from a learning-rate sweep
/// (a few model sizes, each trained at several peak learning rates on the same data): per size, a
/// parabola of final loss in `ln lr` gives the optimal rate, and a least-squares line through
/// `(ln N, ln lr_opt)` gives the law. DeepSeek LLM (DeepSeek-AI 2024, §3.1) fits the optimal rate
/// and batch as power laws of compute the same way; Porian et al. 2024 show that tuning the rate
/// per size is what moves small-scale fits to Chinchilla's exponent.
public struct LearningRateLaw: Codable, Equatable, Sendable {
    public var coefficient: Double
    public var exponent: Double
    /// How the N of `lr(params:)` is counted.
    public var counting: ParameterCounting
    /// Per-size optima the law was fitted through.
    public var optima: [SizeOptimum]
    /// RMS of `ln lr_opt` residuals about the line.
    public var rmseLog: Double

    public struct SizeOptimum: Codable, Equatable, Sendable {
        public var params: Double
        public var lr: Double
        /// Loss at the optimum (the parabola's minimum).
        public var loss: Double
        /// Learning rates tried at this size.
        public var tried: [Double]
    }

    public init(coefficient: Double, exponent: Double, counting: ParameterCounting, optima: [SizeOptimum] = [], rmseLog: Double = 0) {
        self.coefficient = coefficient; self.exponent = exponent; self.counting = counting
        self.optima = optima; self.rmseLog = rmseLog
    }

    /// The law's learning rate for `params` parameters.
    public func lr(params: Double) -> Double { coefficient * Foundation.pow(params, exponent) }

    /// One run of a learning-rate sweep.
    public struct Observation: Sendable, Equatable {
        public var params: Double
        public var lr: Double
        public var loss: Double
        public init(params: Double, lr: Double, loss: Double) { self.params = params; self.lr = lr; self.loss = loss }
    }

    /// Fits the law. Sizes are the distinct `params`; each needs at least three learning rates
    /// and an optimum inside the tried range (within half a step of its ends); at least two sizes
    /// must qualify. Errors name the size that does not.
    public static func fit(_ runs: [Observation], counting: ParameterCounting) throws -> LearningRateLaw {
        let sizes = Dictionary(grouping: runs.filter { $0.loss.isFinite && $0.lr > 0 && $0.params > 0 }, by: \.params)
        var optima: [SizeOptimum] = []
        var problems: [String] = []
        for (n, group) in sizes.sorted(by: { $0.key < $1.key }) {
            let byLR = Dictionary(grouping: group, by: \.lr).map { (lr: $0.key, loss: $0.value.map(\.loss).reduce(0, +) / Double($0.value.count)) }
                .sorted { $0.lr < $1.lr }
            guard byLR.count >= 3 else { problems.append("N = \(Int(n)): \(byLR.count) learning rates (need 3)"); continue }
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
            optima.append(SizeOptimum(params: n, lr: Foundation.exp(x), loss: a * x * x + b * x + c, tried: byLR.map(\.lr)))
        }
        guard optima.count >= 2 else {
            throw ScalingLawError.invalidArgument("A learning-rate law needs at least two model sizes with an optimum inside their tried rates; "
                + (problems.isEmpty ? "got \(optima.count)" : problems.joined(separator: "; ")))
        }
        let xs = optima.map { Foundation.log($0.params) }, ys = optima.map { Foundation.log($0.lr) }
        let mx = xs.reduce(0, +) / Double(xs.count), my = ys.reduce(0, +) / Double(ys.count)
        let sxx = zip(xs, xs).map { ($0 - mx) * ($1 - mx) }.reduce(0, +)
        let sxy = zip(xs, ys).map { ($0 - mx) * ($1 - my) }.reduce(0, +)
        let slope = sxx > 0 ? sxy / sxx : 0
        let intercept = my - slope * mx
        let rmse = (zip(xs, ys).map { let r = $1 - (intercept + slope * $0); return r * r }.reduce(0, +) / Double(xs.count)).squareRoot()
        return LearningRateLaw(coefficient: Foundation.exp(intercept), exponent: slope, counting: counting,
                               optima: optima, rmseLog: rmse)
    }

    /// Least-squares `y = a x² + b x + c` through three or more points.
    static func parabola(_ pts: [(Double, Double)]) -> (Double, Double, Double)? {
        var s = [Double](repeating: 0, count: 5), t = [Double](repeating: 0, count: 3)
        for (x, y) in pts {
            var p = 1.0
            for k in 0..<5 { s[k] += p; if k < 3 { t[k] += p * y }; p *= x }
        }
        // normal equations [[s4 s3 s2] [s3 s2 s1] [s2 s1 s0]] (a b c) = (t2 t1 t0)
        let m = [[s[4], s[3], s[2], t[2]], [s[3], s[2], s[1], t[1]], [s[2], s[1], s[0], t[0]]]
        var a = m
        for col in 0..<3 {
            guard let piv = (col..<3).max(by: { abs(a[$0][col]) < abs(a[$1][col]) }), abs(a[piv][col]) > 1e-300 else { return nil }
            a.swapAt(col, piv)
            for r in 0..<3 where r != col {
                let f = a[r][col] / a[col][col]
                for k in col..<4 { a[r][k] -= f * a[col][k] }
            }
        }
        return (a[0][3] / a[0][0], a[1][3] / a[1][1], a[2][3] / a[2][2])
    }
}
