/// Everything that defines one training run, as a typed value. Files (TOML) and sweeps build it;
/// the trainer takes it as is. Defaults are commented; `validate()` names any bad field.
public struct TrainConfig: Codable, Equatable, Sendable {
    public var model: GPTConfig
    public var data: DataConfig
    public var train: Optimization
    /// `[parallel]`: dp x tp x pp x cp ranks (all 1 by default: one process, one rank).
    public var parallel = ParallelConfig()

    public init(model: GPTConfig, data: DataConfig, train: Optimization) {
        self.model = model; self.data = data; self.train = train
    }

    enum CodingKeys: String, CodingKey { case model, data, train, parallel }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(GPTConfig.self, forKey: .model)
        data = try c.decode(DataConfig.self, forKey: .data)
        train = try c.decodeIfPresent(Optimization.self, forKey: .train) ?? Optimization()
        parallel = try c.decodeIfPresent(ParallelConfig.self, forKey: .parallel) ?? ParallelConfig()
    }

    public struct DataConfig: Codable, Equatable, Sendable {
        /// A UTF-8 text file (byte-level tokens, vocab 256) or a token-shard manifest (.json).
        public var path: String
        /// Fraction of the data held out for validation (the tail of a text file, or the
        /// manifest's validation shards when it has them).
        public var valFraction: Double = 0.05
        /// Which part of a text file validates: its tail, or blocks spread through it.
        public var split: TokenDataset.Split = .tail
        /// Block size in tokens of the interleaved split.
        public var splitBlock: Int = 8192
        /// How training windows are drawn: uniformly at random, or shuffled disjoint windows (no repeats).
        public var sampling: TokenDataset.Sampling = .random

        public init(path: String, valFraction: Double = 0.05) { self.path = path; self.valFraction = valFraction }
        enum CodingKeys: String, CodingKey {
            case path, split, sampling
            case valFraction = "val_fraction", splitBlock = "split_block"
        }
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            path = try c.decode(String.self, forKey: .path)
            valFraction = try c.decodeIfPresent(Double.self, forKey: .valFraction) ?? 0.05
            split = try c.decodeIfPresent(TokenDataset.Split.self, forKey: .split) ?? .tail
            splitBlock = try c.decodeIfPresent(Int.self, forKey: .splitBlock) ?? 8192
            sampling = try c.decodeIfPresent(TokenDataset.Sampling.self, forKey: .sampling) ?? .random
        }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(path, forKey: .path)
            try c.encode(valFraction, forKey: .valFraction)
            // written only when not the defaults, so stored configs of earlier runs read back unchanged
            if split != .tail { try c.encode(split, forKey: .split) }
            if split != .tail || splitBlock != 8192 { try c.encode(splitBlock, forKey: .splitBlock) }
            if sampling != .random { try c.encode(sampling, forKey: .sampling) }
        }
    }

    /// Numeric precision of training (see `PrecisionPolicy` for which tensor is in which format):
    /// fp32; bf16 (bf16 matmul/attention inputs and saved activations, fp32 master weights,
    /// accumulation, optimizer, norms, softmax, loss); fp16 (the same with Float16 and dynamic loss
    /// scaling); fp8 (experimental: e4m3 matmul inputs with per-tensor scales, computed as bf16).
    public enum Precision: String, Codable, Sendable, CaseIterable {
        case fp32, bf16, fp16, fp8

        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            let text = try c.decode(String.self)
            guard let p = Precision(rawValue: text) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "'\(text)' is not a precision; use one of \(Self.allCases.map(\.rawValue).joined(separator: ", ")) (fp8 is experimental)")
            }
            self = p
        }
    }

    public enum Schedule: String, Codable, Sendable, CaseIterable {
        case constant, cosine, wsd
    }

    public struct Optimization: Codable, Equatable, Sendable {
        /// Sequences per micro-batch.
        public var batch: Int = 8
        /// Micro-batches whose gradients add up to one optimizer step.
        public var microBatches: Int = 1
        /// Optimizer steps.
        public var steps: Int = 100
        /// Peak learning rate.
        public var lr: Double = 1e-3
        public var schedule: Schedule = .cosine
        public var warmup: Int = 0
        /// Final rate as a fraction of the peak (cosine and wsd).
        public var minLRRatio: Double = 0.1
        /// wsd: fraction of the steps spent cooling down, and how.
        public var cooldownFraction: Double = 0.2
        public var cooldownShape: LRSchedule.CooldownShape = .linear
        public var weightDecay: Double = 0.1
        public var beta1: Double = 0.9
        public var beta2: Double = 0.95
        public var eps: Double = 1e-8
        /// Clip the global gradient norm to this value (0 disables).
        public var gradClip: Double = 1.0
        /// Evaluate validation loss every this many steps (and at the end); 0: only at the end.
        public var evalInterval: Int = 50
        /// Validation micro-batches per evaluation (when `eval_tokens` is 0).
        public var evalBatches: Int = 4
        /// Validation tokens per evaluation, in windows spread evenly over the held-out split and
        /// independent of `batch` (0: `eval_batches` batches of `batch` sequences instead).
        public var evalTokens: Int = 0
        /// With `eval_tokens` > 0: tokens of the final evaluation (0: the whole held-out split).
        public var finalEvalTokens: Int = 0
        /// Write a checkpoint every this many steps (and at the end); 0: only at the end.
        public var checkpointInterval: Int = 0
        public var seed: UInt64 = 1
        public var threads: Int = 2
        public var precision: Precision = .fp32
        /// Gradient norm above which a step counts as exploding and the run stops as diverged.
        public var maxGradNorm: Double = 1e4
        /// Steps after which a checkpoint is also kept as `step-<n>.safetensors` beside the run's
        /// checkpoint (WSD cooldown branches start from them).
        public var saveAt: [Int] = []

        public init() {}

        enum CodingKeys: String, CodingKey {
            case batch, steps, lr, schedule, warmup, beta1, beta2, eps, seed, threads, precision
            case microBatches = "micro_batches", minLRRatio = "min_lr_ratio", cooldownFraction = "cooldown_fraction"
            case cooldownShape = "cooldown_shape", weightDecay = "weight_decay", gradClip = "grad_clip"
            case evalInterval = "eval_interval", evalBatches = "eval_batches", evalTokens = "eval_tokens"
            case finalEvalTokens = "final_eval_tokens"
            case checkpointInterval = "checkpoint_interval", maxGradNorm = "max_grad_norm", saveAt = "save_at"
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            var o = Optimization()
            o.batch = try c.decodeIfPresent(Int.self, forKey: .batch) ?? o.batch
            o.microBatches = try c.decodeIfPresent(Int.self, forKey: .microBatches) ?? o.microBatches
            o.steps = try c.decodeIfPresent(Int.self, forKey: .steps) ?? o.steps
            o.lr = try c.decodeIfPresent(Double.self, forKey: .lr) ?? o.lr
            o.schedule = try c.decodeIfPresent(Schedule.self, forKey: .schedule) ?? o.schedule
            o.warmup = try c.decodeIfPresent(Int.self, forKey: .warmup) ?? o.warmup
            o.minLRRatio = try c.decodeIfPresent(Double.self, forKey: .minLRRatio) ?? o.minLRRatio
            o.cooldownFraction = try c.decodeIfPresent(Double.self, forKey: .cooldownFraction) ?? o.cooldownFraction
            o.cooldownShape = try c.decodeIfPresent(LRSchedule.CooldownShape.self, forKey: .cooldownShape) ?? o.cooldownShape
            o.weightDecay = try c.decodeIfPresent(Double.self, forKey: .weightDecay) ?? o.weightDecay
            o.beta1 = try c.decodeIfPresent(Double.self, forKey: .beta1) ?? o.beta1
            o.beta2 = try c.decodeIfPresent(Double.self, forKey: .beta2) ?? o.beta2
            o.eps = try c.decodeIfPresent(Double.self, forKey: .eps) ?? o.eps
            o.gradClip = try c.decodeIfPresent(Double.self, forKey: .gradClip) ?? o.gradClip
            o.evalInterval = try c.decodeIfPresent(Int.self, forKey: .evalInterval) ?? o.evalInterval
            o.evalBatches = try c.decodeIfPresent(Int.self, forKey: .evalBatches) ?? o.evalBatches
            o.evalTokens = try c.decodeIfPresent(Int.self, forKey: .evalTokens) ?? o.evalTokens
            o.finalEvalTokens = try c.decodeIfPresent(Int.self, forKey: .finalEvalTokens) ?? o.finalEvalTokens
            o.checkpointInterval = try c.decodeIfPresent(Int.self, forKey: .checkpointInterval) ?? o.checkpointInterval
            o.seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? o.seed
            o.threads = try c.decodeIfPresent(Int.self, forKey: .threads) ?? o.threads
            o.precision = try c.decodeIfPresent(Precision.self, forKey: .precision) ?? o.precision
            o.maxGradNorm = try c.decodeIfPresent(Double.self, forKey: .maxGradNorm) ?? o.maxGradNorm
            o.saveAt = try c.decodeIfPresent([Int].self, forKey: .saveAt) ?? o.saveAt
            self = o
        }

        /// The schedule as the trainer evaluates it.
        public var lrSchedule: LRSchedule {
            switch schedule {
            case .constant: return .constant(warmup: warmup)
            case .cosine: return .cosine(warmup: warmup, minRatio: minLRRatio)
            case .wsd: return .wsd(warmup: warmup, cooldownFraction: cooldownFraction, shape: cooldownShape, minRatio: minLRRatio)
            }
        }

        /// Most optimizer steps a config may ask for (far beyond any CPU run; keeps step and
        /// token counts far from integer overflow).
        public static let maxSteps = 1 << 40
        /// Most tokens a run may read (steps x tokens per step).
        public static let maxTokens = 1 << 52

        /// Checks the optimizer's own keys, naming the key and what is valid.
        public func validate() throws {
            func fail(_ m: String) throws -> Never { throw TrainingError.invalidConfig(m) }
            if !(1...Self.maxSteps).contains(steps) { try fail("train.steps must be at least 1 and at most \(Self.maxSteps), got \(steps)") }
            if !(1...(1 << 24)).contains(batch) { try fail("train.batch must be in 1...\(1 << 24), got \(batch)") }
            if !(1...(1 << 24)).contains(microBatches) { try fail("train.micro_batches must be in 1...\(1 << 24), got \(microBatches)") }
            if !(lr > 0 && lr.isFinite) { try fail("train.lr must be a positive finite number, got \(lr)") }
            if !(0.0..<1.0).contains(beta1) { try fail("train.beta1 must be in [0, 1), got \(beta1)") }
            if !(0.0..<1.0).contains(beta2) { try fail("train.beta2 must be in [0, 1), got \(beta2)") }
            if !(eps > 0 && eps.isFinite) { try fail("train.eps must be a positive finite number, got \(eps)") }
            if !(weightDecay >= 0 && weightDecay.isFinite) { try fail("train.weight_decay must be a finite number >= 0, got \(weightDecay)") }
            if !(0...1).contains(minLRRatio) { try fail("train.min_lr_ratio must be in [0, 1], got \(minLRRatio)") }
            if !(0...1).contains(cooldownFraction) { try fail("train.cooldown_fraction must be in [0, 1], got \(cooldownFraction)") }
            if !(gradClip >= 0 && gradClip.isFinite) { try fail("train.grad_clip must be a finite number >= 0 (0 disables), got \(gradClip)") }
            if !(maxGradNorm > 0) { try fail("train.max_grad_norm must be positive, got \(maxGradNorm)") }
            if !(1...4096).contains(threads) { try fail("train.threads must be in 1...4096, got \(threads)") }
        }

        public var adamW: AdamWConfig {
            AdamWConfig(beta1: Float(beta1), beta2: Float(beta2), eps: Float(eps), weightDecay: Float(weightDecay))
        }
    }

    /// Tokens one optimizer step consumes.
    public var tokensPerStep: Int { train.batch * train.microBatches * model.seqLen }

    /// Checks every field; the message names the key.
    public func validate() throws {
        try model.validate()
        func fail(_ m: String) throws -> Never { throw TrainingError.invalidConfig(m) }
        let t = train
        try t.validate()
        if t.warmup < 0 || t.warmup >= t.steps && t.steps > 1 { try fail("train.warmup must be in 0..<train.steps (\(t.steps)), got \(t.warmup)") }
        let (perStep, o1) = t.batch.multipliedReportingOverflow(by: t.microBatches)
        let (tokens, o2) = perStep.multipliedReportingOverflow(by: model.seqLen)
        let (total, o3) = tokens.multipliedReportingOverflow(by: t.steps)
        if o1 || o2 || o3 || total > Optimization.maxTokens {
            try fail("train.steps x train.batch x train.micro_batches x model.seq_len (\(t.steps) x \(t.batch) x \(t.microBatches) x \(model.seqLen)) is more than \(Optimization.maxTokens) tokens")
        }
        if t.evalInterval < 0 { try fail("train.eval_interval must be >= 0, got \(t.evalInterval)") }
        if t.evalBatches < 1 { try fail("train.eval_batches must be at least 1, got \(t.evalBatches)") }
        if t.evalTokens < 0 { try fail("train.eval_tokens must be >= 0, got \(t.evalTokens)") }
        if t.finalEvalTokens < 0 { try fail("train.final_eval_tokens must be >= 0, got \(t.finalEvalTokens)") }
        if t.evalTokens > 0 && parallel.worldSize > 1 {
            try fail("train.eval_tokens with [parallel] (\(parallel.worldSize) ranks): token-based evaluation runs on a single rank only; use eval_batches")
        }
        if data.splitBlock < 1 { try fail("data.split_block must be at least 1, got \(data.splitBlock)") }
        if t.checkpointInterval < 0 { try fail("train.checkpoint_interval must be >= 0, got \(t.checkpointInterval)") }
        if let bad = t.saveAt.first(where: { !(1...t.steps).contains($0) }) {
            try fail("train.save_at must list steps in 1...train.steps (\(t.steps)), got \(bad)")
        }
        try parallel.validate()
        if parallel.tp * parallel.pp * parallel.cp > 1 && t.precision == .fp8 {
            try fail("train.precision = \"fp8\" (experimental) with [parallel] tp=\(parallel.tp) pp=\(parallel.pp) cp=\(parallel.cp): fp8 runs single-rank or under pure data parallelism (dp) only, as its per-tensor scales would be per shard; use bf16 or fp16")
        }
        if !(data.valFraction > 0 && data.valFraction < 1) { try fail("data.val_fraction must be in (0, 1), got \(data.valFraction)") }
    }
}

extension GPTConfig {
    enum CodingKeys: String, CodingKey {
        case vocab, position, norm
        case seqLen = "seq_len", dModel = "d_model", nLayer = "n_layer", nHead = "n_head"
        case mlpRatio = "mlp_ratio", tiedHead = "tied_head", initialization = "init"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(vocab, forKey: .vocab)
        try c.encode(seqLen, forKey: .seqLen)
        try c.encode(dModel, forKey: .dModel)
        try c.encode(nLayer, forKey: .nLayer)
        try c.encode(nHead, forKey: .nHead)
        try c.encode(mlpRatio, forKey: .mlpRatio)
        try c.encode(position, forKey: .position)
        try c.encode(norm, forKey: .norm)
        try c.encode(tiedHead, forKey: .tiedHead)
        // written only when not the default, so configs stored before it read back unchanged
        if initialization != .gpt2 { try c.encode(initialization, forKey: .initialization) }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(vocab: try c.decodeIfPresent(Int.self, forKey: .vocab) ?? 256,
                  seqLen: try c.decode(Int.self, forKey: .seqLen),
                  dModel: try c.decode(Int.self, forKey: .dModel),
                  nLayer: try c.decode(Int.self, forKey: .nLayer),
                  nHead: try c.decode(Int.self, forKey: .nHead),
                  mlpRatio: try c.decodeIfPresent(Int.self, forKey: .mlpRatio) ?? 4,
                  position: try c.decodeIfPresent(Position.self, forKey: .position) ?? .learned,
                  norm: try c.decodeIfPresent(Norm.self, forKey: .norm) ?? .layerNorm,
                  tiedHead: try c.decodeIfPresent(Bool.self, forKey: .tiedHead) ?? true)
        initialization = try c.decodeIfPresent(Initialization.self, forKey: .initialization) ?? .gpt2
    }
}

extension TrainConfig {
    /// The keys a training config file may use, by section (for unknown-key errors).
    public static let fileKeys: [String: [String]] = [
        "model": ["vocab", "seq_len", "d_model", "n_layer", "n_head", "mlp_ratio", "position", "norm", "tied_head", "init"],
        "data": ["path", "val_fraction", "split", "split_block", "sampling"],
        "parallel": ParallelConfig.fileKeys,
        "train": ["batch", "micro_batches", "steps", "lr", "schedule", "warmup", "min_lr_ratio", "cooldown_fraction",
                  "cooldown_shape", "weight_decay", "beta1", "beta2", "eps", "grad_clip", "eval_interval",
                  "eval_batches", "eval_tokens", "final_eval_tokens", "checkpoint_interval", "seed", "threads", "precision", "max_grad_norm", "save_at"],
    ]
}
