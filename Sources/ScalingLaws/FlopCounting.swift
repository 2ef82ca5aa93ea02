/// How training compute is counted from parameters and tokens.
///
/// A dense transformer's matmuls cost `2N` FLOPs per token forward and `4N` backward, so
/// `6N` per token (Kaplan et al. 2020, Hoffmann et al. 2022), where `N` is the NON-embedding
/// parameter count (embedding lookups are not matmuls; with a tied head the output projection
/// adds `2 V d` forward, which the `6N` convention ignores). Attention scores and the weighted sum
/// of values add `2 · n_layer · n_ctx · d_model` per token forward (Kaplan et al. 2020, Table 1),
/// so `6 · n_layer · n_ctx · d_model` for training.
public enum FlopCounting: Sendable, Hashable, Codable, CustomStringConvertible {
    /// `C = 6 N D`.
    case sixND
    /// `C = (6 N + 6 · nLayer · seqLen · dModel) D`: adds the attention term for a fixed shape.
    case sixNDPlusAttention(nLayer: Int, dModel: Int, seqLen: Int)
    /// The exact training FLOPs per token (every matmul, the output head and attention; see
    /// ``ModelShape/trainingFlopsPerToken``) of the shape a ``ShapeFamily`` gives `N` (counted as
    /// `counting`), scaled by `N / N_shape` so the count is continuous in `N`. This is how a
    /// sweep sizes `D` for a budget, so a law fitted on the sweep plans with the same `C`.
    case family(ShapeFamily, vocab: Int, seqLen: Int, counting: ParameterCounting)

    /// Training FLOPs per token for a model of `params` parameters.
    public func flopsPerToken(params: Double) -> Double {
        switch self {
        case .sixND:
            return 6 * params
        case let .sixNDPlusAttention(nLayer, dModel, seqLen):
            return 6 * params + 6 * Double(nLayer) * Double(seqLen) * Double(dModel)
        case let .family(family, vocab, seqLen, counting):
            guard let choice = try? family.shape(params: params, counting: counting, vocab: vocab, seqLen: seqLen) else {
                return 6 * params
            }
            return choice.shape.trainingFlopsPerToken * params / Double(choice.parameters)
        }
    }

    /// Training FLOPs for `tokens` tokens.
    public func trainingFlops(params: Double, tokens: Double) -> Double {
        flopsPerToken(params: params) * tokens
    }

    /// Tokens a budget of `flops` buys for a model of `params` parameters.
    public func tokens(forFlops flops: Double, params: Double) -> Double {
        flops / flopsPerToken(params: params)
    }

    public var description: String {
        switch self {
        case .sixND:
            return "6ND (6 FLOPs per parameter per token)"
        case let .sixNDPlusAttention(nLayer, dModel, seqLen):
            return "6ND + attention (6N + 6·\(nLayer)·\(seqLen)·\(dModel) FLOPs per token)"
        case let .family(_, vocab, seqLen, counting):
            return "3 x the forward FLOPs of every matmul (the output head included) and of attention, per token (Hoffmann et al. 2022, App. F), of the sweep's shape for N (\(counting == .total ? "total" : "non-embedding") parameters; vocab \(vocab), context \(seqLen))"
        }
    }
}

/// Which parameters `N` counts. Kaplan et al. 2020 fit laws in non-embedding parameters;
/// Hoffmann et al. 2022 counted all parameters. The planner's `N` is whatever the law was fitted
/// in; ``ModelShape`` searches either.
public enum ParameterCounting: String, Sendable, Hashable, Codable, CaseIterable {
    /// Transformer blocks and final norm only.
    case nonEmbedding
    /// Non-embedding plus token and position embeddings (tied output head).
    case total
}
