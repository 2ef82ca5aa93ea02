import Foundation
import ScalingLaws
import Store
import Training

/// One run of a sweep, fully determined: its shape, size, tokens, compute and trainer config.
public struct PlannedRun: Equatable, Sendable {
    public enum Role: String, Sendable, Codable { case fit, validation }
    public var name: String
    public var role: Role
    /// IsoFLOP budget label (the budget's FLOPs as written), nil for explicit points.
    public var budget: String?
    public var shape: ModelShape
    /// Parameters N of the shape as the sweep counts them (`[model] params`: total by default).
    public var params: Double
    /// Non-embedding and total parameters of the shape (the store's `params` and `params_total`).
    public var paramsNonEmbedding: Double
    public var paramsTotal: Double
    /// Tokens D actually trained (whole optimizer steps).
    public var tokens: Double
    /// C: training FLOPs of every matmul, the output head and attention (``ModelShape/trainingFlopsPerToken``) x D.
    public var flops: Double
    public var config: TrainConfig
    /// WSD cooldown mode: trunk or branch (nil for ordinary runs).
    public var wsd: WSDPart?

    /// Steps this run trains itself: a branch starts at its trunk's step.
    public var stepsTrained: Int {
        if case let .branch(_, step) = wsd { return config.train.steps - step }
        return config.train.steps
    }
    /// Compute this run spends itself (C x the fraction of steps it trains), which for a branch is
    /// less than the C of its point.
    public var flopsSpent: Double { flops * Double(stepsTrained) / Double(config.train.steps) }

    /// The run's config as stored: the trainer config plus the sweep's labels (a branch's names
    /// its trunk's run id).
    public func configJSON(sweep: String, trunkRunId: Int64? = nil) throws -> String {
        var labels = SweepLabels()
        labels.sweep = sweep
        labels.role = role.rawValue
        labels.counting = params == paramsTotal ? .total : .nonEmbedding
        labels.budget = budget
        switch wsd {
        case .trunk: labels.wsd = .trunk
        case let .branch(_, step):
            labels.wsd = .branch
            labels.branchStep = step
            labels.trunkRun = trunkRunId
        case nil: break
        }
        return try labels.stored(in: String(decoding: try JSONEncoder().encode(config), as: UTF8.self))
    }
}

/// Turns a sweep spec into runs: IsoFLOP budgets x log-spaced sizes x seeds, explicit points x seeds.
public enum SweepExpansion {
    /// The fit runs of the grid, in order; sizes that round to the same shape within a budget are
    /// kept once.
    public static func fitRuns(_ spec: SweepSpec) throws -> [PlannedRun] {
        try spec.validate()
        var runs: [PlannedRun] = []
        var names = Set<String>()
        var seen = Set<UInt64>()
        let budgetSeeds: (SweepSpec.Budget) -> [UInt64] = { $0.seeds ?? spec.grid.seeds }
        let allSeeds = spec.grid.seeds + spec.grid.budgets.flatMap(budgetSeeds)
        for seed in allSeeds where seen.insert(seed).inserted {
            for budget in spec.grid.budgets where budgetSeeds(budget).contains(seed) {
                let label = Self.label(budget.flops)
                for i in 0..<budget.sizes {
                    let t = budget.sizes == 1 ? 0.5 : Double(i) / Double(budget.sizes - 1)
                    let target = exp(log(budget.minParams) + t * (log(budget.maxParams) - log(budget.minParams)))
                    let run = try plan(spec, params: target, flops: budget.flops, tokens: nil, budget: label, seed: seed, role: .fit)
                    if names.insert(run.name).inserted { runs.append(run) }
                }
            }
            for point in spec.grid.points where spec.grid.seeds.contains(seed) {
                let run = try plan(spec, params: point.params, flops: nil, tokens: point.tokens, budget: nil, seed: seed, role: .fit)
                if names.insert(run.name).inserted { runs.append(run) }
            }
            if let wsd = spec.wsd, spec.grid.seeds.contains(seed) {
                for run in try wsdRuns(spec, wsd, seed: seed) where names.insert(run.name).inserted { runs.append(run) }
            }
        }
        guard let lrs = spec.grid.lrs, !lrs.isEmpty else { return runs }
        // a learning-rate sweep: every run at every listed peak rate
        return runs.flatMap { run in
            lrs.map { lr in
                var r = run
                r.config.train.lr = lr
                r.name += "-lr" + String(format: "%.3g", lr).replacingOccurrences(of: "e-0", with: "e-")
                return r
            }
        }
    }

    /// Every size's trunk first (they are the long runs the branches wait for), then the branches:
    /// branch i trains D_i tokens in all, the last round(f x steps_i) steps cooling down, and
    /// starts from the trunk at steps_i minus those.
    static func wsdRuns(_ spec: SweepSpec, _ wsd: WSDSettings, seed: UInt64) throws -> [PlannedRun] {
        var runs: [PlannedRun] = [], branchRuns: [PlannedRun] = []
        for n in wsd.params {
            // tokens per step of this size: its batch may follow grid.batch_rule, and a trunk and its
            // branches share one batch (a branch replays its trunk), the one of its largest token count
            let probe = try plan(spec, params: n, flops: nil, tokens: wsd.tokens.max()!, budget: nil, seed: seed, role: .fit)
            let batch = probe.config.train.batch
            let perStep = Double(batch * probe.config.train.microBatches * spec.model.seqLen)
            // token counts become step counts: checked before any conversion to Int (found by .ci/fuzz)
            if let d = wsd.tokens.first(where: { !(($0 / perStep).rounded() <= Double(TrainConfig.Optimization.maxSteps)) }) {
                throw SweepError.invalid("wsd.tokens: \(d) tokens would take more than \(TrainConfig.Optimization.maxSteps) steps at \(Int(perStep)) tokens per step (N = \(n)); give at most \(Double(TrainConfig.Optimization.maxSteps) * perStep) tokens")
            }
            let points = Array(Set(wsd.tokens.map { max(2, Int(($0 / perStep).rounded())) })).sorted()
            let starts = points.map { $0 - max(1, Int((Double($0) * wsd.cooldownFraction).rounded())) }
            var trunk = try plan(spec, params: n, flops: nil, tokens: Double(starts.max()!) * perStep, budget: nil,
                                 seed: seed, role: .fit, batchOverride: batch)
            // one warmup for the trunk and all its branches (a branch must replay the trunk's rate)
            let warmup = spec.grid.warmupTokensPerParam.map {
                min(Int(($0 * probe.params / perStep).rounded()), Int(Double(starts.min()!) * spec.grid.warmupMaxFraction))
            } ?? min(spec.train.warmup, starts.min()! / 5)
            trunk.config.train.schedule = .constant
            trunk.config.train.warmup = warmup
            trunk.config.train.saveAt = starts
            trunk.name = "wsd-trunk-" + trunk.name
            trunk.wsd = .trunk
            do { try trunk.config.validate() } catch { throw SweepError.invalid("wsd trunk for N = \(Int(n)): \(error)") }
            runs.append(trunk)
            for (steps, start) in zip(points, starts) {
                var branch = try plan(spec, params: n, flops: nil, tokens: Double(steps) * perStep, budget: nil,
                                      seed: seed, role: .fit, batchOverride: batch)
                var t = branch.config.train
                t.lr = trunk.config.train.lr
                t.warmup = warmup
                t.schedule = .wsd
                t.cooldownFraction = Double(steps - start) / Double(steps)
                t.cooldownShape = wsd.cooldownShape
                t.minLRRatio = wsd.minLRRatio
                t.evalInterval = max(1, (steps - start) / 2)
                t.checkpointInterval = max(1, (steps - start) / 2)
                branch.config.train = t
                branch.name = "wsd-" + branch.name
                branch.wsd = .branch(trunk: trunk.name, step: start)
                do { try branch.config.validate() } catch { throw SweepError.invalid("wsd branch for N = \(Int(n)): \(error)") }
                branchRuns.append(branch)
            }
        }
        return runs + branchRuns
    }

    /// A validation run for `budget` with `params` (the law's optimum, or the file's choice).
    public static func validationRun(_ spec: SweepSpec, flops: Double, params: Double) throws -> PlannedRun {
        try plan(spec, params: params, flops: flops, tokens: nil, budget: "val-" + label(flops),
                 seed: spec.grid.seeds[0], role: .validation)
    }

    /// "1e+11" -> "1e11", "3e+12" -> "3e12": the budget as people write it.
    public static func label(_ flops: Double) -> String {
        String(format: "%.3g", flops).replacingOccurrences(of: "e+", with: "e").replacingOccurrences(of: "e0", with: "e")
    }

    static func plan(_ spec: SweepSpec, params target: Double, flops: Double?, tokens: Double?, budget: String?,
                     seed: UInt64, role: PlannedRun.Role, batchOverride: Int? = nil) throws -> PlannedRun {
        let m = spec.model
        let choice: ShapeChoice
        do {
            if let family = m.family {
                choice = try family.shape(params: target, counting: m.counting, vocab: m.vocab, seqLen: m.seqLen)
            } else {
                choice = try ModelShape.search(params: target, counting: m.counting, vocab: m.vocab, seqLen: m.seqLen,
                                               minLayers: m.minLayers)
            }
        } catch {
            throw SweepError.invalid("no model shape for N = \(target): \(error)")
        }
        let shape = choice.shape
        var model = GPTConfig(vocab: m.vocab, seqLen: m.seqLen, dModel: shape.dModel, nLayer: shape.nLayer,
                              nHead: shape.nHead, mlpRatio: shape.dFF / shape.dModel, position: m.position, norm: m.norm,
                              tiedHead: m.tiedHead)
        model.initialization = m.initialization
        let layout = ParameterLayout(model)
        let n = Double(m.counting == .total ? layout.count : layout.nonEmbeddingCount(model))
        let flopsPerToken = shape.trainingFlopsPerToken
        var train = spec.train
        let wanted = tokens ?? flops! / flopsPerToken
        let g = spec.grid
        if let batch = batchOverride {
            train.batch = batch
        } else if g.batchRule != .fixed {
            let (x, reference, exponent, keys) = g.batchRule == .params
                ? (n, g.batchReferenceParams, g.batchParamsExponent, "grid.batch_reference_params and grid.batch_params_exponent")
                : (wanted, g.batchReferenceTokens, g.batchTokensExponent, "grid.batch_reference_tokens and grid.batch_tokens_exponent")
            let scaled = (Double(train.batch) * pow(x / reference, exponent)).rounded()
            guard scaled.isFinite, scaled <= Double(1 << 24) else {
                throw SweepError.invalid("grid.batch_rule = \"\(g.batchRule.rawValue)\": N = \(n), D = \(wanted) gets batch \(scaled), more than \(1 << 24); check \(keys)")
            }
            train.batch = max(1, Int(scaled))
        }
        let perStep = Double(train.batch) * Double(train.microBatches) * Double(m.seqLen)
        let exactSteps = (wanted / perStep).rounded()
        guard exactSteps.isFinite, exactSteps <= Double(TrainConfig.Optimization.maxSteps) else {
            let what = flops.map { "budget \(label($0))" } ?? "point (N = \(target), D = \(wanted))"
            throw SweepError.invalid("\(what): N = \(n) would train \(exactSteps) steps, more than \(TrainConfig.Optimization.maxSteps); lower the budget or raise min_params")
        }
        let steps = Int(exactSteps)
        guard steps >= 1 else {
            let what = flops.map { "budget \(label($0))" } ?? "point (N = \(target), D = \(wanted))"
            throw SweepError.invalid("\(what): N = \(Int(n)) gets \(Int(wanted)) tokens, less than one step of \(Int(perStep)) tokens (train.batch x seq_len); raise the budget or lower min_params")
        }
        train.steps = steps
        train.seed = seed
        if let r = g.warmupTokensPerParam {
            train.warmup = min(Int((r * n / perStep).rounded()), Int(Double(steps) * g.warmupMaxFraction))
        } else {
            train.warmup = min(train.warmup, steps / 5)
        }
        if let h = g.beta2HalfLifeTokens { train.beta2 = pow(0.5, perStep / h) }
        if let e = g.evalTokens { train.evalTokens = e; train.finalEvalTokens = 0 }
        train.evalInterval = max(1, steps / g.evalsPerRun)
        train.checkpointInterval = max(1, steps / g.checkpointsPerRun)
        switch g.lrRule {
        case .fixed: break
        case .width: train.lr *= pow(Double(g.lrReferenceWidth) / Double(shape.dModel), g.lrWidthExponent)
        case .params:
            train.lr *= pow(n / g.lrReferenceParams, g.lrParamsExponent) * pow(Double(steps) * perStep / g.lrReferenceTokens, g.lrTokensExponent)
        case .fitted:
            guard let law = spec.lrLaw else {
                throw SweepError.invalid("grid.lr_rule = \"fitted\" needs a learning-rate law (`ladder fit --method lr`)")
            }
            train.lr = law.lr(params: n, tokens: Double(steps) * perStep)
        }
        // Adam's square-root rule (Malladi et al. 2022) when the batch follows a rule
        if g.lrBatchExponent != 0 {
            train.lr *= pow(Double(train.batch) / Double(g.lrReferenceBatch ?? spec.train.batch), g.lrBatchExponent)
        }
        let config = TrainConfig(model: model, data: spec.data, train: train)
        do { try config.validate() } catch { throw SweepError.invalid("run for N = \(Int(n)): \(error)") }
        let d = Double(steps) * perStep
        let prefix = role == .validation ? "val-" : ""
        let name = "\(prefix)\(budget.map { $0.hasPrefix("val-") ? String($0.dropFirst(4)) : $0 }.map { "c\($0)-" } ?? "")n\(shape.nLayer)x\(shape.dModel)-d\(Int(d))-s\(seed)"
        return PlannedRun(name: name, role: role, budget: budget, shape: shape, params: n,
                          paramsNonEmbedding: Double(layout.nonEmbeddingCount(model)), paramsTotal: Double(layout.count), tokens: d, flops: flopsPerToken * d, config: config)
    }
}
