import Foundation

/// What a rollout holds out: the largest compute budgets, or the largest model sizes.
public enum RolloutAxis: String, Sendable, Hashable, Codable, CaseIterable {
    case compute
    case params
}

/// Options of ``Rollout``.
public struct RolloutOptions: Sendable, Hashable {
    /// Hold out the largest budgets (default) or the largest model sizes.
    public var axis: RolloutAxis = .compute
    /// Number of windows: window k holds out the k largest groups (k = 1 is leave-top-budget-out).
    public var windows: Int = 3
    /// Groups of runs without a sweep budget label (imported tables), and every group on the
    /// `params` axis: bins of log10 C (or log10 N) of this width.
    public var binning = LogBinning()
    /// A window is fitted only when at least this many groups are left to fit.
    public var minimumTrainingGroups: Int = 2

    public init() {}
}

/// One group of runs (a budget, a compute bin, or a model-size bin).
public struct RolloutGroup: Sendable, Hashable, Codable {
    /// The sweep's budget label, or the bin's centre.
    public var label: String
    /// Geometric mean of the group's compute (or model size, on the `params` axis).
    public var value: Double
    public var runs: Int
}

/// A held-out run, its prediction by the law fitted without it, and the errors.
public struct RolloutPrediction: Sendable, Hashable, Codable {
    public var observation: Observation
    /// The group (label) the run belongs to.
    public var group: String
    /// Loss the law fitted on the smaller groups predicts.
    public var predicted: Double
    /// That law's E.
    public var irreducible: Double
    /// `(L - L̂) / L̂`: relative error in total loss (positive: the run did worse than predicted).
    public var totalError: Double { (observation.loss - predicted) / predicted }
    /// `(L - L̂) / (L̂ - E)`: the same error relative to the predicted reducible loss.
    public var reducibleError: Double { (observation.loss - predicted) / (predicted - irreducible) }
}

/// Errors of one held-out group in one window.
public struct RolloutGroupError: Sendable, Hashable, Codable {
    public var group: RolloutGroup
    /// How far beyond the largest fitted group it lies: `log10(value / largest fitted value)`.
    public var decadesBeyond: Double
    /// Mean of the runs' `totalError` and `reducibleError`, and the largest |totalError|.
    public var meanTotalError: Double
    public var meanReducibleError: Double
    public var maxAbsTotalError: Double
}

/// One window: the law fitted on every group below the held-out ones, and its predictions.
public struct RolloutWindow: Sendable, Hashable, Codable {
    /// Number of largest groups held out (1 = leave-top-out).
    public var heldOutGroups: Int
    public var trainingRuns: Int
    /// Largest compute (or model size) among the fitted runs.
    public var trainingMaximum: Double
    /// The fitted law's parameters by name.
    public var parameters: [String: Double]
    public var predictions: [RolloutPrediction]
    /// Per held-out group, ascending.
    public var groups: [RolloutGroupError]

    /// Root mean square of the held-out runs' `totalError`.
    public var rmsTotalError: Double {
        (predictions.reduce(0) { $0 + $1.totalError * $1.totalError } / Double(max(1, predictions.count))).squareRoot()
    }
}

/// Result of ``Rollout/run(_:options:fit:)``.
public struct RolloutResult: Sendable, Hashable, Codable {
    public var axis: RolloutAxis
    /// Bin width in decades when runs were binned; nil when the sweep's budget labels were used.
    public var binWidthDecades: Double?
    /// Every group, ascending.
    public var groups: [RolloutGroup]
    /// Windows 1, 2, ... (window k holds out the k largest groups).
    public var windows: [RolloutWindow]
    /// Why the rollout stopped before the requested number of windows, if it did.
    public var stopped: String?
}

/// Rollout (expanding-window backtest) of a law: order the runs' groups by compute (or model size),
/// hold out the largest k groups, refit on the rest, predict the held-out runs; k = 1, 2, ... This
/// is what "how far can I extrapolate" needs: the error of predicting one, two, ... groups beyond
/// the data, as OLMo-core's `analysis/eval.py` and Marin's scaling-law checks do.
///
/// Groups: on the compute axis, a sweep's budget labels when every run has one; otherwise bins of
/// log10 C (``LogBinning``, width stated in the result). On the params axis, bins of log10 N.
public enum Rollout {
    /// Groups of `observations` along `axis`: (group, indices of its runs), ascending.
    public static func groups(_ observations: [Observation], axis: RolloutAxis, binning: LogBinning)
        -> (groups: [(group: RolloutGroup, members: [Int])], binned: Bool) {
        func key(_ o: Observation) -> Double { axis == .compute ? o.computeFlops : o.params }
        if axis == .compute, !observations.isEmpty, observations.allSatisfy({ $0.budget != nil }) {
            var order: [String] = []
            var members: [String: [Int]] = [:]
            for (i, o) in observations.enumerated() {
                if members[o.budget!] == nil { order.append(o.budget!) }
                members[o.budget!, default: []].append(i)
            }
            let out = order.map { label -> (group: RolloutGroup, members: [Int]) in
                let m = members[label]!
                return (RolloutGroup(label: label, value: geometricMean(m.map { key(observations[$0]) }), runs: m.count), m)
            }
            return (out.sorted { $0.group.value < $1.group.value }, false)
        }
        let out = binning.bins(observations.map(key)).map { bin -> (group: RolloutGroup, members: [Int]) in
            let label = String(format: "%.3g", binning.centre(of: bin.index))
            return (RolloutGroup(label: label, value: geometricMean(bin.members.map { key(observations[$0]) }),
                                 runs: bin.members.count), bin.members)
        }
        return (out, true)
    }

    /// Runs the rollout with any law family: `fit` fits a law to the training runs of a window.
    /// A window whose fit throws ends the rollout (the reason in ``RolloutResult/stopped``).
    public static func run(_ observations: [Observation], options: RolloutOptions = RolloutOptions(),
                           fit: ([Observation]) throws -> any LossPredicting) throws -> RolloutResult {
        try Validation.checkValues(observations)
        try options.binning.validate()
        guard options.windows >= 1 else {
            throw ScalingLawError.invalidArgument("A rollout needs at least 1 window (got \(options.windows)).")
        }
        guard options.minimumTrainingGroups >= 1 else {
            throw ScalingLawError.invalidArgument("minimumTrainingGroups must be >= 1 (got \(options.minimumTrainingGroups)).")
        }
        let (grouped, binned) = groups(observations, axis: options.axis, binning: options.binning)
        func key(_ o: Observation) -> Double { options.axis == .compute ? o.computeFlops : o.params }
        var windows: [RolloutWindow] = []
        var stopped: String?
        for k in 1...options.windows {
            let trainingGroups = grouped.count - k
            if trainingGroups < options.minimumTrainingGroups {
                stopped = "window \(k) would leave \(max(0, trainingGroups)) group(s) to fit (at least \(options.minimumTrainingGroups) needed; \(grouped.count) groups in all)"
                break
            }
            let training = grouped.prefix(trainingGroups).flatMap { $0.members }.map { observations[$0] }
            let law: any LossPredicting
            do {
                law = try fit(training)
            } catch {
                stopped = "window \(k) (\(training.count) runs in \(trainingGroups) groups): \(error)"
                break
            }
            let trainingMaximum = training.map(key).max()!
            var predictions: [RolloutPrediction] = []
            var groupErrors: [RolloutGroupError] = []
            for g in grouped.suffix(k) {
                let preds = g.members.map { i in
                    RolloutPrediction(observation: observations[i], group: g.group.label,
                                      predicted: law.predictedLoss(for: observations[i]), irreducible: law.irreducibleLoss)
                }
                predictions += preds
                let n = Double(preds.count)
                groupErrors.append(RolloutGroupError(
                    group: g.group, decadesBeyond: Foundation.log10(g.group.value / trainingMaximum),
                    meanTotalError: preds.reduce(0) { $0 + $1.totalError } / n,
                    meanReducibleError: preds.reduce(0) { $0 + $1.reducibleError } / n,
                    maxAbsTotalError: preds.map { abs($0.totalError) }.max() ?? 0))
            }
            var parameters: [String: Double] = [:]
            for p in law.namedParameters { parameters[p.name] = p.value }
            windows.append(RolloutWindow(heldOutGroups: k, trainingRuns: training.count, trainingMaximum: trainingMaximum,
                                         parameters: parameters, predictions: predictions, groups: groupErrors))
        }
        return RolloutResult(axis: options.axis, binWidthDecades: binned ? options.binning.widthDecades : nil,
                             groups: grouped.map(\.group), windows: windows, stopped: stopped)
    }

    /// The rollout of the parametric (Chinchilla) law, each window fitted with `fitOptions`.
    public static func parametric(_ observations: [Observation], options: RolloutOptions = RolloutOptions(),
                                  fitOptions: ParametricFitOptions = ParametricFitOptions()) throws -> RolloutResult {
        try run(observations, options: options) { try ParametricFit.fit($0, options: fitOptions).law }
    }
}
