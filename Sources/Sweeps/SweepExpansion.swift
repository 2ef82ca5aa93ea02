import Foundation
import ScalingLaws
import Training

/// One run of a sweep, fully determined: its shape, size, tokens, compute and trainer config.
public struct PlannedRun: Equatable, Sendable {
    public enum Role: String, Sendable, Codable { case fit, validation }
    public var name: String
    public var role: Role
    /// IsoFLOP budget label (the budget's FLOPs as written), nil for explicit points.
    public var budget: String?
    public var shape: ModelShape
    /// Non-embedding parameters N of the shape (what laws are fitted in).
    public var params: Double
    public var paramsTotal: Double
    /// Tokens D actually trained (whole optimizer steps).
    public var tokens: Double
    /// C = 6 N D.
    public var flops: Double
    public var config: TrainConfig
    /// WSD cooldown mode: trunk or branch (nil for ordinary runs).
    public var wsd: WSDPart?

    /// Steps this run trains itself: a branch starts at its trunk's step.
    public var stepsTrained: Int {
        if case let .branch(_, step) = wsd { return config.train.steps - step }
        return config.train.steps
    }
    /// Compute this run spends itself (6 N x the tokens it trains), which for a branch is less
    /// than the C = 6 N D of its point.
    public var flopsSpent: Double { flops * Double(stepsTrained) / Double(config.train.steps) }

    /// The run's config as stored: the trainer config plus the sweep's labels (a branch's names
    /// its trunk's run id).
    public func configJSON(sweep: String, trunkRunId: Int64? = nil) throws -> String {
        let data = try JSONEncoder().encode(config)
        var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        var labels: [String: Any] = ["name": sweep, "role": role.rawValue]
        if let budget { labels["budget"] = budget }
        switch wsd {
        case .trunk: labels["wsd"] = "trunk"
        case let .branch(_, step):
            labels["wsd"] = "branch"
            labels["branch_step"] = step
            if let trunkRunId { labels["trunk_run"] = trunkRunId }
        case nil: break
        }
        object["sweep"] = labels
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
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
        for seed in spec.grid.seeds {
            for budget in spec.grid.budgets {
                let label = Self.label(budget.flops)
                for i in 0..<budget.sizes {
                    let t = budget.sizes == 1 ? 0.5 : Double(i) / Double(budget.sizes - 1)
                    let target = exp(log(budget.minParams) + t * (log(budget.maxParams) - log(budget.minParams)))
                    let run = try plan(spec, params: target, flops: budget.flops, tokens: nil, budget: label, seed: seed, role: .fit)
                    if names.insert(run.name).inserted { runs.append(run) }
                }
            }
            for point in spec.grid.points {
                let run = try plan(spec, params: point.params, flops: nil, tokens: point.tokens, budget: nil, seed: seed, role: .fit)
                if names.insert(run.name).inserted { runs.append(run) }
            }
            if let wsd = spec.wsd {
                for run in try wsdRuns(spec, wsd, seed: seed) where names.insert(run.name).inserted { runs.append(run) }
            }
        }
        return runs
    }

    /// Every size's trunk first (they are the long runs the branches wait for), then the branches:
    /// branch i trains D_i tokens in all, the last round(f x steps_i) steps cooling down, and
    /// starts from the trunk at steps_i minus those.
    static func wsdRuns(_ spec: SweepSpec, _ wsd: WSDSettings, seed: UInt64) throws -> [PlannedRun] {
        var runs: [PlannedRun] = [], branchRuns: [PlannedRun] = []
        for n in wsd.params {
            // tokens per step of this size (its batch may follow grid.batch_rule)
            let probe = try plan(spec, params: n, flops: nil, tokens: 1e15, budget: nil, seed: seed, role: .fit)
            let perStep = Double(probe.config.train.batch * probe.config.train.microBatches * spec.model.seqLen)
            let points = Array(Set(wsd.tokens.map { max(2, Int(($0 / perStep).rounded())) })).sorted()
            let starts = points.map { $0 - max(1, Int((Double($0) * wsd.cooldownFraction).rounded())) }
            var trunk = try plan(spec, params: n, flops: nil, tokens: Double(starts.max()!) * perStep, budget: nil,
                                 seed: seed, role: .fit)
            let warmup = min(spec.train.warmup, starts.min()! / 5)
            trunk.config.train.schedule = .constant
            trunk.config.train.warmup = warmup
            trunk.config.train.saveAt = starts
            trunk.name = "wsd-trunk-" + trunk.name
            trunk.wsd = .trunk
            do { try trunk.config.validate() } catch { throw SweepError.invalid("wsd trunk for N = \(Int(n)): \(error)") }
            runs.append(trunk)
            for (steps, start) in zip(points, starts) {
                var branch = try plan(spec, params: n, flops: nil, tokens: Double(steps) * perStep, budget: nil,
                                      seed: seed, role: .fit)
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
                     seed: UInt64, role: PlannedRun.Role) throws -> PlannedRun {
        let m = spec.model
        let choice: ShapeChoice
        do {
            choice = try ModelShape.search(params: target, vocab: m.vocab, seqLen: m.seqLen, minLayers: m.minLayers)
        } catch {
            throw SweepError.invalid("no model shape for N = \(target): \(error)")
        }
        let shape = choice.shape
        let model = GPTConfig(vocab: m.vocab, seqLen: m.seqLen, dModel: shape.dModel, nLayer: shape.nLayer,
                              nHead: shape.nHead, mlpRatio: shape.dFF / shape.dModel, position: m.position, norm: m.norm,
                              tiedHead: m.tiedHead)
        let layout = ParameterLayout(model)
        let n = Double(layout.nonEmbeddingCount(model))
        var train = spec.train
        if spec.grid.batchRule == .params {
            train.batch = max(1, Int((Double(train.batch) * pow(n / spec.grid.batchReferenceParams, spec.grid.batchParamsExponent)).rounded()))
        }
        let perStep = Double(train.batch * train.microBatches * m.seqLen)
        let wanted = tokens ?? flops! / (6 * n)
        let steps = Int((wanted / perStep).rounded())
        guard steps >= 1 else {
            let what = flops.map { "budget \(label($0))" } ?? "point (N = \(target), D = \(wanted))"
            throw SweepError.invalid("\(what): N = \(Int(n)) gets \(Int(wanted)) tokens, less than one step of \(Int(perStep)) tokens (train.batch x seq_len); raise the budget or lower min_params")
        }
        train.steps = steps
        train.seed = seed
        train.warmup = min(train.warmup, steps / 5)
        train.evalInterval = max(1, steps / spec.grid.evalsPerRun)
        train.checkpointInterval = max(1, steps / spec.grid.checkpointsPerRun)
        if spec.grid.lrRule == .width {
            train.lr *= pow(Double(spec.grid.lrReferenceWidth) / Double(shape.dModel), spec.grid.lrWidthExponent)
        }
        let config = TrainConfig(model: model, data: spec.data, train: train)
        do { try config.validate() } catch { throw SweepError.invalid("run for N = \(Int(n)): \(error)") }
        let d = Double(steps) * perStep
        let prefix = role == .validation ? "val-" : ""
        let name = "\(prefix)\(budget.map { $0.hasPrefix("val-") ? String($0.dropFirst(4)) : $0 }.map { "c\($0)-" } ?? "")n\(shape.nLayer)x\(shape.dModel)-d\(Int(d))-s\(seed)"
        return PlannedRun(name: name, role: role, budget: budget, shape: shape, params: n,
                          paramsTotal: Double(layout.count), tokens: d, flops: 6 * n * d, config: config)
    }
}
