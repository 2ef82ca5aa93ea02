import Dispatch
import Training

/// One replica of a GPT sharded over a tensor-parallel group (`tp` ranks) and a context-parallel
/// group (`cp` ranks); either may have size 1.
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
final class ShardedGPT {
    /// One tensor of the single-rank layout as this rank stores it.
    struct Local {
        var tensor: ParameterLayout.Tensor
        var offset: Int
        var count: Int
        var sharded: Bool
    }

    let config: GPTConfig
    let layout: ParameterLayout
    /// The tensor-parallel group.
    let comm: Communicator
    /// The context-parallel group, nil without context parallelism.
    let context: Communicator?
    let tp: Int, rank: Int
    let NHl: Int, Cl: Int, Fl: Int
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
    let a: StageActivations
    let s: StageScratch
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
    /// full sequence length (it must divide by 2 cp).
    init(config c: GPTConfig, comm: Communicator, context: Communicator? = nil, B: Int, seqLen: Int,
         initial: UnsafePointer<Float>) throws {
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
        var locals: [Local] = [], map: [Int: Int] = [:], offset = 0
        let sharded: Set<String> = ["attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight", "mlp.c_fc.weight",
                                    "mlp.c_fc.bias", "mlp.c_proj.weight"]
        for t in layout.tensors {
            let isSharded = t.name.hasPrefix("h.") && sharded.contains(t.name.split(separator: ".", maxSplits: 2)[2].description)
            let count = isSharded ? t.count / tp : t.count
            locals.append(Local(tensor: t, offset: offset, count: count, sharded: isSharded))
            map[t.offset] = offset
            offset += count
        }
        self.locals = locals
        localOffset = map
        params = FloatBuffer(count: offset)
        grads = FloatBuffer(count: offset)
        rope = c.position == .rope ? RoPE(positions: positions, headDim: c.headDim) : nil
        ring = cp > 1 ? RingAttention(comm: context!, B: B, NH: c.nHead / tp, localT: T, d: c.headDim) : nil
        // activations: full-width rows where replicated, local widths inside attention and MLP
        a = StageActivations(c, layers: c.nLayer, B: B, T: T, isLast: true)
        s = StageScratch(c, R: B * T)
        for l in locals { copy(l, global: UnsafeMutablePointer(mutating: initial), toLocal: true) }
    }

    func p(_ o: Int) -> UnsafeMutablePointer<Float> { params.pointer + localOffset[o]! }
    func g(_ o: Int) -> UnsafeMutablePointer<Float> { grads.pointer + localOffset[o]! }

    /// Copies one tensor between the single-rank layout `global` and this rank's storage (its shard).
    func copy(_ l: Local, global: UnsafeMutablePointer<Float>, toLocal: Bool) {
        let src = global + l.tensor.offset, dst = params.pointer + l.offset
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

    /// Writes the single-rank layout of the parameters into `full` on every rank (shards summed
    /// into a zeroed buffer; replicated tensors from rank 0).
    func gather(into full: UnsafeMutablePointer<Float>) throws {
        full.update(repeating: 0, count: layout.count)
        for l in locals where l.sharded || rank == 0 { copy(l, global: full, toLocal: false) }
        if comm.size > 1 { try comm.allReduce(full, count: layout.count) }
    }

    /// Σ g² over sharded tensors and over replicated ones (the latter are equal on every rank).
    func gradientSquares() -> (sharded: Double, replicated: Double) {
        var sh = 0.0, rep = 0.0
        for l in locals {
            let v = sumOfSquares(grads.pointer + l.offset, count: l.count)
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

    /// Bytes of the activations kept for backward, the backward scratch and the ring's buffers.
    var activationBytes: Int { a.bytes + s.bytes + (ring?.bytes ?? 0) }

    /// Mean loss over the B x seqLen tokens of one micro-batch, given as full (B, seqLen) rows;
    /// every rank computes the same value.
    func forward(tokens: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, kernels: some ModelKernels) throws -> Float {
        let c = config, C = c.dModel, d = c.headDim
        for b in 0..<B {
            for (t, position) in positions.enumerated() {
                a.tokens[b * T + t] = tokens[b * seqLen + position]
                a.targets[b * T + t] = targets[b * seqLen + position]
            }
        }
        Embedding.forward(out: a.resid[0].pointer, tokens: a.tokens, wte: p(layout.wte), wpe: layout.wpe.map { p($0) },
                          B: B, T: T, C: C, positions: positions)
        for l in 0..<c.nLayer {
            let w = layout.blocks[l]
            norm(out: a.ln1[l].pointer, mean: a.ln1Mean[l].pointer, rstd: a.ln1Rstd[l].pointer, x: a.resid[l].pointer,
                 weight: p(w.ln1w), bias: w.ln1b.map { p($0) })
            kernels.linearForward(out: s.qkv.pointer, inp: a.ln1[l].pointer, weight: p(w.qkvw), bias: p(w.qkvb),
                                  rows: R, inFeatures: C, outFeatures: 3 * Cl)
            splitHeads(s.qkv.pointer, q: a.q[l].pointer, k: a.k[l].pointer, v: a.v[l].pointer)
            if let rope {
                rope.apply(a.q[l].pointer, heads: B * NHl)
                rope.apply(a.k[l].pointer, heads: B * NHl)
            }
            if let ring {
                try ring.forward(out: a.attO[l].pointer, lse: a.lse[l].pointer, q: a.q[l].pointer, k: a.k[l].pointer,
                                 v: a.v[l].pointer, kernels: kernels)
            } else {
                kernels.attentionForward(out: a.attO[l].pointer, lse: a.lse[l].pointer, q: a.q[l].pointer, k: a.k[l].pointer,
                                         v: a.v[l].pointer, B: B, NH: NHl, T: T, d: d)
            }
            mergeHeads(a.attO[l].pointer, into: a.attY[l].pointer)
            kernels.linearForward(out: a.resid2[l].pointer, inp: a.attY[l].pointer, weight: p(w.projw), bias: nil,
                                  rows: R, inFeatures: Cl, outFeatures: C)
            try allReduce(a.resid2[l].pointer, count: R * C)
            addBiasAndResidual(a.resid2[l].pointer, bias: p(w.projb), residual: a.resid[l].pointer)
            norm(out: a.ln2[l].pointer, mean: a.ln2Mean[l].pointer, rstd: a.ln2Rstd[l].pointer, x: a.resid2[l].pointer,
                 weight: p(w.ln2w), bias: w.ln2b.map { p($0) })
            kernels.linearForward(out: a.fcH[l].pointer, inp: a.ln2[l].pointer, weight: p(w.fcw), bias: p(w.fcb),
                                  rows: R, inFeatures: C, outFeatures: Fl)
            GELU.forward(out: a.fcG[l].pointer, x: a.fcH[l].pointer, count: R * Fl)
            kernels.linearForward(out: a.resid[l + 1].pointer, inp: a.fcG[l].pointer, weight: p(w.fc2w), bias: nil,
                                  rows: R, inFeatures: Fl, outFeatures: C)
            try allReduce(a.resid[l + 1].pointer, count: R * C)
            addBiasAndResidual(a.resid[l + 1].pointer, bias: p(w.fc2b), residual: a.resid2[l].pointer)
        }
        norm(out: a.lnf!.pointer, mean: a.lnfMean!.pointer, rstd: a.lnfRstd!.pointer, x: a.resid[c.nLayer].pointer,
             weight: p(layout.lnfw), bias: layout.lnfb.map { p($0) })
        kernels.linearForward(out: a.logits!.pointer, inp: a.lnf!.pointer, weight: p(layout.head), bias: nil,
                              rows: R, inFeatures: C, outFeatures: c.vocab)
        CrossEntropy.forward(losses: a.losses!.pointer, logsumexp: a.lossLSE!.pointer, logits: a.logits!.pointer,
                             targets: a.targets, rows: R, V: c.vocab)
        var total: Double = 0
        for i in 0..<R { total += Double(a.losses![i]) }
        var sum = Float(total)
        if let context { sum = try context.sum(sum) }
        return sum / Float(B * seqLen)
    }

    func backward(lossScale: Float, kernels: some ModelKernels) throws {
        let c = config, C = c.dModel, d = c.headDim
        CrossEntropy.backward(logitsToGradient: a.logits!.pointer, logsumexp: a.lossLSE!.pointer, targets: a.targets,
                              rows: R, V: c.vocab, scale: lossScale / Float(B * seqLen))
        s.dLn.zero()
        kernels.linearBackward(dinp: s.dLn.pointer, dweight: g(layout.head), dbias: nil, dout: a.logits!.pointer,
                               inp: a.lnf!.pointer, weight: p(layout.head), rows: R, inFeatures: C, outFeatures: c.vocab)
        s.dResid.zero()
        normBackward(dx: s.dResid.pointer, dweight: g(layout.lnfw), dbias: layout.lnfb.map { g($0) }, dout: s.dLn.pointer,
                     x: a.resid[c.nLayer].pointer, weight: p(layout.lnfw), mean: a.lnfMean!.pointer, rstd: a.lnfRstd!.pointer)
        for l in stride(from: c.nLayer - 1, through: 0, by: -1) {
            let w = layout.blocks[l]
            s.dFcG.zero()
            kernels.linearBackward(dinp: s.dFcG.pointer, dweight: g(w.fc2w), dbias: g(w.fc2b), dout: s.dResid.pointer,
                                   inp: a.fcG[l].pointer, weight: p(w.fc2w), rows: R, inFeatures: Fl, outFeatures: C)
            s.dFcH.zero()
            GELU.backward(dx: s.dFcH.pointer, x: a.fcH[l].pointer, dout: s.dFcG.pointer, count: R * Fl)
            s.dLn.zero()
            kernels.linearBackward(dinp: s.dLn.pointer, dweight: g(w.fcw), dbias: g(w.fcb), dout: s.dFcH.pointer,
                                   inp: a.ln2[l].pointer, weight: p(w.fcw), rows: R, inFeatures: C, outFeatures: Fl)
            try allReduce(s.dLn.pointer, count: R * C)
            normBackward(dx: s.dResid.pointer, dweight: g(w.ln2w), dbias: w.ln2b.map { g($0) }, dout: s.dLn.pointer,
                         x: a.resid2[l].pointer, weight: p(w.ln2w), mean: a.ln2Mean[l].pointer, rstd: a.ln2Rstd[l].pointer)
            s.dAttY.zero()
            kernels.linearBackward(dinp: s.dAttY.pointer, dweight: g(w.projw), dbias: g(w.projb), dout: s.dResid.pointer,
                                   inp: a.attY[l].pointer, weight: p(w.projw), rows: R, inFeatures: Cl, outFeatures: C)
            splitOne(s.dAttY.pointer, into: s.dAttO.pointer)
            if let ring {
                try ring.backward(dq: s.dq.pointer, dk: s.dk.pointer, dv: s.dv.pointer, dout: s.dAttO.pointer,
                                  q: a.q[l].pointer, k: a.k[l].pointer, v: a.v[l].pointer, out: a.attO[l].pointer,
                                  lse: a.lse[l].pointer, kernels: kernels)
            } else {
                kernels.attentionBackward(dq: s.dq.pointer, dk: s.dk.pointer, dv: s.dv.pointer, dout: s.dAttO.pointer,
                                          q: a.q[l].pointer, k: a.k[l].pointer, v: a.v[l].pointer, out: a.attO[l].pointer,
                                          lse: a.lse[l].pointer, B: B, NH: NHl, T: T, d: d)
            }
            if let rope {
                rope.apply(s.dq.pointer, heads: B * NHl, inverse: true)
                rope.apply(s.dk.pointer, heads: B * NHl, inverse: true)
            }
            mergeQKV(dq: s.dq.pointer, dk: s.dk.pointer, dv: s.dv.pointer, into: s.dqkv.pointer)
            s.dLn.zero()
            kernels.linearBackward(dinp: s.dLn.pointer, dweight: g(w.qkvw), dbias: g(w.qkvb), dout: s.dqkv.pointer,
                                   inp: a.ln1[l].pointer, weight: p(w.qkvw), rows: R, inFeatures: C, outFeatures: 3 * Cl)
            try allReduce(s.dLn.pointer, count: R * C)
            normBackward(dx: s.dResid.pointer, dweight: g(w.ln1w), dbias: w.ln1b.map { g($0) }, dout: s.dLn.pointer,
                         x: a.resid[l].pointer, weight: p(w.ln1w), mean: a.ln1Mean[l].pointer, rstd: a.ln1Rstd[l].pointer)
        }
        Embedding.backward(dwte: g(layout.wte), dwpe: layout.wpe.map { g($0) }, dout: s.dResid.pointer,
                           tokens: a.tokens, B: B, T: T, C: C, positions: positions)
    }

    /// y = y + bias (per row) + residual.
    func addBiasAndResidual(_ y: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, residual: UnsafePointer<Float>) {
        let C = config.dModel
        for r in 0..<R {
            let row = y + r * C, res = residual + r * C
            for i in 0..<C { row[i] = (row[i] + bias[i]) + res[i] }
        }
    }

    func norm(out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
              x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?) {
        if let bias {
            LayerNorm.forward(out: out, mean: mean, rstd: rstd, x: x, weight: weight, bias: bias, rows: R, C: config.dModel)
        } else {
            RMSNorm.forward(out: out, rstd: rstd, x: x, weight: weight, rows: R, C: config.dModel)
        }
    }

    func normBackward(dx: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>?,
                      dout: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                      mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>) {
        if let dbias {
            LayerNorm.backward(dx: dx, dweight: dweight, dbias: dbias, dout: dout, x: x, weight: weight, mean: mean,
                               rstd: rstd, rows: R, C: config.dModel)
        } else {
            RMSNorm.backward(dx: dx, dweight: dweight, dout: dout, x: x, weight: weight, rstd: rstd, rows: R, C: config.dModel)
        }
    }

    /// (B, T, 3Cl) -> q, k, v (B, NHl, T, d).
    func splitHeads(_ qkv: UnsafePointer<Float>, q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>,
                    v: UnsafeMutablePointer<Float>) {
        let d = config.headDim
        for b in 0..<B {
            for t in 0..<T {
                let row = qkv + (b * T + t) * 3 * Cl
                for h in 0..<NHl {
                    let dst = ((b * NHl + h) * T + t) * d
                    (q + dst).update(from: row + h * d, count: d)
                    (k + dst).update(from: row + Cl + h * d, count: d)
                    (v + dst).update(from: row + 2 * Cl + h * d, count: d)
                }
            }
        }
    }

    /// (B, NHl, T, d) -> (B, T, Cl).
    func mergeHeads(_ heads: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let d = config.headDim
        for b in 0..<B {
            for t in 0..<T {
                for h in 0..<NHl {
                    (out + (b * T + t) * Cl + h * d).update(from: heads + ((b * NHl + h) * T + t) * d, count: d)
                }
            }
        }
    }

    /// (B, T, Cl) -> (B, NHl, T, d).
    func splitOne(_ x: UnsafePointer<Float>, into heads: UnsafeMutablePointer<Float>) {
        let d = config.headDim
        for b in 0..<B {
            for t in 0..<T {
                for h in 0..<NHl {
                    (heads + ((b * NHl + h) * T + t) * d).update(from: x + (b * T + t) * Cl + h * d, count: d)
                }
            }
        }
    }

    /// dq, dk, dv (B, NHl, T, d) -> dqkv (B, T, 3Cl).
    func mergeQKV(dq: UnsafePointer<Float>, dk: UnsafePointer<Float>, dv: UnsafePointer<Float>,
                  into out: UnsafeMutablePointer<Float>) {
        let d = config.headDim
        for b in 0..<B {
            for t in 0..<T {
                let row = out + (b * T + t) * 3 * Cl
                for h in 0..<NHl {
                    let src = ((b * NHl + h) * T + t) * d
                    (row + h * d).update(from: dq + src, count: d)
                    (row + Cl + h * d).update(from: dk + src, count: d)
                    (row + 2 * Cl + h * d).update(from: dv + src, count: d)
                }
            }
        }
    }
}
