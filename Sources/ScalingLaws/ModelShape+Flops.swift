import Foundation

/// Training compute of a GPT shape, counted as Hoffmann et al. 2022 (Chinchilla, Appendix F) do:
/// every matrix multiplication, including the output head, plus attention.
///
/// Forward FLOPs per token (2 per multiply-add), `d = dModel`, `f = dFF`, `L = nLayer`,
/// `T = seqLen`, `V = vocab`:
///
///     qkv 2·3d², output projection 2·d², MLP 2·2·d·f      per layer
///     attention: logits Q·Kᵀ 2·T·d, weighted values 2·T·d per layer (full T×T, unmasked, as Chinchilla)
///     output head 2·V·d (the tied embedding used as a matmul)
///
/// and the backward pass costs twice the forward, so training is 3x. Not counted: embedding
/// lookups, norms, biases, GELU and softmax (elementwise, under 1% at these shapes). The `6N`
/// convention (Kaplan et al. 2020) counts only `6 x` non-embedding parameters: at CPU scale it
/// misses the head and attention, which are 20-150% of the real compute (Pearce & Song 2024;
/// Porian et al. 2024 show this bias moves the fitted exponent toward Kaplan's 0.73).
extension ModelShape {
    /// Forward FLOPs per token of the matmuls and attention (see the extension's documentation).
    public var forwardFlopsPerToken: Double {
        let d = Double(dModel), f = Double(dFF), L = Double(nLayer), T = Double(seqLen), V = Double(vocab)
        let perLayer = 2 * 3 * d * d + 2 * d * d + 2 * 2 * d * f + 2 * 2 * T * d
        return L * perLayer + 2 * V * d
    }

    /// Training FLOPs per token: forward plus backward (3x the forward).
    public var trainingFlopsPerToken: Double { 3 * forwardFlopsPerToken }
}
