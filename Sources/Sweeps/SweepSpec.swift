import Foundation
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

    /// What every run's model shares; its width and depth come from N by the planner's shape rule.
    public struct ModelFamily: Codable, Equatable, Sendable {
        public var vocab: Int = 256
        public var seqLen: Int = 128
        public var position: GPTConfig.Position = .learned
        public var norm: GPTConfig.Norm = .layerNorm
        public var tiedHead: Bool = true
        /// Shapes shallower than this are not considered (one-layer models are weak at tiny scale).
        public var minLayers: Int = 1
        public init() {}
        enum CodingKeys: String, CodingKey {
            case vocab, position, norm
            case seqLen = "seq_len", tiedHead = "tied_head", minLayers = "min_layers"
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
        /// Validation evaluations per run (spread evenly; the last is at the end).
        public var evalsPerRun: Int = 8
        /// Checkpoints per run: a crash loses at most this fraction of a run.
        public var checkpointsPerRun: Int = 4
        /// Times a crashed run is retried (resuming from its checkpoint) within one `sweep run`.
        public var retries: Int = 1

        public init() {}

        public enum LRRule: String, Codable, Sendable, CaseIterable { case fixed, width }
        public enum BatchRule: String, Codable, Sendable, CaseIterable { case fixed, params }

        enum CodingKeys: String, CodingKey {
            case seeds, budgets = "budget", points = "point", lrRule = "lr_rule", lrReferenceWidth = "lr_reference_width"
            case lrWidthExponent = "lr_width_exponent", evalsPerRun = "evals_per_run"
            case checkpointsPerRun = "checkpoints_per_run", retries
            case batchRule = "batch_rule", batchReferenceParams = "batch_reference_params", batchParamsExponent = "batch_params_exponent"
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
        enum CodingKeys: String, CodingKey {
            case flops, sizes, minParams = "min_params", maxParams = "max_params"
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
        public init() {}
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
        "data": ["path", "val_fraction"],
        "model": ["vocab", "seq_len", "position", "norm", "tied_head", "min_layers"],
        "train": TrainConfig.fileKeys["train"]!,
        "grid": ["seeds", "budget", "point", "lr_rule", "lr_reference_width", "lr_width_exponent", "evals_per_run",
                 "checkpoints_per_run", "retries", "batch_rule", "batch_reference_params", "batch_params_exponent"],
        "grid.budget": ["flops", "sizes", "min_params", "max_params"],
        "grid.point": ["params", "tokens"],
        "validation": ["flops", "params"],
        "plan": ["flops", "bootstrap"],
        "executor": ["command", "sbatch"],
        "wsd": ["params", "tokens", "cooldown_fraction", "cooldown_shape", "min_lr_ratio"],
    ]
}

public enum SweepError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    case notFound(String)

    public var description: String {
        switch self {
        case let .invalid(m): return m
        case let .notFound(m): return m
        }
    }
}

extension SweepSpec {
    /// Checks values the types cannot; messages name the key.
    public func validate() throws {
        func fail(_ m: String) throws -> Never { throw SweepError.invalid(m) }
        if name.isEmpty || name.contains("/") { try fail("name must be non-empty and contain no '/', got '\(name)'") }
        if grid.budgets.isEmpty && grid.points.isEmpty && wsd == nil {
            try fail("the grid is empty: add [[grid.budget]] or [[grid.point]] entries, or a [wsd] table")
        }
        if let wsd { try wsd.validate() }
        if grid.seeds.isEmpty { try fail("grid.seeds must list at least one seed") }
        for (i, b) in grid.budgets.enumerated() {
            let key = "grid.budget[\(i + 1)]"
            if !(b.flops.isFinite && b.flops > 0) { try fail("\(key).flops must be positive, got \(b.flops)") }
            if b.sizes < 1 { try fail("\(key).sizes must be at least 1, got \(b.sizes)") }
            if !(b.minParams >= 1000 && b.maxParams >= b.minParams && b.maxParams.isFinite) {
                try fail("\(key): need 1000 <= min_params <= max_params, got \(b.minParams) and \(b.maxParams)")
            }
        }
        for (i, p) in grid.points.enumerated() where !(p.params >= 1000 && p.tokens > 0 && p.tokens.isFinite) {
            try fail("grid.point[\(i + 1)]: params must be >= 1000 and tokens positive, got \(p.params) and \(p.tokens)")
        }
        for (i, v) in validation.enumerated() {
            if !(v.flops.isFinite && v.flops > 0) { try fail("validation[\(i + 1)].flops must be positive, got \(v.flops)") }
            if let p = v.params, !(p >= 1000) { try fail("validation[\(i + 1)].params must be >= 1000, got \(p)") }
        }
        if grid.evalsPerRun < 1 { try fail("grid.evals_per_run must be at least 1") }
        if grid.checkpointsPerRun < 1 { try fail("grid.checkpoints_per_run must be at least 1") }
        if grid.retries < 0 { try fail("grid.retries must be >= 0") }
        if grid.lrReferenceWidth < 1 { try fail("grid.lr_reference_width must be positive") }
        if !(grid.batchReferenceParams > 0 && grid.batchReferenceParams.isFinite) {
            try fail("grid.batch_reference_params must be positive, got \(grid.batchReferenceParams)")
        }
        if !grid.batchParamsExponent.isFinite || abs(grid.batchParamsExponent) > 4 {
            try fail("grid.batch_params_exponent must be in [-4, 4], got \(grid.batchParamsExponent)")
        }
        if model.vocab < 2 { try fail("model.vocab must be at least 2") }
        if model.seqLen < 1 { try fail("model.seq_len must be positive") }
        if !(1...512).contains(model.minLayers) { try fail("model.min_layers must be in 1...512, got \(model.minLayers)") }
        if plan.bootstrap < 0 { try fail("plan.bootstrap must be >= 0") }
        if let command = executor.command, command.isEmpty { try fail("executor.command must name a program") }
    }
}
