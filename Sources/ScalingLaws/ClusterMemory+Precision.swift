/// Number formats of training state, for the memory formulas.
public enum MemoryPrecision: String, Sendable, Hashable, Codable, CaseIterable {
    /// bf16/fp16 weights and gradients, fp32 master weights and Adam moments (2 + 2 + 12 bytes per
    /// parameter), 16-bit activations: what the cluster plan assumes.
    case mixed
    /// fp32 weights, gradients and Adam moments with no separate master copy (4 + 4 + 8 bytes per
    /// parameter), fp32 activations: the built-in CPU trainer's default.
    case fp32

    /// Bytes per parameter of weights, gradients and optimizer states.
    public var stateBytes: (parameters: Double, gradients: Double, optimizer: Double) {
        switch self {
        case .mixed: return (2, 2, 12)
        case .fp32: return (4, 4, 8)
        }
    }

    /// Bytes per saved activation element.
    public var activationBytes: Double { self == .mixed ? 2 : 4 }
}

/// The memory of a whole model on one rank (no parallelism), itemized: what the cluster
/// formulas predict for a single process, including the output head's buffers the per-layer
/// formula leaves out.
public struct SingleRankMemory: Sendable, Hashable, Codable {
    public var parameters: Double
    public var gradients: Double
    public var optimizerStates: Double
    /// Saved activations of all layers.
    public var activations: Double
    /// Final norm's input and output (2 s b h e) and the fp32 logits the loss reads (4 s b V).
    public var head: Double
    /// Backward's working set: the gradients of one layer's activations, alive while that layer's
    /// backward runs (16 s b h e, the same tensors as one layer saves). Korthikanti et al. count
    /// saved activations only; a single process's peak holds these too.
    public var backwardWorkingSet: Double
    public var total: Double { parameters + gradients + optimizerStates + activations + head + backwardWorkingSet }

    /// Korthikanti et al.'s per-layer count, generalized to the element size `e` and to training
    /// without dropout. Their 34 s b h + 5 a s² b bytes (16-bit, with dropout) are 16 saved s·b·h
    /// tensors of `e` bytes plus two 1-byte dropout masks, and, without flash attention, the
    /// softmax output (e), its dropout mask (1) and dropout output (e) per score:
    ///
    ///     per layer = s b h (16 e + 2 [dropout]) + a s² b (2 e + 1 [dropout], e without)
    ///
    /// which gives their 34 s b h + 5 a s² b at e = 2 with dropout.
    public static func activationsPerLayer(seqLen s: Int, microBatch b: Int, hidden h: Int, heads a: Int,
                                           elementBytes e: Double, dropout: Bool, flashAttention: Bool) -> Double {
        let sbh = Double(s) * Double(b) * Double(h)
        let scores = flashAttention ? 0 : Double(a) * Double(s) * Double(s) * Double(b) * (dropout ? 2 * e + 1 : e)
        return sbh * (16 * e + (dropout ? 2 : 0)) + scores
    }

    public init(model: ClusterModel, microBatch: Int, vocab: Int, precision: MemoryPrecision, dropout: Bool) {
        let n = model.parameters
        let bytes = precision.stateBytes
        parameters = bytes.parameters * n
        gradients = bytes.gradients * n
        optimizerStates = bytes.optimizer * n
        let e = precision.activationBytes
        activations = Double(model.nLayer) * Self.activationsPerLayer(
            seqLen: model.seqLen, microBatch: microBatch, hidden: model.dModel, heads: model.nHead,
            elementBytes: e, dropout: dropout, flashAttention: model.flashAttention)
        let tokens = Double(model.seqLen * microBatch)
        head = 2 * tokens * Double(model.dModel) * e + 4 * tokens * Double(vocab)
        backwardWorkingSet = 16 * tokens * Double(model.dModel) * e
    }
}
