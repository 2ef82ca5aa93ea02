import Randomness
/// A decoder-only GPT whose parameters, gradients and activations live in flat buffers.
///
/// Per block (pre-norm):  x += proj(attention(norm1(x)));  x += fc2(gelu(fc(norm2(x))))
/// then logits = norm_f(x) · headᵀ and the mean cross-entropy over B*T positions.
/// Activations are sized for one micro-batch shape (B, T), allocated once.
public final class GPT {
    public let config: GPTConfig
    public let layout: ParameterLayout
    public let params: FloatBuffer
    public let grads: FloatBuffer
    public let B: Int
    public let T: Int
    let acts: Activations
    let rope: RoPE?
    /// Which tensor is kept in which precision (`PrecisionPolicy`); fp32 runs the fp32 code path.
    public let policy: PrecisionPolicy
    /// The matmul copy of the weights and the output head of a mixed policy (nil under fp32).
    let mixed: (weights: MatmulWeights, head: MixedHead)?
    /// Dynamic loss scale (fp16): the next mixed-precision forward scales the gradient it saves
    /// for backward by this factor, so every gradient the next `backward` adds is multiplied by
    /// it. Ignored under fp32. The trainer divides it back out before the optimizer.
    public var dynamicLossScale: Float = 1

    /// Builds the model with GPT-2 initialization from `seed` for micro-batches of B x T tokens,
    /// keeping tensors in the formats `precision`'s policy names.
    public init(config: GPTConfig, batch B: Int, seqLen T: Int, seed: UInt64,
                precision: TrainConfig.Precision = .fp32) throws {
        try config.validate()
        guard B >= 1 else { throw TrainingError.invalidConfig("batch size must be positive, got \(B)") }
        guard T >= 1 && T <= config.seqLen else {
            throw TrainingError.invalidConfig("sequence length \(T) must be in 1...\(config.seqLen) (model.seq_len)")
        }
        try TrainingMemory.check(config, batch: B, seqLen: T)
        self.config = config
        self.B = B
        self.T = T
        layout = ParameterLayout(config)
        params = FloatBuffer(count: layout.count)
        grads = FloatBuffer(count: layout.count)
        policy = precision.policy
        acts = Activations(config, B: B, T: T, policy: policy)
        mixed = policy.isMixed
            ? (MatmulWeights(policy, layout: layout, config: config), MixedHead(policy, R: B * T, C: config.dModel, V: config.vocab))
            : nil
        rope = config.position == .rope ? RoPE(T: T, headDim: config.headDim) : nil
        initialize(seed: seed)
    }

    /// GPT-2 initialization: N(0, std) weights (std = 0.02, or the config's small init), residual
    /// projections scaled by 1/sqrt(2L), zero biases, unit norm weights.
    public func initialize(seed: UInt64) {
        Self.initialize(params.pointer, layout: layout, config: config, seed: seed)
    }

    /// The GPT-2 initialization of `config`'s parameters from `seed` (as `initialize(seed:)`),
    /// without a model's gradients and activations: what a parallel rank copies its shard from.
    public static func initialParameters(_ config: GPTConfig, seed: UInt64) throws -> FloatBuffer {
        try config.validate()
        let layout = ParameterLayout(config)
        let params = FloatBuffer(count: layout.count)
        initialize(params.pointer, layout: layout, config: config, seed: seed)
        return params
    }

    static func initialize(_ params: UnsafeMutablePointer<Float>, layout: ParameterLayout, config: GPTConfig, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let baseStd = config.initStd
        let residualStd = baseStd / Double(2 * config.nLayer).squareRoot()
        for t in layout.tensors {
            let p = params + t.offset
            if t.name.hasSuffix("ln_1.weight") || t.name.hasSuffix("ln_2.weight") || t.name == "ln_f.weight" {
                p.update(repeating: 1, count: t.count)
            } else if t.shape.count == 1 {
                p.update(repeating: 0, count: t.count)
            } else {
                let std = t.name.hasSuffix("c_proj.weight") ? residualStd : baseStd
                for i in 0..<t.count { p[i] = Float(rng.nextGaussian() * std) }
            }
        }
    }

    public var parameterCount: Int { layout.count }

    /// The per-token losses (nats) of the last forward, B x T.
    public var tokenLosses: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: acts.losses.pointer, count: acts.R) }

    /// Bytes of the activations a forward pass saves for backward (per-layer tensors, final norm,
    /// logits or their saved gradient, per-row statistics, tokens), in their policy formats.
    public var savedActivationBytes: Int { acts.savedBytes + (mixed?.head.savedBytes ?? 0) }

    /// Bytes of forward/backward scratch (shared by layers) and, when mixed, the weights' matmul copy.
    public var scratchBytes: Int { acts.scratchBytes + (mixed.map { $0.weights.bytes + $0.head.scratchBytes } ?? 0) }
    public var nonEmbeddingParameterCount: Int { layout.nonEmbeddingCount(config) }

    /// Training FLOPs per token of this model at sequence length T (`flopsPerToken(_:seqLen:)`).
    public var flopsPerToken: Double { Self.flopsPerToken(config, seqLen: T) }

    /// Training FLOPs per token of `c` at sequence length T, counted as the planner does:
    /// 6 x (matmul weights, including the output head) + 6 L T C for causal attention
    /// (the 12 L T C of full attention, halved by the mask).
    public static func flopsPerToken(_ c: GPTConfig, seqLen T: Int) -> Double {
        let C = Double(c.dModel), L = Double(c.nLayer)
        let layout = ParameterLayout(c)
        let matmul = Double(layout.nonEmbeddingCount(c)) + Double(c.vocab) * C
            - (c.tiedHead ? 0 : Double(c.vocab) * C)
        return 6 * matmul + 6 * L * Double(T) * C
    }
}

/// Everything the forward pass saves for backward, plus backward scratch, for one (B, T): the
/// blocks' (`BlockActivations`, `BlockScratch`, shared with every parallel layout's model) and the
/// final norm's, the logits' and the loss's.
final class Activations {
    let R: Int
    let blocks: BlockActivations
    let scratch: BlockScratch
    let resid: [FloatBuffer]       // L+1 x (R, C): input of each block, then the final stream
    let ln1, ln1Mean, ln1Rstd: [FloatBuffer]
    let q, k, v, attO, lse, attY, resid2: [FloatBuffer]
    let ln2, ln2Mean, ln2Rstd, fcH, fcG: [FloatBuffer]
    let lnf, lnfMean, lnfRstd: FloatBuffer
    let logits, losses, lossLSE: FloatBuffer
    let targets: UnsafeMutablePointer<Int32>
    let tokens: UnsafeMutablePointer<Int32>
    // scratch shared by all layers
    let qkv, dqkv, dq, dk, dv, dAttO, dAttY, dResid, dLn, dFcH, dFcG: FloatBuffer
    /// Per-block partial sums of norm weight gradients (blocks of `BlockScratch.normBlockRows` rows).
    let normPartial: FloatBuffer

    /// Under a mixed `policy` the blocks keep their narrow tensors (`NarrowActivations`) and the
    /// final norm's output and the logits live in the `MixedHead`: those fp32 tensors stay empty.
    init(_ c: GPTConfig, B: Int, T: Int, policy: PrecisionPolicy = PrecisionPolicy(.fp32)) {
        let R = B * T, C = c.dModel
        self.R = R
        let full = policy.isMixed ? 0 : 1
        blocks = BlockActivations(layers: c.nLayer, B: B, T: T, C: C, Cl: C, Fl: c.dFF, heads: c.nHead, policy: policy)
        scratch = BlockScratch(R: R, C: C, Cl: C, Fl: c.dFF, policy: policy)
        let b = blocks, s = scratch
        resid = b.resid
        ln1 = b.ln1; ln1Mean = b.ln1Mean; ln1Rstd = b.ln1Rstd
        q = b.q; k = b.k; v = b.v; attO = b.attO; lse = b.lse; attY = b.attY; resid2 = b.resid2
        ln2 = b.ln2; ln2Mean = b.ln2Mean; ln2Rstd = b.ln2Rstd; fcH = b.fcH; fcG = b.fcG
        lnf = FloatBuffer(count: full * R * C); lnfMean = FloatBuffer(count: R); lnfRstd = FloatBuffer(count: R)
        logits = FloatBuffer(count: full * R * c.vocab); losses = FloatBuffer(count: R); lossLSE = FloatBuffer(count: R)
        targets = .allocate(capacity: R); targets.initialize(repeating: 0, count: R)
        tokens = .allocate(capacity: R); tokens.initialize(repeating: 0, count: R)
        qkv = s.qkv; dqkv = s.dqkv; dq = s.dq; dk = s.dk; dv = s.dv; dAttO = s.dAttO; dAttY = s.dAttY
        dResid = s.dResid; dLn = s.dLn; dFcH = s.dFcH; dFcG = s.dFcG; normPartial = s.normPartial
    }

    deinit {
        targets.deallocate()
        tokens.deallocate()
    }

    /// Bytes held by saved activations and scratch.
    var bytes: Int { savedBytes + scratchBytes }

    /// Bytes of the fp32 tensors forward saves for backward (and the token ids).
    var savedBytes: Int {
        blocks.bytes + [lnf, lnfMean, lnfRstd, logits, losses, lossLSE].reduce(0) { $0 + $1.bytes } + 8 * R
    }

    /// Bytes of the scratch buffers layers share.
    var scratchBytes: Int { scratch.bytes }
}
