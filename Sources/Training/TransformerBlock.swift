/// The group a tensor-parallel block sums over: the row-parallel outputs (attention and MLP) in
/// forward and the column-parallel input gradients in backward (Megatron-LM's f and g).
public protocol TensorParallelGroup: AnyObject {
    func allReduce(_ x: UnsafeMutablePointer<Float>, count: Int) throws
}

/// Attention over a sequence split between ranks (ring attention); a block without one runs the
/// kernels' causal flash attention on its own rows.
public protocol SequenceAttention: AnyObject {
    func forward(out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>,
                 k: UnsafePointer<Float>, v: UnsafePointer<Float>, kernels: some ModelKernels) throws
    func backward(dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
                  dout: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                  out: UnsafePointer<Float>, lse: UnsafePointer<Float>, kernels: some ModelKernels) throws
}

/// What the fp32 forward of `layers` blocks saves for backward, for R = B T rows: the residual
/// stream (layers + 1 tensors: each block's input, then the last block's output) and, per block,
/// the norm outputs and statistics, q, k, v, attention output and logsumexp, the stream between
/// attention and MLP, the MLP's pre- and post-GELU activations. Widths are local: `Cl` = the
/// rank's heads x head dim and `Fl` its MLP units (all of them without tensor parallelism).
public final class BlockActivations {
    public let resid: [FloatBuffer]
    public let ln1, ln1Mean, ln1Rstd, q, k, v, attO, lse, attY, resid2, ln2, ln2Mean, ln2Rstd, fcH, fcG: [FloatBuffer]

    /// The narrow saved tensors of a mixed-precision policy (nil under fp32).
    public let narrow: NarrowActivations?

    /// Under a mixed `policy` the tensors kept in narrow formats (norm outputs, q, k, v, attention
    /// output, MLP activations) live in `narrow` and their fp32 tensors here are left empty.
    public init(layers n: Int, B: Int, T: Int, C: Int, Cl: Int, Fl: Int, heads NHl: Int,
                policy: PrecisionPolicy = PrecisionPolicy(.fp32)) {
        let R = B * T, f = policy.isMixed ? 0 : 1
        func many(_ count: Int) -> [FloatBuffer] { (0..<n).map { _ in FloatBuffer(count: count) } }
        resid = (0...n).map { _ in FloatBuffer(count: R * C) }
        ln1 = many(f * R * C); ln1Mean = many(R); ln1Rstd = many(R)
        q = many(f * R * Cl); k = many(f * R * Cl); v = many(f * R * Cl)
        attO = many(f * R * Cl); lse = many(B * NHl * T); attY = many(f * R * Cl); resid2 = many(R * C)
        ln2 = many(f * R * C); ln2Mean = many(R); ln2Rstd = many(R); fcH = many(f * R * Fl); fcG = many(f * R * Fl)
        narrow = policy.isMixed ? NarrowActivations(policy, layers: n, R: R, C: C, Cl: Cl, Fl: Fl) : nil
    }

    /// Bytes held.
    public var bytes: Int {
        let perLayer = [ln1, ln1Mean, ln1Rstd, q, k, v, attO, lse, attY, resid2, ln2, ln2Mean, ln2Rstd, fcH, fcG]
        return (resid + perLayer.flatMap { $0 }).reduce(0) { $0 + $1.bytes } + (narrow?.bytes ?? 0)
    }
}

/// Scratch the blocks of one model share (forward's fused q, k, v and every backward gradient),
/// at local widths, plus the per-row-block partial sums of the norms' weight gradients.
public final class BlockScratch {
    public let qkv, dqkv, dq, dk, dv, dAttO, dAttY, dResid, dLn, dFcH, dFcG: FloatBuffer
    /// Per-block partial sums of norm weight gradients (blocks of `normBlockRows` rows).
    public let normPartial: FloatBuffer
    public static let normBlockRows = 64

    /// The mixed-precision block's scratch (nil under fp32).
    public let narrow: NarrowScratch?

    /// `widenAttention`: a mixed policy keeps fp32 copies of q, k, v for ring attention.
    public init(R: Int, C: Int, Cl: Int, Fl: Int, policy: PrecisionPolicy = PrecisionPolicy(.fp32),
                widenAttention: Bool = false) {
        qkv = FloatBuffer(count: R * 3 * Cl); dqkv = FloatBuffer(count: R * 3 * Cl)
        dq = FloatBuffer(count: R * Cl); dk = FloatBuffer(count: R * Cl); dv = FloatBuffer(count: R * Cl)
        dAttO = FloatBuffer(count: R * Cl); dAttY = FloatBuffer(count: R * Cl)
        dResid = FloatBuffer(count: R * C); dLn = FloatBuffer(count: R * C)
        dFcH = FloatBuffer(count: R * Fl); dFcG = FloatBuffer(count: R * Fl)
        normPartial = FloatBuffer(count: (R + Self.normBlockRows - 1) / Self.normBlockRows * 2 * C)
        narrow = policy.isMixed ? NarrowScratch(policy, R: R, C: C, Cl: Cl, Fl: Fl, widenAttention: widenAttention) : nil
    }

    public var bytes: Int {
        [qkv, dqkv, dq, dk, dv, dAttO, dAttY, dResid, dLn, dFcH, dFcG, normPartial].reduce(0) { $0 + $1.bytes }
            + (narrow?.bytes ?? 0)
    }
}

/// One block's tensors (this rank's shards), as pointers into a parameter-shaped buffer.
public struct BlockTensors {
    public var ln1w: UnsafeMutablePointer<Float>, ln1b: UnsafeMutablePointer<Float>?
    public var qkvw: UnsafeMutablePointer<Float>, qkvb: UnsafeMutablePointer<Float>
    public var projw: UnsafeMutablePointer<Float>, projb: UnsafeMutablePointer<Float>
    public var ln2w: UnsafeMutablePointer<Float>, ln2b: UnsafeMutablePointer<Float>?
    public var fcw: UnsafeMutablePointer<Float>, fcb: UnsafeMutablePointer<Float>
    public var fc2w: UnsafeMutablePointer<Float>, fc2b: UnsafeMutablePointer<Float>

    /// The block `b` of a layout, each offset mapped to its pointer by `at`.
    public init(_ b: ParameterLayout.Block, at: (Int) -> UnsafeMutablePointer<Float>) {
        ln1w = at(b.ln1w); ln1b = b.ln1b.map(at); qkvw = at(b.qkvw); qkvb = at(b.qkvb)
        projw = at(b.projw); projb = at(b.projb); ln2w = at(b.ln2w); ln2b = b.ln2b.map(at)
        fcw = at(b.fcw); fcb = at(b.fcb); fc2w = at(b.fc2w); fc2b = at(b.fc2b)
    }
}

/// One pre-norm transformer block in fp32, forward and backward, for the single-rank model and
/// every parallel layout (the one copy of the block):
///
///     x += proj(attention(norm1(x)));  x += fc2(gelu(fc(norm2(x))))
///
/// With a tensor-parallel `group` the rank holds its share of the heads (rows of c_attn, columns
/// of attn.c_proj) and of the MLP units (rows of c_fc, columns of mlp.c_proj): forward sums the
/// two row-parallel outputs over the group before their bias and residual, backward sums the two
/// column-parallel input gradients before the norms' backward. Without one, the biases are fused
/// into the matmuls. With `ring`, attention runs over the context-parallel group's chunks of the
/// sequence. Row operations (norms, GELU, residual adds) are split between the kernels' threads;
/// norm weight gradients are summed per fixed block of rows, so results do not depend on the
/// thread count.
public struct TransformerBlock<Kernels: ModelKernels> {
    public let kernels: Kernels
    /// B sequences of T rows each (a rank's positions under context parallelism), model width C,
    /// the rank's heads and MLP units.
    public let B: Int, T: Int, C: Int, heads: Int, headDim: Int, hidden: Int
    public let rope: RoPE?
    public let group: TensorParallelGroup?
    public let ring: SequenceAttention?
    public var R: Int { B * T }
    /// The rank's q, k, v width (heads x head dim).
    public var width: Int { heads * headDim }
    var layout: HeadLayout { HeadLayout(B: B, T: T, NH: heads, d: headDim) }

    public init(kernels: Kernels, B: Int, T: Int, C: Int, heads: Int, headDim: Int, hidden: Int, rope: RoPE?,
                group: TensorParallelGroup? = nil, ring: SequenceAttention? = nil) {
        self.kernels = kernels
        self.B = B; self.T = T; self.C = C; self.heads = heads; self.headDim = headDim; self.hidden = hidden
        self.rope = rope; self.group = group; self.ring = ring
    }

    /// Forward of block `i` of `a`: reads a.resid[i], writes a.resid[i + 1] and what backward needs.
    /// A mixed-precision `a` (with `narrow` tensors) needs `half`, the matmul copy of the block's
    /// weights: each tensor is computed in fp32 and saved in its policy format, and the matmuls
    /// and attention read the saved (rounded) values.
    public func forward(_ i: Int, _ a: BlockActivations, _ s: BlockScratch, _ w: BlockTensors,
                        half: BlockHalfWeights? = nil) throws {
        let n = a.narrow, x = a.resid[i].pointer, Cl = width, Fl = hidden
        precondition((n == nil) == (half == nil), "a mixed-precision block reads the weights' matmul copy")
        // a value saved in fp32 is computed in place; a narrow one in scratch, then stored
        let ln1 = n == nil ? a.ln1[i].pointer : s.dLn.pointer
        norm(out: ln1, mean: a.ln1Mean[i].pointer, rstd: a.ln1Rstd[i].pointer, x: x, weight: w.ln1w, bias: w.ln1b)
        n?.ln1[i].store(ln1, kernels: kernels)
        linear(out: s.qkv.pointer, inp: ln1, saved: n?.ln1[i], weight: w.qkvw, half: half?.qkvw, bias: w.qkvb,
               inFeatures: C, outFeatures: 3 * Cl, scratch: s)
        let (q, k, v) = n == nil ? (a.q[i].pointer, a.k[i].pointer, a.v[i].pointer) : (s.dq.pointer, s.dk.pointer, s.dv.pointer)
        layout.split(s.qkv.pointer, q: q, k: k, v: v)
        if let rope {
            rope.apply(q, heads: B * heads)
            rope.apply(k, heads: B * heads)
        }
        if let n {
            n.q[i].store(q, kernels: kernels)
            n.k[i].store(k, kernels: kernels)
            n.v[i].store(v, kernels: kernels)
        }
        let attO = n == nil ? a.attO[i].pointer : s.dAttO.pointer
        try attentionForward(i, out: attO, a, s)
        let attY = n == nil ? a.attY[i].pointer : s.dAttY.pointer
        layout.merge(attO, into: attY)
        n?.attY[i].store(attY, kernels: kernels)
        try rowParallel(out: a.resid2[i].pointer, inp: attY, saved: n?.attY[i], weight: w.projw, half: half?.projw,
                        bias: w.projb, inFeatures: Cl, residual: x, scratch: s)
        let ln2 = n == nil ? a.ln2[i].pointer : s.dLn.pointer
        norm(out: ln2, mean: a.ln2Mean[i].pointer, rstd: a.ln2Rstd[i].pointer, x: a.resid2[i].pointer,
             weight: w.ln2w, bias: w.ln2b)
        n?.ln2[i].store(ln2, kernels: kernels)
        let fcH = n == nil ? a.fcH[i].pointer : s.dFcH.pointer, fcG = n == nil ? a.fcG[i].pointer : s.dFcG.pointer
        linear(out: fcH, inp: ln2, saved: n?.ln2[i], weight: w.fcw, half: half?.fcw, bias: w.fcb,
               inFeatures: C, outFeatures: Fl, scratch: s)
        chunks(R * Fl) { lo, count in GELU.forward(out: fcG + lo, x: fcH + lo, count: count) }
        n?.fcH[i].store(fcH, kernels: kernels)
        n?.fcG[i].store(fcG, kernels: kernels)
        try rowParallel(out: a.resid[i + 1].pointer, inp: fcG, saved: n?.fcG[i], weight: w.fc2w, half: half?.fc2w,
                        bias: w.fc2b, inFeatures: Fl, residual: a.resid2[i].pointer, scratch: s)
    }

    /// Backward of block `i`: s.dResid holds d(a.resid[i + 1]) and is left holding d(a.resid[i]);
    /// parameter gradients are added into `g` (fp32 under every policy). `half` as in `forward`.
    public func backward(_ i: Int, _ a: BlockActivations, _ s: BlockScratch, _ w: BlockTensors, _ g: BlockTensors,
                         half: BlockHalfWeights? = nil) throws {
        let n = a.narrow, Cl = width, Fl = hidden
        precondition((n == nil) == (half == nil), "a mixed-precision block reads the weights' matmul copy")
        // MLP: dResid is d(resid[i+1]) and, through the residual, d(resid2).
        s.dFcG.zero()
        linearBackward(dinp: s.dFcG.pointer, dweight: g.fc2w, dbias: g.fc2b, dout: s.dResid.pointer, inp: a.fcG[i].pointer,
                       saved: n?.fcG[i], weight: w.fc2w, half: half?.fc2w, inFeatures: Fl, outFeatures: C, scratch: s)
        s.dFcH.zero()
        geluBackward(dx: s.dFcH.pointer, x: a.fcH[i].pointer, saved: n?.fcH[i], dout: s.dFcG.pointer, count: R * Fl)
        s.dLn.zero()
        linearBackward(dinp: s.dLn.pointer, dweight: g.fcw, dbias: g.fcb, dout: s.dFcH.pointer, inp: a.ln2[i].pointer,
                       saved: n?.ln2[i], weight: w.fcw, half: half?.fcw, inFeatures: C, outFeatures: Fl, scratch: s)
        try group?.allReduce(s.dLn.pointer, count: R * C)
        normBackward(dx: s.dResid.pointer, dweight: g.ln2w, dbias: g.ln2b, dout: s.dLn.pointer, x: a.resid2[i].pointer,
                     weight: w.ln2w, mean: a.ln2Mean[i].pointer, rstd: a.ln2Rstd[i].pointer, partial: s.normPartial)
        // Attention: dResid is now d(resid2), and through the residual d(resid[i]).
        s.dAttY.zero()
        linearBackward(dinp: s.dAttY.pointer, dweight: g.projw, dbias: g.projb, dout: s.dResid.pointer, inp: a.attY[i].pointer,
                       saved: n?.attY[i], weight: w.projw, half: half?.projw, inFeatures: Cl, outFeatures: C, scratch: s)
        layout.split(s.dAttY.pointer, into: s.dAttO.pointer)
        try attentionBackward(i, a, s)
        if let rope {
            rope.apply(s.dq.pointer, heads: B * heads, inverse: true)
            rope.apply(s.dk.pointer, heads: B * heads, inverse: true)
        }
        layout.merge(dq: s.dq.pointer, dk: s.dk.pointer, dv: s.dv.pointer, into: s.dqkv.pointer)
        s.dLn.zero()
        linearBackward(dinp: s.dLn.pointer, dweight: g.qkvw, dbias: g.qkvb, dout: s.dqkv.pointer, inp: a.ln1[i].pointer,
                       saved: n?.ln1[i], weight: w.qkvw, half: half?.qkvw, inFeatures: C, outFeatures: 3 * Cl, scratch: s)
        try group?.allReduce(s.dLn.pointer, count: R * C)
        normBackward(dx: s.dResid.pointer, dweight: g.ln1w, dbias: g.ln1b, dout: s.dLn.pointer, x: a.resid[i].pointer,
                     weight: w.ln1w, mean: a.ln1Mean[i].pointer, rstd: a.ln1Rstd[i].pointer, partial: s.normPartial)
    }

    /// out = inp · weightᵀ + bias + residual, for a row-parallel product under tensor parallelism:
    /// the partial products are summed over the group before the bias and the residual.
    func rowParallel(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, saved: PrecisionTensor?,
                     weight: UnsafePointer<Float>, half: UnsafePointer<UInt16>?, bias: UnsafePointer<Float>,
                     inFeatures: Int, residual: UnsafePointer<Float>, scratch: BlockScratch) throws {
        let C = self.C
        guard let group else {
            linear(out: out, inp: inp, saved: saved, weight: weight, half: half, bias: bias, inFeatures: inFeatures,
                   outFeatures: C, scratch: scratch)
            chunks(R * C) { lo, n in for j in lo..<(lo + n) { out[j] += residual[j] } }
            return
        }
        linear(out: out, inp: inp, saved: saved, weight: weight, half: half, bias: nil, inFeatures: inFeatures,
               outFeatures: C, scratch: scratch)
        try group.allReduce(out, count: R * C)
        chunks(R) { lo, n in
            for r in lo..<(lo + n) {
                let row = out + r * C, res = residual + r * C
                for j in 0..<C { row[j] = (row[j] + bias[j]) + res[j] }
            }
        }
    }

    /// LayerNorm (with a bias) or RMSNorm over the R rows, split between threads.
    public func norm(out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
                     x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?) {
        let C = self.C
        chunks(R) { lo, n in
            if let bias {
                LayerNorm.forward(out: out + lo * C, mean: mean + lo, rstd: rstd + lo, x: x + lo * C,
                                  weight: weight, bias: bias, rows: n, C: C)
            } else {
                RMSNorm.forward(out: out + lo * C, rstd: rstd + lo, x: x + lo * C, weight: weight, rows: n, C: C)
            }
        }
    }

    /// Norm backward over the R rows. Weight gradients are summed per fixed block of rows into
    /// `partial`, then the blocks in order, so the result is the same for every thread count.
    public func normBackward(dx: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                             dbias: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>, x: UnsafePointer<Float>,
                             weight: UnsafePointer<Float>, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                             partial buffer: FloatBuffer) {
        let C = self.C, R = self.R, rowsPerBlock = BlockScratch.normBlockRows
        let blocks = (R + rowsPerBlock - 1) / rowsPerBlock
        let partial = buffer.pointer
        partial.update(repeating: 0, count: blocks * 2 * C)
        chunks(blocks) { first, count in
            for block in first..<(first + count) {
                let lo = block * rowsPerBlock, n = min(rowsPerBlock, R - lo)
                let dw = partial + block * 2 * C
                if dbias != nil {
                    LayerNorm.backward(dx: dx + lo * C, dweight: dw, dbias: dw + C, dout: dout + lo * C, x: x + lo * C,
                                       weight: weight, mean: mean + lo, rstd: rstd + lo, rows: n, C: C)
                } else {
                    RMSNorm.backward(dx: dx + lo * C, dweight: dw, dout: dout + lo * C, x: x + lo * C, weight: weight,
                                     rstd: rstd + lo, rows: n, C: C)
                }
            }
        }
        for block in 0..<blocks {
            let dw = partial + block * 2 * C
            for j in 0..<C { dweight[j] += dw[j] }
            if let dbias { for j in 0..<C { dbias[j] += dw[C + j] } }
        }
    }

    /// Splits 0..<count into one contiguous chunk per thread and runs body(start, length).
    public func chunks(_ count: Int, _ body: (Int, Int) -> Void) {
        let parts = max(1, min(kernels.threads, count))
        kernels.parallel(parts) { part in
            let lo = count * part / parts, hi = count * (part + 1) / parts
            if hi > lo { body(lo, hi - lo) }
        }
    }
}
