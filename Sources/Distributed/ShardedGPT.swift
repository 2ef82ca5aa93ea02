import Dispatch
import Training

/// The part of a GPT one rank holds and runs: blocks `layers` (all of them, or a pipeline stage's
/// slice, with the embeddings on the first stage and ln_f, the head and the loss on the last),
/// sharded over a tensor-parallel group (`tp` ranks) and a context-parallel group (`cp` ranks);
/// either may have size 1. The same code runs data, tensor, context and pipeline parallelism.
///
/// Tensor parallelism as in Megatron-LM (Shoeybi et al. 2019): rank r holds attention heads
/// [r NH/tp, (r+1) NH/tp) — the matching rows of the q, k, v projection (column parallel) and
/// columns of the output projection (row parallel) — and MLP hidden units [r F/tp, (r+1) F/tp) —
/// rows of c_fc, columns of c_proj. Embeddings, norms, the head and the biases added after a
/// row-parallel product are replicated. Per block, forward all-reduces the two row-parallel
/// outputs (attention and MLP) before their bias and residual; backward all-reduces the two
/// column-parallel input gradients before the norms' backward.
///
/// Context parallelism: each sequence's T tokens are split across the cp ranks in the
/// load-balanced chunk layout of `RingAttention` (rank r: chunks r and 2cp-1-r of 2cp), every
/// per-token operation runs on the rank's T / cp rows with their true positions (learned position
/// rows, RoPE angles), attention is ring attention, and the loss is the mean over all B T tokens
/// (local sums all-reduced over the cp group). Parameters are replicated over cp: their gradients
/// are partial sums until `reduceContextGradients`.
///
/// Pipeline stages (`ModelParallelTrainer`): `inFlight` activation slots hold the micro-batches
/// whose backward is pending; a later stage receives its input into `input(slot)`, an earlier one
/// sends `output(slot)`, and the residual gradient travels back through `residualGradient`. A tied
/// head makes the last stage hold a copy of the token embedding (a `Local` with `tiedCopy`), whose
/// gradient is summed with the first stage's (as Megatron-LM's embedding group does).
final class ShardedGPT {
    /// One tensor of the single-rank layout as this rank stores it.
    struct Local {
        var tensor: ParameterLayout.Tensor
        var offset: Int
        var count: Int
        var sharded: Bool
        /// The last stage's copy of the tied token embedding (the first stage owns the tensor).
        var tiedCopy: Bool = false
    }

    let config: GPTConfig
    let layout: ParameterLayout
    /// The tensor-parallel group.
    let comm: Communicator
    /// The context-parallel group, nil without context parallelism.
    let context: Communicator?
    let tp: Int, rank: Int
    let NHl: Int, Cl: Int, Fl: Int
    /// The blocks this rank runs; the first stage embeds, the last computes the loss.
    let layers: Range<Int>
    let isFirst: Bool, isLast: Bool
    /// B sequences of `seqLen` tokens, of which this rank holds T = seqLen / cp rows each (R = B T).
    let B: Int, T: Int, R: Int, seqLen: Int
    /// Sequence position of each local row (0..<T without context parallelism).
    let positions: [Int]
    let locals: [Local]
    /// Local offset of each global tensor offset.
    let localOffset: [Int: Int]
    let params: FloatBuffer
    let grads: FloatBuffer
    let rope: RoPE?
    let ring: RingAttention?
    /// Activations of the micro-batches in flight (one without a pipeline).
    let slots: [StageActivations]
    let s: BlockScratch
    /// Which tensor is kept in which precision; fp32 runs the fp32 path.
    let policy: PrecisionPolicy
    /// The matmul copy of this rank's weights (mixed policies only).
    let halfWeights: MatmulWeights?
    /// fp16's dynamic loss scale: the next forward saves the loss gradient multiplied by it (as
    /// `GPT.dynamicLossScale`); ignored under fp32.
    var dynamicLossScale: Float = 1
    /// Seconds spent in the activation and input-gradient all-reduces and the ring.
    var communicationSeconds: Double { collectiveSeconds + (ring?.communicationSeconds ?? 0) }
    private var collectiveSeconds: Double = 0

    /// Sum over the tensor-parallel group, timed.
    func allReduce(_ x: UnsafeMutablePointer<Float>, count: Int) throws {
        guard comm.size > 1 else { return }
        let t0 = DispatchTime.now().uptimeNanoseconds
        try comm.allReduce(x, count: count)
        collectiveSeconds += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }

    /// `comm` is the tensor-parallel group, `context` the context-parallel one; `seqLen` is the
    /// full sequence length (it must divide by 2 cp). `layers` nil means every block.
    init(config c: GPTConfig, comm: Communicator, context: Communicator? = nil, layers: Range<Int>? = nil,
         isFirst: Bool = true, isLast: Bool = true, inFlight: Int = 1, B: Int, seqLen: Int,
         initial: UnsafePointer<Float>, precision: TrainConfig.Precision = .fp32) throws {
        let tp = comm.size, cp = context?.size ?? 1
        if cp > 1 {
            guard seqLen % (2 * cp) == 0 else {
                throw DistributedError.invalidLayout("model.seq_len (\(seqLen)) must divide by 2 x cp (\(2 * cp)): context parallelism cuts each sequence into 2 x cp equal chunks, two per rank")
            }
        }
        guard c.nHead % tp == 0 else {
            throw DistributedError.invalidLayout("model.n_head (\(c.nHead)) must divide by tp (\(tp)): each tensor-parallel rank takes n_head / tp heads")
        }
        guard c.dFF % tp == 0 else {
            throw DistributedError.invalidLayout("the MLP width (\(c.dFF) = mlp_ratio x d_model) must divide by tp (\(tp))")
        }
        config = c
        layout = ParameterLayout(c)
        self.comm = comm
        self.tp = tp
        rank = comm.rank
        NHl = c.nHead / tp; Cl = c.dModel / tp; Fl = c.dFF / tp
        let T = seqLen / cp
        self.context = cp > 1 ? context : nil
        self.B = B; self.T = T; R = B * T; self.seqLen = seqLen
        positions = cp > 1 ? RingAttention.positions(rank: context!.rank, cp: cp, seqLen: seqLen) : Array(0..<T)
        let layers = layers ?? 0..<c.nLayer
        self.layers = layers
        self.isFirst = isFirst
        self.isLast = isLast
        let lo = isFirst ? 0 : layout.blocks[layers.lowerBound].ln1w
        let hi = isLast ? layout.count : layout.blocks[layers.upperBound].ln1w
        var locals: [Local] = [], map: [Int: Int] = [:], offset = 0
        let sharded: Set<String> = ["attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight", "mlp.c_fc.weight",
                                    "mlp.c_fc.bias", "mlp.c_proj.weight"]
        for t in layout.tensors where (lo..<hi).contains(t.offset) {
            let isSharded = t.name.hasPrefix("h.") && sharded.contains(t.name.split(separator: ".", maxSplits: 2)[2].description)
            let count = isSharded ? t.count / tp : t.count
            locals.append(Local(tensor: t, offset: offset, count: count, sharded: isSharded))
            map[t.offset] = offset
            offset += count
        }
        let wteOffset = layout.wte
        if isLast && !isFirst && c.tiedHead, let wte = layout.tensors.first(where: { $0.offset == wteOffset }) {
            locals.append(Local(tensor: wte, offset: offset, count: wte.count, sharded: false, tiedCopy: true))
            map[wte.offset] = offset
            offset += wte.count
        }
        self.locals = locals
        localOffset = map
        precondition(!(tp == 1 && isFirst && isLast) || map.allSatisfy { $0.key == $0.value },
                     "a rank holding the whole model keeps the single-rank layout")
        params = FloatBuffer(count: offset)
        grads = FloatBuffer(count: offset)
        rope = c.position == .rope ? RoPE(positions: positions, headDim: c.headDim) : nil
        ring = cp > 1 ? RingAttention(comm: context!, B: B, NH: c.nHead / tp, localT: T, d: c.headDim) : nil
        // activations: full-width rows where replicated, local widths inside attention and MLP
        let policy = precision.policy
        self.policy = policy
        slots = (0..<inFlight).map { _ in
            StageActivations(c, layers: layers.count, B: B, T: T, isLast: isLast, tp: tp, policy: policy)
        }
        s = BlockScratch(R: B * T, C: c.dModel, Cl: c.dModel / tp, Fl: c.dFF / tp, policy: policy, widenAttention: cp > 1)
        if policy.isMixed {
            // this rank's matmul weights: its blocks' four (shards) and, on the last stage, the head
            let head = layout.head
            let matmul = locals.filter { l in
                let name = l.tensor.name
                return ["attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"].contains { name.hasSuffix($0) }
                    || (isLast && l.tensor.offset == head)
            }
            halfWeights = MatmulWeights(policy, count: offset, tensors: matmul.map { ($0.offset, $0.count) })
        } else {
            halfWeights = nil
        }
        for l in locals { copy(l, global: UnsafeMutablePointer(mutating: initial), local: params.pointer, toLocal: true) }
    }

    /// Whether this rank holds every tensor whole, at its single-rank offset (no tensor or pipeline
    /// split): its parameters are the single-rank model's.
    var holdsWholeModel: Bool { tp == 1 && isFirst && isLast }

    func p(_ o: Int) -> UnsafeMutablePointer<Float> { params.pointer + localOffset[o]! }
    func g(_ o: Int) -> UnsafeMutablePointer<Float> { grads.pointer + localOffset[o]! }

    /// Copies one tensor between the single-rank layout `global` and this rank's storage (its
    /// shard) in `local` (the parameters, or a buffer laid out like them: gradients, moments).
    func copy(_ l: Local, global: UnsafeMutablePointer<Float>, local: UnsafeMutablePointer<Float>, toLocal: Bool) {
        let src = global + l.tensor.offset, dst = local + l.offset
        func move(_ g: UnsafeMutablePointer<Float>, _ loc: UnsafeMutablePointer<Float>, _ n: Int) {
            if toLocal { loc.update(from: g, count: n) } else { g.update(from: loc, count: n) }
        }
        guard l.sharded else { return move(src, dst, l.count) }
        let C = config.dModel, F = config.dFF
        let name = l.tensor.name
        if name.hasSuffix("c_attn.weight") {        // (3C, C): rows of q, k, v for my heads
            for j in 0..<3 { move(src + (j * C + rank * Cl) * C, dst + j * Cl * C, Cl * C) }
        } else if name.hasSuffix("c_attn.bias") {   // (3C)
            for j in 0..<3 { move(src + j * C + rank * Cl, dst + j * Cl, Cl) }
        } else if name.hasSuffix("attn.c_proj.weight") { // (C, C): my input columns
            for o in 0..<C { move(src + o * C + rank * Cl, dst + o * Cl, Cl) }
        } else if name.hasSuffix("c_fc.weight") {   // (F, C): my rows
            move(src + rank * Fl * C, dst, Fl * C)
        } else if name.hasSuffix("c_fc.bias") {     // (F)
            move(src + rank * Fl, dst, Fl)
        } else {                                    // mlp.c_proj.weight (C, F): my input columns
            for o in 0..<C { move(src + o * F + rank * Fl, dst + o * Fl, Fl) }
        }
    }

    /// Writes this rank's tensors in the single-rank layout into `full`, zero elsewhere, then sums
    /// over the tensor-parallel group (shards from every rank, replicated tensors from rank 0): the
    /// parameters of this stage, the same on every rank of the group.
    func gather(into full: UnsafeMutablePointer<Float>) throws {
        try gather(params.pointer, into: full)
    }

    /// `gather` of any buffer laid out like the parameters (AdamW moments).
    func gather(_ local: UnsafeMutablePointer<Float>, into full: UnsafeMutablePointer<Float>) throws {
        full.update(repeating: 0, count: layout.count)
        for l in locals where !l.tiedCopy && (l.sharded || rank == 0) { copy(l, global: full, local: local, toLocal: false) }
        if comm.size > 1 { try comm.allReduce(full, count: layout.count) }
    }

    /// The inverse of `gather`: this rank's tensors (and shards) of the single-rank layout `full`
    /// into `local`.
    func scatter(_ full: UnsafePointer<Float>, into local: UnsafeMutablePointer<Float>) {
        for l in locals { copy(l, global: UnsafeMutablePointer(mutating: full), local: local, toLocal: true) }
    }

    /// Σ g² over sharded tensors and over replicated ones (the latter are equal on every rank of the
    /// tensor group); a tied copy is not counted (its gradient is the first stage's).
    /// Only the part of each tensor inside `range` of the local buffer counts (a ZeRO-1 shard).
    func gradientSquares(in range: Range<Int>? = nil) -> (sharded: Double, replicated: Double) {
        let range = range ?? 0..<grads.count
        var sh = 0.0, rep = 0.0
        for l in locals where !l.tiedCopy {
            let lo = max(l.offset, range.lowerBound), hi = min(l.offset + l.count, range.upperBound)
            guard lo < hi else { continue }
            let v = sumOfSquares(grads.pointer + lo, count: hi - lo)
            if l.sharded { sh += v } else { rep += v }
        }
        return (sh, rep)
    }

    /// Sum over the context-parallel group of the parameter gradients (each rank's are the
    /// contributions of its tokens); a no-op without context parallelism.
    func reduceContextGradients() throws {
        guard let context else { return }
        let t0 = DispatchTime.now().uptimeNanoseconds
        try context.allReduce(grads.pointer, count: grads.count)
        collectiveSeconds += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }

    /// Bytes of the activations kept for backward (every slot), the backward scratch and the
    /// ring's buffers.
    var activationBytes: Int {
        slots.reduce(0) { $0 + $1.bytes } + s.bytes + (ring?.bytes ?? 0) + (halfWeights?.bytes ?? 0)
    }

    /// The input buffer of slot `slot` (where a later stage receives activations).
    func input(_ slot: Int) -> UnsafeMutablePointer<Float> { slots[slot].resid[0].pointer }
    /// The output of slot `slot` (what a non-last stage sends on).
    func output(_ slot: Int) -> UnsafeMutablePointer<Float> { slots[slot].resid[layers.count].pointer }
    /// d(output): a non-last stage receives it here before `backward`; after `backward` it holds
    /// d(input), which a non-first stage sends back.
    var residualGradient: UnsafeMutablePointer<Float> { s.dResid.pointer }

}
