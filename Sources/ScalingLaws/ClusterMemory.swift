/// ZeRO stage (Rajbhandari et al. 2020, DeepSpeed): which model states are sharded over the
/// data-parallel group.
public enum ZeROStage: Int, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// Nothing sharded.
    case stage0 = 0
    /// Optimizer states (fp32 master weights + Adam moments, 12 bytes/param) sharded.
    case stage1 = 1
    /// Optimizer states and gradients sharded.
    case stage2 = 2
    /// Optimizer states, gradients and parameters sharded.
    case stage3 = 3

    public var description: String { "ZeRO-\(rawValue)" }
}

/// Activation recomputation (Korthikanti et al. 2022, arXiv 2205.05198).
public enum Recomputation: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// Keep every activation: `s b h (34 + 5 a s / h)` bytes per layer.
    case none
    /// Recompute the attention scores/softmax/dropout: drops the `5 a s / h` term.
    case selective
    /// Recompute the whole layer: keep only its input, `2 s b h` bytes per layer.
    case full

    public var description: String { rawValue }
}

/// The transformer quantities the memory formulas and the step-time model need.
public struct ClusterModel: Sendable, Hashable, Codable {
    /// Parameters held as model states (the total count, embeddings included).
    public var parameters: Double
    public var nLayer: Int
    /// Hidden size `h`.
    public var dModel: Int
    /// Attention heads `a`.
    public var nHead: Int
    /// Sequence length `s`.
    public var seqLen: Int
    /// Flash attention (never stores the `a s²` score matrices: no `5 a s / h` term).
    public var flashAttention: Bool
    /// Key/value heads (grouped-query attention; `nHead` without it).
    public var nKVHead: Int
    /// MLP width (`4 h` by default).
    public var dFF: Int
    /// Vocabulary `V` (the output head's matmul and logits; 0 leaves them out).
    public var vocab: Int

    public init(parameters: Double, nLayer: Int, dModel: Int, nHead: Int, seqLen: Int, flashAttention: Bool = true,
                nKVHead: Int? = nil, dFF: Int? = nil, vocab: Int = 0) {
        self.parameters = parameters; self.nLayer = nLayer; self.dModel = dModel
        self.nHead = nHead; self.seqLen = seqLen; self.flashAttention = flashAttention
        self.nKVHead = nKVHead ?? nHead; self.dFF = dFF ?? 4 * dModel; self.vocab = vocab
    }

    /// From a planned shape (total parameters, embeddings included), at `seqLen` (default: the shape's).
    public init(shape: ModelShape, seqLen: Int? = nil, flashAttention: Bool = true) {
        self.init(parameters: Double(shape.totalParameters), nLayer: shape.nLayer, dModel: shape.dModel,
                  nHead: shape.nHead, seqLen: seqLen ?? shape.seqLen, flashAttention: flashAttention,
                  nKVHead: shape.nKVHead, dFF: shape.dFF, vocab: shape.vocab)
    }

    /// `h / a`.
    public var headDim: Double { Double(dModel) / Double(nHead) }
    /// Key (and value) width `nKVHead · h / a`.
    public var kvWidth: Double { Double(nKVHead) * headDim }
}

/// A parallel layout: `dp · tp · pp · cp` GPUs.
public struct ParallelLayout: Sendable, Hashable, Codable, CustomStringConvertible {
    public var dp: Int
    public var tp: Int
    public var pp: Int
    public var cp: Int
    public var zero: ZeROStage
    /// Sequences per micro-batch per data-parallel rank (`b`).
    public var microBatch: Int
    public var recomputation: Recomputation
    /// Model chunks per pipeline stage under the interleaved 1F1B schedule (Narayanan et al. 2021,
    /// §2.2.2); 1 = plain 1F1B.
    public var virtualStages: Int

    public init(dp: Int, tp: Int = 1, pp: Int = 1, cp: Int = 1, zero: ZeROStage = .stage0,
                microBatch: Int = 1, recomputation: Recomputation = .none, virtualStages: Int = 1) {
        precondition(dp >= 1 && tp >= 1 && pp >= 1 && cp >= 1 && microBatch >= 1 && virtualStages >= 1, "parallel degrees must be >= 1")
        self.virtualStages = virtualStages
        self.dp = dp; self.tp = tp; self.pp = pp; self.cp = cp; self.zero = zero
        self.microBatch = microBatch; self.recomputation = recomputation
    }

    public var gpus: Int { dp * tp * pp * cp }

    public var description: String {
        "dp=\(dp) tp=\(tp) pp=\(pp)\(virtualStages > 1 ? " (interleaved x\(virtualStages))" : "") cp=\(cp) \(zero) micro-batch=\(microBatch) recompute=\(recomputation)"
    }
}

/// Memory per GPU in bytes, itemized.
public struct ClusterMemory: Sendable, Hashable, Codable {
    /// bf16/fp16 weights: 2 bytes/param.
    public var parameters: Double
    /// bf16/fp16 gradients: 2 bytes/param.
    public var gradients: Double
    /// fp32 master weights + Adam first and second moments: 12 bytes/param.
    public var optimizerStates: Double
    /// Activations of one layer for one micro-batch on this GPU.
    public var activationsPerLayer: Double
    /// Layers on the first pipeline stage (`L / pp`).
    public var layersPerStage: Int
    /// Micro-batches whose activations the first stage holds at once under 1F1B (`min(pp, m)`).
    public var microBatchesInFlight: Int
    /// `activationsPerLayer · layersPerStage · microBatchesInFlight`.
    public var activations: Double

    public var modelStates: Double { parameters + gradients + optimizerStates }
    public var total: Double { modelStates + activations }
}

extension ClusterMemory {
    /// Model states per GPU (mixed-precision Adam, 2 + 2 + 12 bytes per parameter). The model is split
    /// over `tp · pp` (each GPU holds `N / (tp pp)` parameters; context parallelism replicates the
    /// states like data parallelism but does not shard them), then ZeRO shards over `dp`:
    ///
    ///     stage 0: 16 N'        stage 1: (4 + 12/dp) N'
    ///     stage 2: (2 + 14/dp) N'   stage 3: 16 N' / dp        with N' = N / (tp pp)
    ///
    /// (DeepSpeed's `estimate_zero2/3_model_states_mem_needs`, without the CPU-offload options.)
    public static func modelStates(parameters: Double, dp: Int, tp: Int = 1, pp: Int = 1, zero: ZeROStage)
        -> (parameters: Double, gradients: Double, optimizerStates: Double) {
        let n = parameters / Double(tp * pp)
        let d = Double(dp)
        let p = 2 * n / (zero.rawValue >= 3 ? d : 1)
        let g = 2 * n / (zero.rawValue >= 2 ? d : 1)
        let o = 12 * n / (zero.rawValue >= 1 ? d : 1)
        return (p, g, o)
    }

    /// Activation bytes of one transformer layer for one micro-batch (Korthikanti et al. 2022, eq. 1–6),
    /// with `s` the sequence length divided by `cp`, `b` the micro-batch, `h` hidden, `a` heads, `t = tp`
    /// with sequence parallelism (everything divided by `t`):
    ///
    ///     none:       s b h (34/t + 5 a s / (h t))     (the second term dropped with flash attention)
    ///     selective:  s b h · 34/t
    ///     full:       2 s b h / t                        (only the layer input kept)
    public static func activationsPerLayer(seqLen: Int, microBatch: Int, hidden: Int, heads: Int,
                                           tp: Int = 1, cp: Int = 1, flashAttention: Bool = false,
                                           recomputation: Recomputation = .none) -> Double {
        let s = Double(seqLen) / Double(cp), b = Double(microBatch), h = Double(hidden)
        let a = Double(heads), t = Double(tp)
        switch recomputation {
        case .full:
            return 2 * s * b * h / t
        case .selective:
            return s * b * h * 34 / t
        case .none:
            let attention = flashAttention ? 0 : 5 * a * s / (h * t)
            return s * b * h * (34 / t + attention)
        }
    }

    /// Memory per GPU of `model` under `layout` (the first pipeline stage, which holds the most
    /// activations: `L / pp` layers times `min(pp, m)` micro-batches under 1F1B, `m` the micro-batches
    /// per step; `nil` = `pp`). Not counted: the logits / loss buffers, temporary communication
    /// buffers and allocator fragmentation (keep a reserve).
    public init(model: ClusterModel, layout: ParallelLayout, microBatchesPerStep: Int? = nil) {
        let ms = Self.modelStates(parameters: model.parameters, dp: layout.dp, tp: layout.tp, pp: layout.pp, zero: layout.zero)
        let perLayer = Self.activationsPerLayer(seqLen: model.seqLen, microBatch: layout.microBatch, hidden: model.dModel,
                                                heads: model.nHead, tp: layout.tp, cp: layout.cp,
                                                flashAttention: model.flashAttention, recomputation: layout.recomputation)
        let layers = (model.nLayer + layout.pp - 1) / layout.pp
        let inFlight = min(layout.pp, max(1, microBatchesPerStep ?? layout.pp))
        // The interleaved schedule's first stage holds 1 + (pp − 1) / (pp v) times as much (Korthikanti et al. 2022, §4.2.3).
        let v = Double(layout.virtualStages), p = Double(layout.pp)
        let interleaving = layout.virtualStages > 1 ? 1 + (p - 1) / (p * v) : 1
        self.init(parameters: ms.parameters, gradients: ms.gradients, optimizerStates: ms.optimizerStates,
                  activationsPerLayer: perLayer, layersPerStage: layers, microBatchesInFlight: inFlight,
                  activations: perLayer * Double(layers) * Double(inFlight) * interleaving)
    }
}
