/// Where each named tensor lives in the one contiguous parameter buffer (gradients and AdamW
/// moments use the same layout, so the optimizer is one loop and an all-reduce is one call).
public struct ParameterLayout: Sendable {
    public struct Tensor: Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        public var offset: Int
        /// Takes weight decay (matrices of the blocks); norms, biases and embeddings do not.
        public var decays: Bool
        public var count: Int { shape.reduce(1, *) }
        public var range: Range<Int> { offset..<(offset + count) }
    }

    /// Offsets of one block's tensors.
    public struct Block: Sendable {
        public var ln1w = 0, ln1b: Int? = nil, qkvw = 0, qkvb = 0, projw = 0, projb = 0
        public var ln2w = 0, ln2b: Int? = nil, fcw = 0, fcb = 0, fc2w = 0, fc2b = 0
    }

    public let tensors: [Tensor]
    public let count: Int
    public let wte: Int
    public let wpe: Int?
    public let blocks: [Block]
    public let lnfw: Int
    public let lnfb: Int?
    /// Output head weights (V, C): the token embedding when tied.
    public let head: Int

    public init(_ c: GPTConfig) {
        var tensors: [Tensor] = []
        var offset = 0
        func add(_ name: String, _ shape: [Int], decays: Bool = false) -> Int {
            let t = Tensor(name: name, shape: shape, offset: offset, decays: decays)
            tensors.append(t)
            offset += t.count
            return t.offset
        }
        let C = c.dModel, F = c.dFF
        let hasBias = c.norm == .layerNorm
        wte = add("wte.weight", [c.vocab, C])
        wpe = c.position == .learned ? add("wpe.weight", [c.seqLen, C]) : nil
        var blocks: [Block] = []
        for l in 0..<c.nLayer {
            let p = "h.\(l)."
            var b = Block()
            b.ln1w = add(p + "ln_1.weight", [C])
            b.ln1b = hasBias ? add(p + "ln_1.bias", [C]) : nil
            b.qkvw = add(p + "attn.c_attn.weight", [3 * C, C], decays: true)
            b.qkvb = add(p + "attn.c_attn.bias", [3 * C])
            b.projw = add(p + "attn.c_proj.weight", [C, C], decays: true)
            b.projb = add(p + "attn.c_proj.bias", [C])
            b.ln2w = add(p + "ln_2.weight", [C])
            b.ln2b = hasBias ? add(p + "ln_2.bias", [C]) : nil
            b.fcw = add(p + "mlp.c_fc.weight", [F, C], decays: true)
            b.fcb = add(p + "mlp.c_fc.bias", [F])
            b.fc2w = add(p + "mlp.c_proj.weight", [C, F], decays: true)
            b.fc2b = add(p + "mlp.c_proj.bias", [C])
            blocks.append(b)
        }
        self.blocks = blocks
        lnfw = add("ln_f.weight", [C])
        lnfb = hasBias ? add("ln_f.bias", [C]) : nil
        head = c.tiedHead ? wte : add("lm_head.weight", [c.vocab, C], decays: true)
        self.tensors = tensors
        count = offset
    }

    /// Parameters outside the embeddings (token, position) — the N of scaling laws. An untied
    /// output head counts as non-embedding, as in Kaplan et al. and Chinchilla.
    public func nonEmbeddingCount(_ c: GPTConfig) -> Int {
        count - c.vocab * c.dModel - (wpe == nil ? 0 : c.seqLen * c.dModel)
    }
}
