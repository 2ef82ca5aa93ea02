import Foundation
import Randomness

/// Options of ``Comparison``.
public struct ComparisonOptions: Sendable {
    /// Options of each group's separate parametric fit (the joint fit uses its δ and L-BFGS settings).
    public var fit = ParametricFitOptions()
    /// Bootstrap of the multiplier: runs resampled within each group.
    public var bootstrap = BootstrapOptions()
    /// Budgets at which the separate fits' multiplier is reported.
    public var plannedFlops: [Double] = []

    public init() {}
}

/// The joint fit: E, alpha and beta shared by every group, A and B per group.
public struct JointFit: Sendable, Codable {
    public var E: Double
    public var alpha: Double
    public var beta: Double
    /// One law per group (baseline first), sharing E, alpha, beta.
    public var laws: [ChinchillaLaw]
    /// Objective (sum of Huber losses over all runs).
    public var objective: Double
    /// Goodness of fit over all runs, `3 + 2·groups` parameters.
    public var statistics: FitStatistics
}

/// A variant's effective compute multiplier: `L_variant(C) = L_baseline(m · C)` on the frontier.
public struct MultiplierEstimate: Sendable, Codable {
    public var variant: String
    /// Compute budget (nil for the joint fit's multiplier, which is the same at every budget).
    public var flops: Double?
    public var value: Double
    public var interval: Interval?
}

/// Result of ``Comparison/run(baseline:variants:options:)``.
public struct ComputeComparison: Sendable {
    /// Group names, baseline first.
    public var names: [String]
    public var runs: [Int]
    public var joint: JointFit
    /// Each group's own law.
    public var separate: [ParametricFitResult]
    /// Goodness of the separate laws over all runs (`5·groups` parameters).
    public var separateStatistics: FitStatistics
    /// `AIC(joint) - AIC(separate)`: negative when sharing the exponents and E is justified.
    public var deltaAIC: Double { joint.statistics.aic - separateStatistics.aic }
    public var sharingJustified: Bool { deltaAIC <= 0 }
    /// Joint-fit multiplier of each variant, with a bootstrap interval.
    public var multipliers: [MultiplierEstimate]
    /// Separate fits' multiplier of each variant at each planned budget, with bootstrap intervals.
    public var planned: [MultiplierEstimate]
    /// Bootstrap resamples and interval level.
    public var resamples: Int
    public var level: Double
}

/// Effective compute multipliers between a baseline ladder and variants (OLMo's and Marin's
/// "is my change worth it"): fit all groups jointly with shared E, alpha, beta (and per-group A, B),
/// so each group's frontier is `E + K_g C^-gamma` with the same gamma = alpha beta / (alpha + beta)
/// and a variant's multiplier `m = (K_baseline / K_variant)^(1/gamma)` is the same at every budget;
/// fit each group separately as well, to show whether sharing is justified (AIC) and what the
/// multiplier is at the planned budgets when the exponents differ. Intervals: a bootstrap that
/// resamples runs within each group.
public enum Comparison {
    /// The multiplier m with `L*_variant(C) = L*_baseline(m C)`, L* the compute-optimal loss
    /// (C = 6 N D). +inf when the variant's frontier at C is below anything the baseline reaches
    /// within 10^13 C; 0 when above the baseline's at 10^-13 C.
    public static func multiplier(baseline: ChinchillaLaw, variant: ChinchillaLaw, flops: Double) -> Double {
        guard let target = try? variant.computeOptimal(flops: flops).loss else { return .nan }
        func gap(_ logM: Double) -> Double {
            ((try? baseline.computeOptimal(flops: flops * Foundation.exp(logM)).loss) ?? .nan) - target
        }
        var lo = -30.0, hi = 30.0
        let gLo = gap(lo), gHi = gap(hi)
        guard gLo.isFinite && gHi.isFinite else { return .nan }
        if gHi > 0 { return .infinity }
        if gLo < 0 { return 0 }
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if gap(mid) > 0 { lo = mid } else { hi = mid }
            if hi - lo < 1e-12 { break }
        }
        return Foundation.exp((lo + hi) / 2)
    }

    public static func run(baseline: (name: String, runs: [Observation]), variants: [(name: String, runs: [Observation])],
                           options: ComparisonOptions = ComparisonOptions()) throws -> ComputeComparison {
        guard !variants.isEmpty else { throw ScalingLawError.invalidArgument("A comparison needs a baseline and at least one variant.") }
        let groups = [baseline] + variants
        for f in options.plannedFlops where !(f.isFinite && f > 0) {
            throw ScalingLawError.invalidArgument("Planned budgets must be finite and positive FLOPs (got \(f)).")
        }
        var separate: [ParametricFitResult] = []
        for g in groups {
            do { separate.append(try ParametricFit.fit(g.runs, options: options.fit)) }
            catch { throw ScalingLawError.invalidArgument("\(g.name): \(error)") }
        }
        let data = separate.map(\.observations)
        let joint = try fitJoint(data, starts: jointStarts(separate), options: options.fit, weights: nil)
        let all = data.flatMap { $0 }
        let separateStats = statistics(laws: separate.map(\.law), data: data, parameters: 5 * groups.count)

        // Bootstrap: resample within each group; joint refits start from the joint optimum and the
        // separate fits' exponents; separate refits from each group's local minima (``Bootstrap``).
        let boot = options.bootstrap
        var jointLaws: [[ChinchillaLaw]] = []
        if boot.replicates > 0 {
            let starts = [jointVector(joint)] + jointStarts(separate)
            let results = UnsafeMutableBufferPointer<[ChinchillaLaw]>.allocate(capacity: boot.replicates)
            defer { results.deallocate() }
            let slots = ParallelSlots(results)
            parallelFor(boot.replicates, threads: boot.threads, chunk: 1) { k in
                var rng = SplitMix64(seed: boot.seed ^ (UInt64(k + 1) &* 0x9E37_79B9_7F4A_7C15))
                let weights = data.map { runs -> [Double] in
                    var w = [Double](repeating: 0, count: runs.count)
                    for _ in 0..<runs.count { w[Int(rng.next() % UInt64(runs.count))] += 1 }
                    return w
                }
                let fit = try? fitJoint(data, starts: starts, options: options.fit, weights: weights)
                slots.initialize(k, to: fit?.laws ?? [])
            }
            jointLaws = Array(results).filter { !$0.isEmpty }
            _ = results.baseAddress!.deinitialize(count: boot.replicates)
        }
        var separateBoot: [Bootstrap] = []
        if boot.replicates > 0 && !options.plannedFlops.isEmpty {
            for (i, s) in separate.enumerated() {
                var b = boot
                b.seed = boot.seed &+ UInt64(i + 1) &* 0x51_7CC1
                separateBoot.append(try Bootstrap.run(fit: s, fitOptions: options.fit, options: b))
            }
        }

        let reference = geometricMean(all.map(\.computeFlops))
        var multipliers: [MultiplierEstimate] = []
        var planned: [MultiplierEstimate] = []
        for v in 1..<groups.count {
            let m = multiplier(baseline: joint.laws[0], variant: joint.laws[v], flops: reference)
            let iv = jointLaws.isEmpty ? nil : Interval.percentile(
                jointLaws.map { multiplier(baseline: $0[0], variant: $0[v], flops: reference) }, level: boot.level)
            multipliers.append(MultiplierEstimate(variant: groups[v].name, flops: nil, value: m, interval: iv))
            for c in options.plannedFlops {
                let value = multiplier(baseline: separate[0].law, variant: separate[v].law, flops: c)
                var interval: Interval?
                if separateBoot.count == groups.count {
                    let pairs = zip(separateBoot[0].laws, separateBoot[v].laws)
                    interval = Interval.percentile(pairs.map { multiplier(baseline: $0.0, variant: $0.1, flops: c) }, level: boot.level)
                }
                planned.append(MultiplierEstimate(variant: groups[v].name, flops: c, value: value, interval: interval))
            }
        }
        return ComputeComparison(names: groups.map(\.name), runs: data.map(\.count), joint: joint, separate: separate,
                                separateStatistics: separateStats, multipliers: multipliers, planned: planned,
                                resamples: jointLaws.count, level: boot.level)
    }

    // MARK: - Joint fit

    /// Coordinates `[e, alpha, beta, a_0, b_0, a_1, b_1, ...]`.
    static func jointVector(_ j: JointFit) -> [Double] {
        [Foundation.log(j.E), j.alpha, j.beta] + j.laws.flatMap { [Foundation.log($0.A), Foundation.log($0.B)] }
    }

    /// Starts: the shared (e, alpha, beta) of each group's separate fit, with every group's own
    /// (a, b) refitted... approximately: the group's own a, b shifted so its law matches at the
    /// group's geometric-mean N and D under the shared exponents.
    static func jointStarts(_ separate: [ParametricFitResult]) -> [[Double]] {
        separate.map { source -> [Double] in
            let shared = source.law
            var x = [Foundation.log(shared.E), shared.alpha, shared.beta]
            for s in separate {
                let n = geometricMean(s.observations.map(\.params)), d = geometricMean(s.observations.map(\.tokens))
                // Keep each term's value at (n, d): A' n^-alpha' = A n^-alpha.
                let a = Foundation.log(s.law.A) - s.law.alpha * Foundation.log(n) + shared.alpha * Foundation.log(n)
                let b = Foundation.log(s.law.B) - s.law.beta * Foundation.log(d) + shared.beta * Foundation.log(d)
                x += [a, b]
            }
            return x
        }
    }

    static func fitJoint(_ data: [[Observation]], starts: [[Double]], options: ParametricFitOptions,
                         weights: [[Double]]?) throws -> JointFit {
        let objectives = data.indices.map {
            FitObjective(observations: data[$0], weights: weights?[$0], delta: options.delta, underTunedWeight: options.underTunedWeight)
        }
        let optimizer = LBFGS(options: options.lbfgs)
        var best: LBFGS.Result?
        for s in starts {
            let r = optimizer.minimize(from: s) { x, g in
                var f = 0.0
                for i in 0..<g.count { g[i] = 0 }
                var gi = [Double](repeating: 0, count: 5)
                for (k, obj) in objectives.enumerated() {
                    f += obj.valueAndGradient([x[3 + 2 * k], x[4 + 2 * k], x[0], x[1], x[2]], gradient: &gi)
                    g[3 + 2 * k] += gi[0]; g[4 + 2 * k] += gi[1]
                    g[0] += gi[2]; g[1] += gi[3]; g[2] += gi[4]
                }
                return f
            }
            if r.value.isFinite && r.value < (best?.value ?? .infinity) { best = r }
        }
        guard let x = best?.x else {
            throw ScalingLawError.invalidArgument("The joint fit produced no finite objective from any start.")
        }
        let laws = data.indices.map { k in ChinchillaLaw(a: x[3 + 2 * k], b: x[4 + 2 * k], e: x[0], alpha: x[1], beta: x[2]) }
        return JointFit(E: Foundation.exp(x[0]), alpha: x[1], beta: x[2], laws: laws, objective: best!.value,
                        statistics: statistics(laws: laws, data: data, parameters: 3 + 2 * data.count))
    }

    /// Statistics of one law per group over all runs pooled.
    static func statistics(laws: [ChinchillaLaw], data: [[Observation]], parameters: Int) -> FitStatistics {
        struct PerGroup: LossPredicting {
            var laws: [String: ChinchillaLaw]
            func predictedLoss(for run: Observation) -> Double { laws[run.budget!]!.predictedLoss(for: run) }
            var irreducibleLoss: Double { .nan }
            var namedParameters: [(name: String, value: Double)] { [] }
        }
        var tagged: [Observation] = []
        var map: [String: ChinchillaLaw] = [:]
        for (k, runs) in data.enumerated() {
            map[String(k)] = laws[k]
            tagged += runs.map { var o = $0; o.budget = String(k); return o }
        }
        return FitStatistics.of(PerGroup(laws: map), on: tagged, parameters: parameters)
    }
}
