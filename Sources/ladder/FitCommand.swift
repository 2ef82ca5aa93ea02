import ArgumentParser
import Foundation
import Jobs
import ScalingLaws
import Store
import Sweeps

extension RolloutAxis: ExpressibleByArgument {}

/// `--law`: a family, or auto (AIC).
enum LawChoice: String, ExpressibleByArgument, CaseIterable {
    case chinchilla, fixedE = "fixed-e", boundedE = "bounded-e", compute, auto

    var family: LawFamily? { LawFamily(rawValue: rawValue) }
}

struct Fit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fit a scaling law to stored runs (or a CSV) and store the fit.",
        discussion: """
            parametric (Chinchilla Approach 3): L(N, D) = E + A/N^alpha + B/D^beta by Huber (delta 1e-3) \
            on log loss, L-BFGS from 4,500 starts, bootstrap percentile intervals. isoflop (Approach 2): \
            a parabola of loss against log N per compute budget, then N_opt = k C^a and D_opt = k' C^b. \
            Uses runs with status done and role fit (validation runs are never fitted). N counts as \
            each run's sweep counts it (total parameters for sweeps made by this version; --params \
            overrides); C is each run's stored FLOPs (a sweep stores them from the run's shape), else 6 N D.
            """)

    enum Method: String, ExpressibleByArgument, CaseIterable { case parametric, isoflop, lr }

    enum Counting: String, ExpressibleByArgument, CaseIterable {
        case total, nonEmbedding = "non-embedding"
        var value: ParameterCounting { self == .total ? .total : .nonEmbedding }
    }

    @Option(help: "Which parameters N counts: total (embeddings included; Hoffmann et al. 2022) or non-embedding (Kaplan et al. 2020). Default: as each run's sweep counts it (total for sweeps made by this version).")
    var params: Counting?

    @OptionGroup var store: StoreOptions

    @Option(help: "Fit the runs of this sweep (default: every stored run).")
    var sweep: String?

    @Option(help: "Fit the runs of a CSV or JSON file (columns params, tokens, loss; optional flops, name, task:NAME) instead.")
    var from: String?

    @Option(help: "parametric, isoflop, or lr (the optimal learning rate as a power law of N, from a learning-rate sweep).")
    var method: Method = .parametric

    @Option(help: "Bootstrap resamples for intervals (0 disables).")
    var bootstrap: Int = 200

    @Option(help: "Interval level, e.g. 0.8 for 80% percentile intervals.")
    var ci: Double = 0.8

    @Option(name: .customLong("exclude-outliers"), help: "Drop the K highest-loss runs before fitting.")
    var excludeOutliers: Int = 0

    @Option(help: "Seed of the bootstrap resampling.")
    var seed: UInt64 = 0x5EED

    @Option(help: "Threads.")
    var threads: Int = 2

    @Option(help: "Law (parametric method): chinchilla, fixed-e (with --e), bounded-e (--e-min, --e-max: default the lowest observed loss), compute (L(C) = E + k C^-gamma on the frontier), or auto (lowest AIC).")
    var law: LawChoice = .chinchilla

    @Option(name: .customLong("e"), help: "fixed-e: the value of E.")
    var eValue: Double?

    @Option(name: .customLong("e-min"), help: "bounded-e: lower bound of E (default 0).")
    var eMin: Double?

    @Option(name: .customLong("e-max"), help: "bounded-e: upper bound of E (default: the lowest observed loss).")
    var eMax: Double?

    @Option(name: .customLong("under-tuned-weight"), help: "Weight (0, 1] of runs above the law (asymmetric fit for under-tuned runs); 1 is symmetric.")
    var underTunedWeight: Double = 1

    @Option(help: "Fit a task metric too: task:NAME (a column of --from, else the metric stored with the runs: imported or written by the trainer; each run's value at its last step). Two steps (Bhagia et al. 2024): the loss law, then the metric as a sigmoid of the loss; plan then predicts the metric.")
    var target: String?

    @Option(help: "Rollout windows (window k refits without the k largest budgets and predicts them; 0 disables).")
    var rollout: Int = 1

    @Option(name: .customLong("rollout-axis"), help: "Hold out the largest budgets (compute) or model sizes (params).")
    var rolloutAxis: RolloutAxis = .compute

    @Option(name: .customLong("bin-width"), help: "Width in decades of the log10 C (or N) bins that group runs without a sweep budget.")
    var binWidth: Double = LogBinning.defaultWidthDecades

    @Flag(name: .customLong("no-store"), help: "Do not store the fit (only with --from).")
    var noStore = false

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        if sweep != nil && from != nil { throw ValidationError("use --sweep or --from, not both") }
        if noStore && from == nil { throw ValidationError("--no-store goes with --from") }
        if bootstrap < 0 { throw ValidationError("--bootstrap must be >= 0") }
        if !(ci > 0 && ci < 1) { throw ValidationError("--ci must be between 0 and 1, e.g. 0.8") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if method == .lr && (from != nil || sweep == nil) { throw ValidationError("--method lr fits the runs of one learning-rate sweep: give --sweep NAME") }
        if rollout < 0 { throw ValidationError("--rollout must be >= 0 (0 disables the rollout)") }
        if let target {
            guard target.hasPrefix("task:"), target.count > 5 else { throw ValidationError("--target takes task:NAME (a task:NAME column of --from, or a task metric stored with the runs), got '\(target)'") }
            guard law == .chinchilla && method == .parametric else { throw ValidationError("--target fits the chinchilla law (no --law or --method)") }
        }
        if !(underTunedWeight > 0 && underTunedWeight <= 1) { throw ValidationError("--under-tuned-weight must be in (0, 1], got \(underTunedWeight)") }
        if law == .fixedE && eValue == nil { throw ValidationError("--law fixed-e needs --e VALUE (the irreducible loss E)") }
        if law != .chinchilla && method == .isoflop { throw ValidationError("--law goes with --method parametric") }
        if !(binWidth.isFinite && binWidth > 0) { throw ValidationError("--bin-width must be a positive number of decades, e.g. 0.25") }
    }

    func run() throws {
        if method == .lr { return try FitLearningRate(store: store, sweep: sweep, counting: params?.value ?? .total, json: json).run() }
        if target != nil { return try runTask() }
        let (observations, runIds, sweepId, db) = try loadObservations()
        let outcome: FitOutcome
        var rolloutResult: RolloutResult?
        var choice: (fitted: FittedLaw, selection: LawSelection?)?
        switch method {
        case .parametric:
            var options = ParametricFitOptions()
            options.threads = threads
            options.excludeOutliers = excludeOutliers
            options.underTunedWeight = underTunedWeight
            var lawOptions = LawFamilyOptions()
            lawOptions.fit = options
            lawOptions.fixedE = eValue
            lawOptions.eLower = eMin ?? 0
            lawOptions.eUpper = eMax
            lawOptions.binning = LogBinning(widthDecades: binWidth)
            var selection: LawSelection?
            let fitted: FittedLaw
            if law == .auto {
                selection = try LawFamilies.select(observations, options: lawOptions)
                fitted = selection!.choice
            } else {
                fitted = try LawFamilies.fit(law.family!, observations, options: lawOptions)
            }
            if rollout > 0 {
                var r = RolloutOptions()
                r.windows = rollout
                r.axis = rolloutAxis
                r.binning = LogBinning(widthDecades: binWidth)
                rolloutResult = try Rollout.run(fitted.fitted, options: r, fit: LawFamilies.fitter(fitted.family, options: lawOptions))
            }
            guard let result = fitted.parametric else {
                // The compute-only law: printed, not stored (the store keeps L(N, D) laws).
                try printComputeLaw(fitted, selection: selection, rollout: rolloutResult)
                return
            }
            options.irreducible = try LawFamilies.irreducible(fitted.family, observations, options: lawOptions).0
            var boot: Bootstrap?
            if bootstrap > 0 {
                var b = BootstrapOptions()
                b.replicates = bootstrap
                b.level = ci
                b.seed = seed
                b.threads = threads
                boot = try Bootstrap.run(fit: result, fitOptions: options, options: b)
            }
            outcome = FitOutcome.parametric(result, boot)
            choice = (fitted, selection)
        case .isoflop:
            outcome = FitOutcome.isoflop(try IsoFLOP.fit(observations, skippingUnusableBudgets: true, binning: LogBinning(widthDecades: binWidth)))
        case .lr:
            preconditionFailure("--method lr returns before loading observations")
        }
        var storedId: Int64?
        var refused: String?
        if case let .parametric(r, _) = outcome, !r.law.isValid {
            refused = "not stored: the law cannot plan (E = \(r.law.E), A = \(r.law.A), B = \(r.law.B), alpha = \(r.law.alpha), beta = \(r.law.beta); every one must be positive and finite). Add runs over a wider range of N and D, or fix E (--law fixed-e --e VALUE)"
        }
        if !noStore, refused == nil, let db {
            var parameters = outcome.parametersObject
            if let choice { LawChoiceFormat.merge(into: &parameters, choice.fitted, choice.selection) }
            // a sweep's fit counted another way than the sweep says: plans must know (FitModel)
            if let counting = params?.value, sweepId != nil {
                parameters["params_counting"] = counting == .total ? "total" : "non_embedding"
            }
            let record = FitRecord(kind: outcome.kind, sweepId: sweepId, parameters: try jsonLine(parameters),
                                   intervals: try outcome.intervalsJSON(),
                                   runIds: String(decoding: try JSONEncoder().encode(runIds), as: UTF8.self))
            storedId = try db.insertFit(record).id
        }
        if json {
            var object = outcome.summary
            if let storedId { object["fit_id"] = storedId }
            if let rolloutResult { object["rollout"] = RolloutFormat.object(rolloutResult) }
            if let choice { object.merge(LawChoiceFormat.object(choice.fitted, choice.selection)) { $1 } }
            print(try jsonLine(object))
        } else {
            if let choice { print(LawChoiceFormat.text(choice.fitted, choice.selection), terminator: "") }
            print(outcome.text, terminator: "")
            if let rolloutResult { print(RolloutFormat.text(rolloutResult), terminator: "") }
            if let storedId { print("stored as fit \(storedId)") }
        }
        if let refused { throw ValidationError(refused) }
    }

    /// Prints (text or JSON) a compute-only law, which is not stored.
    func printComputeLaw(_ fitted: FittedLaw, selection: LawSelection?, rollout: RolloutResult?) throws {
        if json {
            var object = LawChoiceFormat.object(fitted, selection)
            if let rollout { object["rollout"] = RolloutFormat.object(rollout) }
            print(try jsonLine(object))
        } else {
            print(LawChoiceFormat.text(fitted, selection), terminator: "")
            if let rollout { print(RolloutFormat.text(rollout), terminator: "") }
            print("not stored: the store keeps L(N, D) laws")
        }
    }

    /// Observations from the CSV or the store; runs' ids for the fit record.
    func loadObservations() throws -> ([Observation], [Int64], Int64?, ResultStore?) {
        if let from {
            let runs = try readImportFile(from).runs
            let obs = runs.map { Observation(params: $0.params, tokens: $0.tokens, loss: $0.loss, flops: $0.flops, name: $0.name) }
            return (obs, [], nil, noStore ? nil : try store.open())
        }
        let db = try store.openExisting()
        var sweepId: Int64?
        if let sweep {
            guard let s = try db.sweep(named: sweep) else { throw ValidationError("no sweep named '\(sweep)' in \(db.path)") }
            sweepId = s.id
        }
        let (obs, ids) = try fittedObservations(db, sweep: sweep, counting: params?.value)
        if obs.isEmpty {
            throw ValidationError("no finished runs to fit\(sweep.map { " in sweep '\($0)'" } ?? "") in \(db.path)")
        }
        return (obs, ids, sweepId, db)
    }
}
