import Foundation
import ScalingLaws
import Store
import Training

/// A sweep file (`Sweeps/*.toml`) as a typed value: the data, the model family, the trainer
/// settings shared by all runs, the grid of (N, D) points, validation budgets, and what to plan at
/// the end.
public struct SweepSpec: Codable, Equatable, Sendable {
    public var name: String
    public var description: String?
    public var data: TrainConfig.DataConfig
    public var model: ModelFamily
    public var train: TrainConfig.Optimization
    public var grid: Grid
    public var validation: [ValidationBudget]
    public var plan: PlanSettings
    public var executor: ExecutorSettings
    /// WSD cooldown mode: per model size one constant-rate trunk with cooldown branches.
    public var wsd: WSDSettings?
    /// The learning-rate law `grid.lr_rule = "fitted"` uses, found in the store by the driver
    /// (not part of the file).
    public var lrLaw: LearningRateLaw?

    /// What every run's model shares; its width and depth come from N by the planner's shape rule.
    public struct ModelFamily: Codable, Equatable, Sendable {
        public var vocab: Int = 256
        public var seqLen: Int = 128
        public var position: GPTConfig.Position = .learned
        public var norm: GPTConfig.Norm = .layerNorm
        public var tiedHead: Bool = true
        /// Weight initialization of every run (`gpt2` or `small`; see ``GPTConfig/Initialization``).
        public var initialization: GPTConfig.Initialization = .gpt2
        /// Shapes shallower than this are not considered (one-layer models are weak at tiny scale).
        /// Used by the planner's shape search when no `[model.family]` is given.
        public var minLayers: Int = 1
        /// `[model.family]`: the shape family runs are drawn from (depth non-decreasing with N);
        /// without it, the planner's shape search (``ModelShape/search(params:counting:vocab:seqLen:minLayers:)``).
        public var family: ShapeFamily?
        /// Which parameters N counts in fits and plans: "total" (Hoffmann et al. 2022; default)
        /// or "non_embedding" (Kaplan et al. 2020).
        public var counting: ParameterCounting = .total
        public init() {}
        enum CodingKeys: String, CodingKey {
            case vocab, position, norm, family, initialization = "init"
            case seqLen = "seq_len", tiedHead = "tied_head", minLayers = "min_layers", counting = "params"
        }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(vocab, forKey: .vocab)
            try c.encode(seqLen, forKey: .seqLen)
            try c.encode(position, forKey: .position)
            try c.encode(norm, forKey: .norm)
            try c.encode(tiedHead, forKey: .tiedHead)
            try c.encode(minLayers, forKey: .minLayers)
            try c.encode(initialization, forKey: .initialization)
            try c.encodeIfPresent(family, forKey: .family)
            try c.encode(counting == .total ? "total" : "non_embedding", forKey: .counting)
        }
        /// The FLOP counting runs are sized with (and laws fitted on this sweep plan with).
        public var flopCounting: FlopCounting {
            .family(family ?? ShapeFamily(minLayers: minLayers), vocab: vocab, seqLen: seqLen, counting: counting)
        }
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            var m = ModelFamily()
            m.vocab = try c.decodeIfPresent(Int.self, forKey: .vocab) ?? m.vocab
            m.seqLen = try c.decodeIfPresent(Int.self, forKey: .seqLen) ?? m.seqLen
            m.position = try c.decodeIfPresent(GPTConfig.Position.self, forKey: .position) ?? m.position
            m.norm = try c.decodeIfPresent(GPTConfig.Norm.self, forKey: .norm) ?? m.norm
            m.tiedHead = try c.decodeIfPresent(Bool.self, forKey: .tiedHead) ?? m.tiedHead
            m.minLayers = try c.decodeIfPresent(Int.self, forKey: .minLayers) ?? m.minLayers
            m.family = try c.decodeIfPresent(ShapeFamily.self, forKey: .family)
            m.initialization = try c.decodeIfPresent(GPTConfig.Initialization.self, forKey: .initialization) ?? .gpt2
            if let text = try c.decodeIfPresent(String.self, forKey: .counting) {
                switch text {
                case "total": m.counting = .total
                case "non_embedding": m.counting = .nonEmbedding
                default:
                    throw DecodingError.dataCorruptedError(forKey: .counting, in: c,
                        debugDescription: "model.params must be \"total\" or \"non_embedding\", got \"\(text)\"")
                }
            }
            self = m
        }
    }

    /// The grid: IsoFLOP budgets (each a range of model sizes) and/or explicit (N, D) points.
    public struct Grid: Codable, Equatable, Sendable {
        public var seeds: [UInt64] = [1]
        public var budgets: [Budget] = []
        public var points: [Point] = []
        /// Learning rate per run: the [train] lr for every run, or scaled with width.
        public var lrRule: LRRule = .fixed
        /// With lr_rule = "width": lr = train.lr * (lr_reference_width / d_model)^lr_width_exponent.
        public var lrReferenceWidth: Int = 128
        public var lrWidthExponent: Double = 0.5
        /// Sequences per micro-batch per run: [train] batch for every run, or scaled with N.
        public var batchRule: BatchRule = .fixed
        /// With batch_rule = "params": batch = round(train.batch * (N / batch_reference_params)^batch_params_exponent), at least 1.
        public var batchReferenceParams: Double = 1e5
        public var batchParamsExponent: Double = 0.5
        /// With batch_rule = "tokens": batch = round(train.batch * (D / batch_reference_tokens)^batch_tokens_exponent),
        /// at least 1 (the critical batch grows with the data a run reads: Zhang et al. 2024).
        public var batchReferenceTokens: Double = 1e6
        public var batchTokensExponent: Double = 0.5
        /// lr x (batch / lr_reference_batch)^lr_batch_exponent, for rates calibrated at one batch and
        /// runs whose batch follows a rule (0.5: the square-root rule for Adam, Malladi et al. 2022).
        public var lrBatchExponent: Double = 0
        /// The batch the learning rate (rule or law) was calibrated at (nil: train.batch).
        public var lrReferenceBatch: Int?
        /// Validation evaluations per run (spread evenly; the last is at the end).
        public var evalsPerRun: Int = 8
        /// Checkpoints per run: a crash loses at most this fraction of a run.
        public var checkpointsPerRun: Int = 4
        /// Times a crashed run is retried (resuming from its checkpoint) within one `sweep run`.
        public var retries: Int = 1
        /// AdamW's beta2 from a half-life in tokens: beta2 = 0.5^(tokens per step / half-life), so
        /// the second-moment average spans the same data whatever the batch (nil: [train] beta2).
        public var beta2HalfLifeTokens: Double?
        /// Warmup proportional to model size: round(r N / tokens per step) steps, at most
        /// `warmup_max_fraction` of the run (nil: [train] warmup, at most a fifth of the run).
        public var warmupTokensPerParam: Double?
        public var warmupMaxFraction: Double = 0.25
        /// Validation tokens per evaluation during a run, independent of the batch (nil: [train]
        /// eval settings); the final evaluation then reads the whole held-out split.
        public var evalTokens: Int?
        /// A learning-rate sweep: every run of the grid at each of these peak rates (overrides lr_rule).
        public var lrs: [Double]?

        public init() {}

        /// fixed: [train] lr; width: lr x (lr_reference_width / d_model)^lr_width_exponent;
        /// params: lr x (N / lr_reference_params)^lr_params_exponent (a learning-rate law written
        /// into the file); fitted: the law stored by `ladder fit --method lr` (a power law in N).
        public enum LRRule: String, Codable, Sendable, CaseIterable { case fixed, width, params, fitted }
        /// With lr_rule = "params": lr x (N / lr_reference_params)^lr_params_exponent
        /// x (D / lr_reference_tokens)^lr_tokens_exponent.
        public var lrReferenceParams: Double = 1e5
        public var lrParamsExponent: Double = 0
        public var lrReferenceTokens: Double = 1e6
        public var lrTokensExponent: Double = 0
        public enum BatchRule: String, Codable, Sendable, CaseIterable { case fixed, params, tokens }

        enum CodingKeys: String, CodingKey {
            case seeds, budgets = "budget", points = "point", lrRule = "lr_rule", lrReferenceWidth = "lr_reference_width"
            case lrWidthExponent = "lr_width_exponent", evalsPerRun = "evals_per_run"
            case checkpointsPerRun = "checkpoints_per_run", retries
            case batchRule = "batch_rule", batchReferenceParams = "batch_reference_params", batchParamsExponent = "batch_params_exponent"
            case batchReferenceTokens = "batch_reference_tokens", batchTokensExponent = "batch_tokens_exponent"
            case lrBatchExponent = "lr_batch_exponent", lrReferenceBatch = "lr_reference_batch"
            case beta2HalfLifeTokens = "beta2_half_life_tokens", warmupTokensPerParam = "warmup_tokens_per_param"
            case warmupMaxFraction = "warmup_max_fraction", evalTokens = "eval_tokens", lrs
            case lrReferenceParams = "lr_reference_params", lrParamsExponent = "lr_params_exponent"
            case lrReferenceTokens = "lr_reference_tokens", lrTokensExponent = "lr_tokens_exponent"
        }
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            var g = Grid()
            g.seeds = try c.decodeIfPresent([UInt64].self, forKey: .seeds) ?? g.seeds
            g.budgets = try c.decodeIfPresent([Budget].self, forKey: .budgets) ?? []
            g.points = try c.decodeIfPresent([Point].self, forKey: .points) ?? []
            g.lrRule = try c.decodeIfPresent(LRRule.self, forKey: .lrRule) ?? g.lrRule
            g.lrReferenceWidth = try c.decodeIfPresent(Int.self, forKey: .lrReferenceWidth) ?? g.lrReferenceWidth
            g.lrWidthExponent = try c.decodeIfPresent(Double.self, forKey: .lrWidthExponent) ?? g.lrWidthExponent
            g.evalsPerRun = try c.decodeIfPresent(Int.self, forKey: .evalsPerRun) ?? g.evalsPerRun
            g.checkpointsPerRun = try c.decodeIfPresent(Int.self, forKey: .checkpointsPerRun) ?? g.checkpointsPerRun
            g.retries = try c.decodeIfPresent(Int.self, forKey: .retries) ?? g.retries
            g.batchRule = try c.decodeIfPresent(BatchRule.self, forKey: .batchRule) ?? g.batchRule
            g.batchReferenceParams = try c.decodeIfPresent(Double.self, forKey: .batchReferenceParams) ?? g.batchReferenceParams
            g.batchParamsExponent = try c.decodeIfPresent(Double.self, forKey: .batchParamsExponent) ?? g.batchParamsExponent
            g.batchReferenceTokens = try c.decodeIfPresent(Double.self, forKey: .batchReferenceTokens) ?? g.batchReferenceTokens
            g.batchTokensExponent = try c.decodeIfPresent(Double.self, forKey: .batchTokensExponent) ?? g.batchTokensExponent
            g.lrBatchExponent = try c.decodeIfPresent(Double.self, forKey: .lrBatchExponent) ?? g.lrBatchExponent
            g.lrReferenceBatch = try c.decodeIfPresent(Int.self, forKey: .lrReferenceBatch)
            g.beta2HalfLifeTokens = try c.decodeIfPresent(Double.self, forKey: .beta2HalfLifeTokens)
            g.warmupTokensPerParam = try c.decodeIfPresent(Double.self, forKey: .warmupTokensPerParam)
            g.warmupMaxFraction = try c.decodeIfPresent(Double.self, forKey: .warmupMaxFraction) ?? g.warmupMaxFraction
            g.evalTokens = try c.decodeIfPresent(Int.self, forKey: .evalTokens)
            g.lrs = try c.decodeIfPresent([Double].self, forKey: .lrs)
            g.lrReferenceParams = try c.decodeIfPresent(Double.self, forKey: .lrReferenceParams) ?? g.lrReferenceParams
            g.lrParamsExponent = try c.decodeIfPresent(Double.self, forKey: .lrParamsExponent) ?? g.lrParamsExponent
            g.lrReferenceTokens = try c.decodeIfPresent(Double.self, forKey: .lrReferenceTokens) ?? g.lrReferenceTokens
            g.lrTokensExponent = try c.decodeIfPresent(Double.self, forKey: .lrTokensExponent) ?? g.lrTokensExponent
            self = g
        }
    }

    /// One IsoFLOP budget: `sizes` model sizes log-spaced over [min_params, max_params], each
    /// trained on D = C / (6 N) tokens.
    public struct Budget: Codable, Equatable, Sendable {
        public var flops: Double
        public var sizes: Int
        public var minParams: Double
        public var maxParams: Double
        /// Seeds for this budget (default: grid.seeds); a second seed measures run-to-run noise.
        public var seeds: [UInt64]?
        enum CodingKeys: String, CodingKey {
            case flops, sizes, seeds, minParams = "min_params", maxParams = "max_params"
        }
        public init(flops: Double, sizes: Int, minParams: Double, maxParams: Double) {
            self.flops = flops; self.sizes = sizes; self.minParams = minParams; self.maxParams = maxParams
        }
    }

    /// An explicit (N, D) point.
    public struct Point: Codable, Equatable, Sendable {
        public var params: Double
        public var tokens: Double
        public init(params: Double, tokens: Double) { self.params = params; self.tokens = tokens }
    }

    /// A larger budget whose run is never fitted: the law predicts its loss first, then it trains.
    /// `params` defaults to the fitted law's compute-optimal N for the budget.
    public struct ValidationBudget: Codable, Equatable, Sendable {
        public var flops: Double
        public var params: Double?
        public init(flops: Double, params: Double? = nil) { self.flops = flops; self.params = params }
    }

    /// Budgets to plan for with the fitted law at the end of the sweep.
    public struct PlanSettings: Codable, Equatable, Sendable {
        public var flops: [Double] = [1e18, 1e20, 1e22]
        public var bootstrap: Int = 200
        public init() {}
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            flops = try c.decodeIfPresent([Double].self, forKey: .flops) ?? [1e18, 1e20, 1e22]
            bootstrap = try c.decodeIfPresent(Int.self, forKey: .bootstrap) ?? 200
        }
        enum CodingKeys: String, CodingKey { case flops, bootstrap }
    }

    /// How runs execute when the command line does not say.
    public struct ExecutorSettings: Codable, Equatable, Sendable {
        /// For the command executor: the program and its arguments, with {placeholders}.
        public var command: [String]?
        /// For the Slurm executor: extra sbatch options (partition, time limit, account ...).
        public var sbatch: [String]?
        /// GPUs each run holds (the command executor's `{gpus}` and `LADDER_GPUS`, and the Slurm
        /// executor's `--gpus-per-task`); GPU-hours per run are this times its wall time. 0: CPU runs.
        public var gpus: Int = 0
        public init() {}
        enum CodingKeys: String, CodingKey { case command, sbatch, gpus }
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            command = try c.decodeIfPresent([String].self, forKey: .command)
            sbatch = try c.decodeIfPresent([String].self, forKey: .sbatch)
            gpus = try c.decodeIfPresent(Int.self, forKey: .gpus) ?? 0
        }
    }

    enum CodingKeys: String, CodingKey { case name, description, data, model, train, grid, validation, plan, executor, wsd }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        data = try c.decode(TrainConfig.DataConfig.self, forKey: .data)
        model = try c.decodeIfPresent(ModelFamily.self, forKey: .model) ?? ModelFamily()
        train = try c.decodeIfPresent(TrainConfig.Optimization.self, forKey: .train) ?? TrainConfig.Optimization()
        grid = try c.decodeIfPresent(Grid.self, forKey: .grid) ?? Grid()
        validation = try c.decodeIfPresent([ValidationBudget].self, forKey: .validation) ?? []
        plan = try c.decodeIfPresent(PlanSettings.self, forKey: .plan) ?? PlanSettings()
        executor = try c.decodeIfPresent(ExecutorSettings.self, forKey: .executor) ?? ExecutorSettings()
        wsd = try c.decodeIfPresent(WSDSettings.self, forKey: .wsd)
    }

    /// Keys a sweep file may use, by table path ("" is the top level; arrays of tables by name).
    public static let fileKeys: [String: [String]] = [
        "": ["name", "description", "data", "model", "train", "grid", "validation", "plan", "executor", "wsd"],
        "data": TrainConfig.fileKeys["data"]!,
        "model": ["vocab", "seq_len", "position", "norm", "tied_head", "min_layers", "family", "params", "init"],
        "model.family": ShapeFamily.fileKeys,
        "train": TrainConfig.fileKeys["train"]!,
        "grid": ["seeds", "budget", "point", "lr_rule", "lr_reference_width", "lr_width_exponent", "evals_per_run",
                 "checkpoints_per_run", "retries", "batch_rule", "batch_reference_params", "batch_params_exponent",
                 "batch_reference_tokens", "batch_tokens_exponent", "lr_batch_exponent", "lr_reference_batch",
                 "beta2_half_life_tokens", "warmup_tokens_per_param", "warmup_max_fraction", "eval_tokens", "lrs",
                 "lr_reference_params", "lr_params_exponent", "lr_reference_tokens", "lr_tokens_exponent"],
        "grid.budget": ["flops", "sizes", "min_params", "max_params", "seeds"],
        "grid.point": ["params", "tokens"],
        "validation": ["flops", "params"],
        "plan": ["flops", "bootstrap"],
        "executor": ["command", "sbatch", "gpus"],
        "wsd": ["params", "tokens", "cooldown_fraction", "cooldown_shape", "min_lr_ratio"],
    ]
}

public enum SweepError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    case notFound(String)
    /// The sweep file plans stored runs differently (``SweepEdits``).
    case edited(String)

    public var description: String {
        switch self {
        case let .invalid(m): return m
        case let .notFound(m): return m
        case let .edited(m): return m
        }
    }
}

extension SweepSpec {
    /// Checks values the types cannot; messages name the key.
    /// Most model sizes one budget may ask for.
    public static let maxSizes = 1000
    /// Largest budget a sweep may train (FLOPs): far beyond any CPU, far from overflowing step counts.
    public static let maxFlops = 1e30

    public func validate() throws {
        func fail(_ m: String) throws -> Never { throw SweepError.invalid(m) }
        if let problem = SafeName.problem(name) { try fail("name '\(name)' \(problem): it becomes the folder Results/<name>/ (\(SafeName.rule))") }
        do { try train.validate() } catch { try fail("\(error)") }
        if grid.budgets.isEmpty && grid.points.isEmpty && wsd == nil {
            try fail("the grid is empty: add [[grid.budget]] or [[grid.point]] entries, or a [wsd] table")
        }
        if let wsd { try wsd.validate() }
        if grid.seeds.isEmpty { try fail("grid.seeds must list at least one seed") }
        for (i, b) in grid.budgets.enumerated() {
            let key = "grid.budget[\(i + 1)]"
            if !(b.flops.isFinite && b.flops > 0) { try fail("\(key).flops must be positive, got \(b.flops)") }
            if !(1...Self.maxSizes).contains(b.sizes) { try fail("\(key).sizes must be in 1...\(Self.maxSizes), got \(b.sizes)") }
            if !(b.flops <= Self.maxFlops) { try fail("\(key).flops must be at most \(Self.maxFlops) (a CPU sweep), got \(b.flops)") }
            if !(b.minParams >= 1000 && b.maxParams >= b.minParams && b.maxParams <= 1e15) {
                try fail("\(key): need 1000 <= min_params <= max_params <= 1e15, got \(b.minParams) and \(b.maxParams)")
            }
        }
        for (i, p) in grid.points.enumerated() where !(p.params >= 1000 && p.params <= 1e15 && p.tokens > 0 && p.tokens <= 1e18) {
            try fail("grid.point[\(i + 1)]: params must be in [1000, 1e15] and tokens in (0, 1e18], got \(p.params) and \(p.tokens)")
        }
        for (i, v) in validation.enumerated() {
            if !(v.flops.isFinite && v.flops > 0) { try fail("validation[\(i + 1)].flops must be positive, got \(v.flops)") }
            if !(v.flops <= Self.maxFlops) { try fail("validation[\(i + 1)].flops must be at most \(Self.maxFlops), got \(v.flops)") }
            if let p = v.params, !(p >= 1000 && p <= 1e15) { try fail("validation[\(i + 1)].params must be in [1000, 1e15], got \(p)") }
        }
        if grid.evalsPerRun < 1 { try fail("grid.evals_per_run must be at least 1") }
        if grid.checkpointsPerRun < 1 { try fail("grid.checkpoints_per_run must be at least 1") }
        if grid.retries < 0 { try fail("grid.retries must be >= 0") }
        if grid.lrReferenceWidth < 1 { try fail("grid.lr_reference_width must be positive") }
        if let h = grid.beta2HalfLifeTokens, !(h.isFinite && h > 0) { try fail("grid.beta2_half_life_tokens must be positive, got \(h)") }
        if let r = grid.warmupTokensPerParam, !(r.isFinite && r >= 0) { try fail("grid.warmup_tokens_per_param must be >= 0, got \(r)") }
        if !(grid.warmupMaxFraction >= 0 && grid.warmupMaxFraction < 1) {
            try fail("grid.warmup_max_fraction must be in [0, 1), got \(grid.warmupMaxFraction)")
        }
        if let e = grid.evalTokens, e < 1 { try fail("grid.eval_tokens must be positive, got \(e)") }
        if !(grid.lrReferenceParams > 0 && grid.lrReferenceParams.isFinite) {
            try fail("grid.lr_reference_params must be positive, got \(grid.lrReferenceParams)")
        }
        if !grid.lrParamsExponent.isFinite || abs(grid.lrParamsExponent) > 2 {
            try fail("grid.lr_params_exponent must be in [-2, 2], got \(grid.lrParamsExponent)")
        }
        if !(grid.lrReferenceTokens > 0 && grid.lrReferenceTokens.isFinite) {
            try fail("grid.lr_reference_tokens must be positive, got \(grid.lrReferenceTokens)")
        }
        if !grid.lrTokensExponent.isFinite || abs(grid.lrTokensExponent) > 2 {
            try fail("grid.lr_tokens_exponent must be in [-2, 2], got \(grid.lrTokensExponent)")
        }
        if let lrs = grid.lrs {
            if let bad = lrs.first(where: { !($0.isFinite && $0 > 0) }) { try fail("grid.lrs must list positive rates, got \(bad)") }
            if wsd != nil { try fail("grid.lrs (a learning-rate sweep) cannot be combined with a [wsd] table") }
        }
        if grid.lrRule == .fitted && lrLaw == nil && grid.lrs == nil {
            try fail("grid.lr_rule = \"fitted\" needs a learning-rate law: run `ladder fit --method lr` on a learning-rate sweep first (for example Sweeps/lr.toml)")
        }
        for (i, b) in grid.budgets.enumerated() where b.seeds?.isEmpty == true {
            try fail("grid.budget[\(i + 1)].seeds must list at least one seed")
        }
        if !(grid.batchReferenceParams > 0 && grid.batchReferenceParams.isFinite) {
            try fail("grid.batch_reference_params must be positive, got \(grid.batchReferenceParams)")
        }
        if !grid.batchParamsExponent.isFinite || abs(grid.batchParamsExponent) > 4 {
            try fail("grid.batch_params_exponent must be in [-4, 4], got \(grid.batchParamsExponent)")
        }
        if !(grid.batchReferenceTokens > 0 && grid.batchReferenceTokens.isFinite) {
            try fail("grid.batch_reference_tokens must be positive, got \(grid.batchReferenceTokens)")
        }
        if !grid.batchTokensExponent.isFinite || abs(grid.batchTokensExponent) > 4 {
            try fail("grid.batch_tokens_exponent must be in [-4, 4], got \(grid.batchTokensExponent)")
        }
        if !grid.lrBatchExponent.isFinite || abs(grid.lrBatchExponent) > 2 {
            try fail("grid.lr_batch_exponent must be in [-2, 2], got \(grid.lrBatchExponent)")
        }
        if let b = grid.lrReferenceBatch, b < 1 { try fail("grid.lr_reference_batch must be at least 1, got \(b)") }
        if model.vocab < 2 { try fail("model.vocab must be at least 2") }
        if model.seqLen < 1 { try fail("model.seq_len must be positive") }
        if !(1...512).contains(model.minLayers) { try fail("model.min_layers must be in 1...512, got \(model.minLayers)") }
        do { try model.family?.validate() } catch { try fail("\(error)") }
        if plan.bootstrap < 0 { try fail("plan.bootstrap must be >= 0") }
        if plan.flops.isEmpty { try fail("plan.flops must list at least one budget") }
        if let bad = plan.flops.first(where: { !($0.isFinite && $0 > 0) }) { try fail("plan.flops must list positive finite budgets (FLOPs), got \(bad)") }
        if let command = executor.command, command.isEmpty { try fail("executor.command must name a program") }
        if !(0...1024).contains(executor.gpus) { try fail("executor.gpus must be in 0...1024, got \(executor.gpus)") }
    }
}
