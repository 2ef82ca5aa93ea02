/// The shape of a decoder-only GPT. Notation used across the trainer: B batch, T time (sequence),
/// C channels (d_model), V vocabulary, L layers, NH heads, d = C / NH head dimension.
public struct GPTConfig: Codable, Equatable, Sendable {
    public enum Position: String, Codable, Sendable, CaseIterable {
        /// Learned absolute positions added to the token embedding (GPT-2).
        case learned
        /// Rotary embeddings on queries and keys (no position parameters).
        case rope
    }

    public enum Norm: String, Codable, Sendable, CaseIterable {
        case layerNorm = "layernorm"
        case rmsNorm = "rmsnorm"
    }

    public var vocab: Int
    /// Context length T (the longest sequence the model sees).
    public var seqLen: Int
    public var dModel: Int
    public var nLayer: Int
    public var nHead: Int
    /// Hidden width of the MLP as a multiple of d_model.
    public var mlpRatio: Int = 4
    public var position: Position = .learned
    public var norm: Norm = .layerNorm
    /// Output head shares the token embedding matrix.
    public var tiedHead: Bool = true
    /// Weight initialization (see ``Initialization``).
    public var initialization: Initialization = .gpt2

    /// `gpt2`: N(0, 0.02) (Radford et al. 2019), tuned for d_model = 768. `small`: N(0, sqrt(2 / (5 d_model)))
    /// ("small init", Nguyen & Salazar 2019, as GPT-NeoX uses), which is 0.02 at d_model = 1000 and
    /// larger for narrow models, where 0.02 leaves them on the unigram plateau for a seed-dependent
    /// number of steps. Both scale residual projections by 1/sqrt(2 n_layer).
    public enum Initialization: String, Codable, Sendable, CaseIterable { case gpt2, small }

    /// Standard deviation of the weight matrices at initialization.
    public var initStd: Double {
        switch initialization {
        case .gpt2: return 0.02
        case .small: return (2 / (5 * Double(dModel))).squareRoot()
        }
    }

    public init(vocab: Int, seqLen: Int, dModel: Int, nLayer: Int, nHead: Int, mlpRatio: Int = 4,
                position: Position = .learned, norm: Norm = .layerNorm, tiedHead: Bool = true) {
        self.vocab = vocab; self.seqLen = seqLen; self.dModel = dModel; self.nLayer = nLayer
        self.nHead = nHead; self.mlpRatio = mlpRatio; self.position = position; self.norm = norm
        self.tiedHead = tiedHead
    }

    /// Largest vocabulary (token ids are Int32).
    public static let maxVocab = Int(Int32.max)
    /// Largest d_model and seq_len: 2^20.
    public static let maxWidth = 1 << 20
    /// Most layers.
    public static let maxLayers = 4096

    public var headDim: Int { dModel / nHead }
    public var dFF: Int { mlpRatio * dModel }

    /// Checks the shape; the message names the field and what it must be.
    public func validate() throws {
        func fail(_ m: String) throws -> Never { throw TrainingError.invalidConfig(m) }
        if vocab < 2 { try fail("model.vocab must be at least 2, got \(vocab)") }
        if vocab > Self.maxVocab { try fail("model.vocab must be at most \(Self.maxVocab), got \(vocab)") }
        if !(1...Self.maxWidth).contains(seqLen) { try fail("model.seq_len must be in 1...\(Self.maxWidth), got \(seqLen)") }
        if !(1...Self.maxWidth).contains(dModel) { try fail("model.d_model must be in 1...\(Self.maxWidth), got \(dModel)") }
        if !(1...Self.maxLayers).contains(nLayer) { try fail("model.n_layer must be in 1...\(Self.maxLayers), got \(nLayer)") }
        if nHead < 1 { try fail("model.n_head must be positive, got \(nHead)") }
        if dModel % nHead != 0 { try fail("model.d_model (\(dModel)) must be divisible by model.n_head (\(nHead))") }
        if !(1...64).contains(mlpRatio) { try fail("model.mlp_ratio must be in 1...64, got \(mlpRatio)") }
        if TrainingMemory.parameterCount(self) == nil {
            try fail("model (d_model \(dModel), n_layer \(nLayer), vocab \(vocab), seq_len \(seqLen)) has more than \(TrainingMemory.maxElements) parameters")
        }
        if position == .rope && headDim % 2 != 0 { try fail("rope needs an even head dimension; d_model / n_head = \(headDim)") }
    }
}

public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case invalidConfig(String)
    case data(String)
    case checkpoint(String)
    case diverged(step: Int, reason: String)

    public var description: String {
        switch self {
        case let .invalidConfig(m): return "invalid training config: \(m)"
        case let .data(m): return "training data: \(m)"
        case let .checkpoint(m): return "checkpoint: \(m)"
        case let .diverged(step, reason): return "diverged at step \(step): \(reason)"
        }
    }
}
