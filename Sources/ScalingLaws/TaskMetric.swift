import Foundation
import Randomness

/// The second step of Bhagia et al. 2024 ("Establishing Task Scaling Laws via Compute-Efficient
/// Model Ladders", OLMo): a task metric as a sigmoid of the loss,
///
///     metric(L) = a / (1 + exp(-k (L - L0))) + b
///
/// (k < 0 when the metric rises as the loss falls; b is the chance floor, a + b the ceiling).
public struct TaskLink: Sendable, Hashable, Codable {
    public var a: Double
    public var k: Double
    public var L0: Double
    public var b: Double

    public init(a: Double, k: Double, L0: Double, b: Double) {
        self.a = a; self.k = k; self.L0 = L0; self.b = b
    }

    public func metric(loss: Double) -> Double { a / (1 + Foundation.exp(-k * (loss - L0))) + b }

    public var parameters: [Double] { [a, k, L0, b] }
}

/// Least-squares fits of ``TaskLink``.
public enum TaskLinkFit {
    /// Fits `metric ≈ a σ(k (L - L0)) + b` by L-BFGS on the sum of squares from a grid of starts
    /// (L0 at loss quantiles, k of either sign, a and b from the metric's range). Needs 5 runs with
    /// at least 4 distinct losses.
    public static func fit(losses: [Double], metrics: [Double], weights: [Double]? = nil) throws -> TaskLink {
        guard losses.count == metrics.count else {
            throw ScalingLawError.invalidArgument("One task metric per run is needed (\(losses.count) losses, \(metrics.count) metrics).")
        }
        guard losses.count >= 5, Set(losses).count >= 4 else {
            throw ScalingLawError.invalidArgument("The task-metric link has 4 parameters; it needs at least 5 runs with 4 distinct losses (got \(losses.count)).")
        }
        for (l, m) in zip(losses, metrics) where !(l.isFinite && m.isFinite) {
            throw ScalingLawError.invalidArgument("Task metrics and losses must be finite (got loss \(l), metric \(m)).")
        }
        let w = weights ?? [Double](repeating: 1, count: losses.count)
        let sorted = losses.sorted()
        let lo = metrics.min()!, hi = metrics.max()!
        let span = max(hi - lo, 1e-3), lossSpan = max(sorted.last! - sorted.first!, 1e-6)
        var starts: [[Double]] = []
        for q in [0.1, 0.3, 0.5, 0.7, 0.9] {
            let l0 = sorted[Int(q * Double(sorted.count - 1))]
            for kScale in [-8.0, -3.0, -1.0, 1.0, 3.0, 8.0] {
                for (a, b) in [(span, lo), (2 * span, lo - 0.5 * span), (1.5 * span, lo)] {
                    starts.append([a, kScale / lossSpan, l0, b])
                }
            }
        }
        let optimizer = LBFGS(options: ParametricFitOptions.defaultLBFGS)
        var best: LBFGS.Result?
        for s in starts {
            let r = optimizer.minimize(from: s) { x, g in
                var f = 0.0
                g[0] = 0; g[1] = 0; g[2] = 0; g[3] = 0
                for i in losses.indices where w[i] > 0 {
                    let z = x[1] * (losses[i] - x[2])
                    let sg = 1 / (1 + Foundation.exp(-z))
                    let r = x[0] * sg + x[3] - metrics[i]
                    f += 0.5 * w[i] * r * r
                    let ds = sg * (1 - sg)
                    g[0] += w[i] * r * sg
                    g[1] += w[i] * r * x[0] * ds * (losses[i] - x[2])
                    g[2] -= w[i] * r * x[0] * ds * x[1]
                    g[3] += w[i] * r
                }
                return f
            }
            if r.value.isFinite && r.value < (best?.value ?? .infinity) { best = r }
        }
        guard let x = best?.x else { throw ScalingLawError.invalidArgument("The task-metric link could not be fitted.") }
        return TaskLink(a: x[0], k: x[1], L0: x[2], b: x[3])
    }
}

/// The two-step task model: the loss law L(N, D) (step 1) and the link from loss to the task
/// metric (step 2). A budget's metric is the link at the law's compute-optimal loss.
public struct TwoStepTaskModel: Sendable {
    public var name: String
    public var fit: ParametricFitResult
    public var link: TaskLink
    /// Bootstrap pairs (law, link): law from ``Bootstrap`` and link from an independent resample of
    /// the (loss, metric) pairs, so both steps' uncertainty reaches the interval.
    public var bootstrap: [(law: ChinchillaLaw, link: TaskLink)]
    public var level: Double

    /// Fits both steps to runs with their metric values (same order), and bootstraps them.
    public static func fit(name: String, runs: [Observation], metrics: [Double], fitOptions: ParametricFitOptions = ParametricFitOptions(),
                           bootstrap: BootstrapOptions = BootstrapOptions()) throws -> TwoStepTaskModel {
        guard runs.count == metrics.count else {
            throw ScalingLawError.invalidArgument("One value of \(name) per run is needed (\(runs.count) runs, \(metrics.count) values).")
        }
        var options = fitOptions
        options.excludeOutliers = 0
        let fit = try ParametricFit.fit(runs, options: options)
        let link = try TaskLinkFit.fit(losses: runs.map(\.loss), metrics: metrics)
        var pairs: [(ChinchillaLaw, TaskLink)] = []
        if bootstrap.replicates > 0 {
            let laws = try Bootstrap.run(fit: fit, fitOptions: options, options: bootstrap).laws
            var rng = SplitMix64(seed: bootstrap.seed ^ 0x7A5C)
            for law in laws {
                var w = [Double](repeating: 0, count: runs.count)
                for _ in runs.indices { w[Int(rng.next() % UInt64(runs.count))] += 1 }
                if let l = try? TaskLinkFit.fit(losses: runs.map(\.loss), metrics: metrics, weights: w) { pairs.append((law, l)) }
            }
        }
        return TwoStepTaskModel(name: name, fit: fit, link: link, bootstrap: pairs, level: bootstrap.level)
    }

    /// The compute-optimal loss at `flops` (C = 6ND) and the metric there, with an interval.
    public func predict(flops: Double) throws -> (loss: Double, metric: Double, interval: Interval?) {
        let loss = try fit.law.computeOptimal(flops: flops).loss
        let values = bootstrap.map { p in (try? p.law.computeOptimal(flops: flops).loss).map { p.link.metric(loss: $0) } ?? .nan }
        return (loss, link.metric(loss: loss), values.isEmpty ? nil : Interval.percentile(values, level: level))
    }
}
