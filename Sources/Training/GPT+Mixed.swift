import Compute

/// What the mixed-precision path saves for backward in narrow formats (per `PrecisionPolicy`),
/// its extra scratch, and the matmul copy of the weights. The fp32 residual stream, norm
/// statistics and attention logsumexp stay in `Activations`.
final class MixedActivations {
    let policy: PrecisionPolicy
    let compute: HalfFormat
    /// Per layer: norm outputs, merged attention output and GELU output (matmul inputs).
    let ln1, attY, ln2, fcG: [PrecisionTensor]
    /// Per layer: attention inputs q, k, v (B, NH, T, d) and the GELU input.
    let q, k, v, fcH: [PrecisionTensor]
    /// Final norm output (R, C) and the loss gradient with respect to the logits (R, V), scaled
    /// by `dynamicLossScale / R`.
    let lnf, dlogits: PrecisionTensor
    /// Matmul copy of the weights (compute format), same offsets as the parameters.
    let weights: AlignedBuffer<UInt16>
    /// e4m3 staging of one weight tensor (fp8 only).
    let weights8: AlignedBuffer<FP8E4M3>
    /// Output gradient of one linear layer in compute format (R, max(3C, F)).
    let dout: AlignedBuffer<UInt16>
    /// bf16 dequantization of one e4m3 activation (fp8 only).
    let operand: AlignedBuffer<UInt16>
    /// Rebuilt attention output (B, NH, T, d) for attention backward.
    let attO: FloatBuffer
    /// Widened q, k, v for the fp32 attention kernels (fp16 only: there is no fp16 attention).
    let wideQ, wideK, wideV: FloatBuffer
    /// fp32 logits of `logitRows` rows at a time (the full (R, V) logits are never held).
    let logits: FloatBuffer
    let logitRows: Int
    /// The matmul weight tensors (offset, count) the copy refreshes.
    let matmulWeights: [(offset: Int, count: Int)]

    init(_ c: GPTConfig, layout: ParameterLayout, B: Int, T: Int, policy: PrecisionPolicy) {
        let R = B * T, C = c.dModel, F = c.dFF, L = c.nLayer
        self.policy = policy
        compute = policy.compute!
        func many(_ f: StorageFormat, _ n: Int) -> [PrecisionTensor] { (0..<L).map { _ in PrecisionTensor(format: f, count: n) } }
        ln1 = many(policy.matmulActivations, R * C); attY = many(policy.matmulActivations, R * C)
        ln2 = many(policy.matmulActivations, R * C); fcG = many(policy.matmulActivations, R * F)
        q = many(policy.attentionInputs, R * C); k = many(policy.attentionInputs, R * C); v = many(policy.attentionInputs, R * C)
        fcH = many(policy.preActivations, R * F)
        lnf = PrecisionTensor(format: policy.matmulActivations, count: R * C)
        dlogits = PrecisionTensor(format: policy.outputGradients, count: R * c.vocab)
        var mats: [(Int, Int)] = []
        for b in layout.blocks { mats += [(b.qkvw, 3 * C * C), (b.projw, C * C), (b.fcw, F * C), (b.fc2w, C * F)] }
        mats.append((layout.head, c.vocab * C))
        matmulWeights = mats
        weights = AlignedBuffer(count: layout.count)
        weights8 = AlignedBuffer(count: policy.matmulWeights == .e4m3 ? mats.map(\.1).max()! : 0)
        dout = AlignedBuffer(count: R * max(3 * C, F))
        operand = AlignedBuffer(count: policy.matmulActivations == .e4m3 ? R * max(F, C) : 0)
        attO = FloatBuffer(count: R * C)
        let wide = policy.attentionInputs == .fp16 ? R * C : 0
        wideQ = FloatBuffer(count: wide); wideK = FloatBuffer(count: wide); wideV = FloatBuffer(count: wide)
        // up to 4M floats (16 MB) of logits at a time: long enough that packing the head weights
        // once per block is cheap next to the block's matmul
        logitRows = min(R, max(128, (1 << 22) / c.vocab))
        logits = FloatBuffer(count: logitRows * c.vocab)
    }

    var savedBytes: Int {
        ([ln1, attY, ln2, fcG, q, k, v, fcH].flatMap { $0 } + [lnf, dlogits]).reduce(0) { $0 + $1.bytes }
    }

    var scratchBytes: Int {
        2 * (weights.count + dout.count + operand.count) + weights8.count
            + 4 * (attO.count + wideQ.count + wideK.count + wideV.count + logits.count)
    }
}

extension GPT {
    /// Mixed-precision forward (see `PrecisionPolicy`): the same graph as the fp32 forward, with
    /// matmul and attention inputs in the policy's formats and everything else in fp32. The loss
    /// gradient with respect to the logits is computed here, row block by row block, and saved
    /// in the output-gradient format (scaled by `dynamicLossScale / R`), so the (R, V) fp32
    /// logits never exist whole.
    func forwardMixed(tokens: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, kernels: some ModelKernels) -> Float {
        let c = config, a = acts, m = mixed!, R = a.R, C = c.dModel, F = c.dFF, NH = c.nHead, d = c.headDim
        let p = params.pointer
        refreshMatmulWeights(kernels: kernels)
        Embedding.forward(out: a.resid[0].pointer, tokens: tokens, wte: p + layout.wte,
                          wpe: layout.wpe.map { p + $0 }, B: B, T: T, C: C)
        for l in 0..<c.nLayer {
            let w = layout.blocks[l]
            let x = a.resid[l].pointer
            norm(out: a.dLn.pointer, mean: a.ln1Mean[l].pointer, rstd: a.ln1Rstd[l].pointer, x: x,
                 weight: p + w.ln1w, bias: w.ln1b.map { p + $0 }, kernels: kernels)
            m.ln1[l].store(a.dLn.pointer, kernels: kernels)
            mixedLinearForward(out: a.qkv.pointer, inp: m.ln1[l], weight: w.qkvw, bias: p + w.qkvb,
                               inFeatures: C, outFeatures: 3 * C, kernels: kernels)
            splitHeads(a.qkv.pointer, q: a.dq.pointer, k: a.dk.pointer, v: a.dv.pointer)
            if let rope {
                rope.apply(a.dq.pointer, heads: B * NH)
                rope.apply(a.dk.pointer, heads: B * NH)
            }
            m.q[l].store(a.dq.pointer, kernels: kernels)
            m.k[l].store(a.dk.pointer, kernels: kernels)
            m.v[l].store(a.dv.pointer, kernels: kernels)
            if m.q[l].format == .bf16 {
                kernels.attentionForward(out: a.dAttO.pointer, lse: a.lse[l].pointer, q: bf16(m.q[l]), k: bf16(m.k[l]),
                                         v: bf16(m.v[l]), B: B, NH: NH, T: T, d: d)
            } else {
                m.q[l].widen(into: m.wideQ.pointer, kernels: kernels)
                m.k[l].widen(into: m.wideK.pointer, kernels: kernels)
                m.v[l].widen(into: m.wideV.pointer, kernels: kernels)
                kernels.attentionForward(out: a.dAttO.pointer, lse: a.lse[l].pointer, q: m.wideQ.pointer, k: m.wideK.pointer,
                                         v: m.wideV.pointer, B: B, NH: NH, T: T, d: d)
            }
            mergeHeads(a.dAttO.pointer, into: a.dAttY.pointer)
            m.attY[l].store(a.dAttY.pointer, kernels: kernels)
            mixedLinearForward(out: a.resid2[l].pointer, inp: m.attY[l], weight: w.projw, bias: p + w.projb,
                               inFeatures: C, outFeatures: C, kernels: kernels)
            add(a.resid2[l].pointer, x, count: R * C, kernels: kernels)
            norm(out: a.dLn.pointer, mean: a.ln2Mean[l].pointer, rstd: a.ln2Rstd[l].pointer, x: a.resid2[l].pointer,
                 weight: p + w.ln2w, bias: w.ln2b.map { p + $0 }, kernels: kernels)
            m.ln2[l].store(a.dLn.pointer, kernels: kernels)
            mixedLinearForward(out: a.dFcH.pointer, inp: m.ln2[l], weight: w.fcw, bias: p + w.fcb,
                               inFeatures: C, outFeatures: F, kernels: kernels)
            chunks(R * F, kernels) { lo, n in GELU.forward(out: a.dFcG.pointer + lo, x: a.dFcH.pointer + lo, count: n) }
            m.fcH[l].store(a.dFcH.pointer, kernels: kernels)
            m.fcG[l].store(a.dFcG.pointer, kernels: kernels)
            mixedLinearForward(out: a.resid[l + 1].pointer, inp: m.fcG[l], weight: w.fc2w, bias: p + w.fc2b,
                               inFeatures: F, outFeatures: C, kernels: kernels)
            add(a.resid[l + 1].pointer, a.resid2[l].pointer, count: R * C, kernels: kernels)
        }
        norm(out: a.dLn.pointer, mean: a.lnfMean.pointer, rstd: a.lnfRstd.pointer, x: a.resid[c.nLayer].pointer,
             weight: p + layout.lnfw, bias: layout.lnfb.map { p + $0 }, kernels: kernels)
        m.lnf.store(a.dLn.pointer, kernels: kernels)
        let lnfOp = m.lnf.operand(m.compute, scratch: m.operand, kernels: kernels)
        let V = c.vocab, gradScale = dynamicLossScale / Float(R)
        var r0 = 0
        while r0 < R {
            let n = min(m.logitRows, R - r0)
            kernels.halfMatmul(m.compute, transposeA: .none, transposeB: .transposed, m: n, n: V, k: C, alpha: 1,
                               a: lnfOp + r0 * C, lda: C, b: m.weights.pointer + layout.head, ldb: C,
                               c: m.logits.pointer, ldc: V, accumulate: false)
            let row0 = r0
            chunks(n, kernels) { lo, len in
                let l = m.logits.pointer + lo * V
                CrossEntropy.forward(losses: a.losses.pointer + row0 + lo, logsumexp: a.lossLSE.pointer + row0 + lo,
                                     logits: l, targets: targets + row0 + lo, rows: len, V: V)
                CrossEntropy.backward(logitsToGradient: l, logsumexp: a.lossLSE.pointer + row0 + lo,
                                      targets: targets + row0 + lo, rows: len, V: V, scale: gradScale)
            }
            m.dlogits.store(m.logits.pointer, offset: r0 * V, count: n * V, kernels: kernels)
            r0 += n
        }
        var total: Double = 0
        for i in 0..<R { total += Double(a.losses[i]) }
        return Float(total / Double(R))
    }

    /// Mixed-precision backward: adds `lossScale · dynamicLossScale` times d(mean loss)/d(params)
    /// into the fp32 `grads`.
    func backwardMixed(kernels: some ModelKernels, lossScale: Float) {
        let c = config, a = acts, m = mixed!, R = a.R, C = c.dModel, F = c.dFF, NH = c.nHead, d = c.headDim
        let p = params.pointer, g = grads.pointer
        let fmt = m.compute
        // Head: dlogits (saved, compute format) is the output gradient.
        let dl = m.dlogits.half()
        a.dLn.zero()
        kernels.halfMatmul(fmt, transposeA: .none, transposeB: .none, m: R, n: C, k: c.vocab, alpha: lossScale,
                           a: dl, lda: c.vocab, b: m.weights.pointer + layout.head, ldb: C,
                           c: a.dLn.pointer, ldc: C, accumulate: true)
        let lnfOp = m.lnf.operand(fmt, scratch: m.operand, kernels: kernels)
        kernels.halfMatmul(fmt, transposeA: .transposed, transposeB: .none, m: c.vocab, n: C, k: R, alpha: lossScale,
                           a: dl, lda: c.vocab, b: lnfOp, ldb: C, c: g + layout.head, ldc: C, accumulate: true)
        a.dResid.zero()
        normBackward(dx: a.dResid.pointer, dweight: g + layout.lnfw, dbias: layout.lnfb.map { g + $0 }, dout: a.dLn.pointer,
                     x: a.resid[c.nLayer].pointer, weight: p + layout.lnfw, mean: a.lnfMean.pointer, rstd: a.lnfRstd.pointer,
                     kernels: kernels)
        for l in stride(from: c.nLayer - 1, through: 0, by: -1) {
            let w = layout.blocks[l]
            a.dFcG.zero()
            mixedLinearBackward(dinp: a.dFcG.pointer, dweight: g + w.fc2w, dbias: g + w.fc2b, dout: a.dResid.pointer,
                                inp: m.fcG[l], weight: w.fc2w, inFeatures: F, outFeatures: C, kernels: kernels)
            a.dFcH.zero()
            let fcH = m.fcH[l]
            chunks(R * F, kernels) { lo, n in
                Self.geluBackward(dx: a.dFcH.pointer + lo, x: fcH.half(lo), format: fcH.format, dout: a.dFcG.pointer + lo, count: n)
            }
            a.dLn.zero()
            mixedLinearBackward(dinp: a.dLn.pointer, dweight: g + w.fcw, dbias: g + w.fcb, dout: a.dFcH.pointer,
                                inp: m.ln2[l], weight: w.fcw, inFeatures: C, outFeatures: F, kernels: kernels)
            normBackward(dx: a.dResid.pointer, dweight: g + w.ln2w, dbias: w.ln2b.map { g + $0 }, dout: a.dLn.pointer,
                         x: a.resid2[l].pointer, weight: p + w.ln2w, mean: a.ln2Mean[l].pointer, rstd: a.ln2Rstd[l].pointer,
                         kernels: kernels)
            a.dAttY.zero()
            mixedLinearBackward(dinp: a.dAttY.pointer, dweight: g + w.projw, dbias: g + w.projb, dout: a.dResid.pointer,
                                inp: m.attY[l], weight: w.projw, inFeatures: C, outFeatures: C, kernels: kernels)
            splitOne(a.dAttY.pointer, into: a.dAttO.pointer)
            // The attention output, rebuilt from the saved merged heads.
            m.attY[l].widen(into: a.dLn.pointer, kernels: kernels)
            splitOne(a.dLn.pointer, into: m.attO.pointer)
            if m.q[l].format == .bf16 {
                kernels.attentionBackward(dq: a.dq.pointer, dk: a.dk.pointer, dv: a.dv.pointer, dout: a.dAttO.pointer,
                                          q: bf16(m.q[l]), k: bf16(m.k[l]), v: bf16(m.v[l]), out: m.attO.pointer,
                                          lse: a.lse[l].pointer, B: B, NH: NH, T: T, d: d)
            } else {
                m.q[l].widen(into: m.wideQ.pointer, kernels: kernels)
                m.k[l].widen(into: m.wideK.pointer, kernels: kernels)
                m.v[l].widen(into: m.wideV.pointer, kernels: kernels)
                kernels.attentionBackward(dq: a.dq.pointer, dk: a.dk.pointer, dv: a.dv.pointer, dout: a.dAttO.pointer,
                                          q: m.wideQ.pointer, k: m.wideK.pointer, v: m.wideV.pointer, out: m.attO.pointer,
                                          lse: a.lse[l].pointer, B: B, NH: NH, T: T, d: d)
            }
            if let rope {
                rope.apply(a.dq.pointer, heads: B * NH, inverse: true)
                rope.apply(a.dk.pointer, heads: B * NH, inverse: true)
            }
            mergeQKV(dq: a.dq.pointer, dk: a.dk.pointer, dv: a.dv.pointer, into: a.dqkv.pointer)
            a.dLn.zero()
            mixedLinearBackward(dinp: a.dLn.pointer, dweight: g + w.qkvw, dbias: g + w.qkvb, dout: a.dqkv.pointer,
                                inp: m.ln1[l], weight: w.qkvw, inFeatures: C, outFeatures: 3 * C, kernels: kernels)
            normBackward(dx: a.dResid.pointer, dweight: g + w.ln1w, dbias: w.ln1b.map { g + $0 }, dout: a.dLn.pointer,
                         x: a.resid[l].pointer, weight: p + w.ln1w, mean: a.ln1Mean[l].pointer, rstd: a.ln1Rstd[l].pointer,
                         kernels: kernels)
        }
        Embedding.backward(dwte: g + layout.wte, dwpe: layout.wpe.map { g + $0 }, dout: a.dResid.pointer,
                           tokens: a.tokens, B: B, T: T, C: C)
    }

    /// Rounds the matmul weights into their policy format (fp8: e4m3 with a per-tensor power-of-two
    /// scale, then exactly to bf16) in `mixed.weights`. Cheap next to the matmuls (one pass over
    /// the weights per forward), so the copy can never be stale.
    func refreshMatmulWeights(kernels: some ModelKernels) {
        let m = mixed!, p = params.pointer
        for (offset, count) in m.matmulWeights {
            let src = p + offset, dst = m.weights.pointer + offset
            switch m.policy.matmulWeights {
            case .bf16:
                PrecisionTensor.split(count, kernels) { lo, n in
                    Convert.floatToBFloat16(src + lo, Self.bf16Pointer(dst + lo), count: n)
                }
            case .fp16:
                PrecisionTensor.split(count, kernels) { lo, n in
                    Convert.floatToFloat16(src + lo, UnsafeMutableRawPointer(dst + lo).assumingMemoryBound(to: Float16.self), count: n)
                }
            case .e4m3:
                let scale = FP8E4M3.scale(forAbsMax: Convert.absMax(src, count: count))
                let staged = m.weights8.pointer
                PrecisionTensor.split(count, kernels) { lo, n in
                    Convert.floatToFP8E4M3(src + lo, staged + lo, count: n, scale: scale)
                    Convert.fp8E4M3ToBFloat16(staged + lo, Self.bf16Pointer(dst + lo), count: n, scale: scale)
                }
            case .fp32:
                preconditionFailure("fp32 weights take the fp32 path")
            }
        }
    }

    /// out (R, OC) = inp · Wᵀ + bias with inp and W in the compute format, fp32 out.
    func mixedLinearForward(out: UnsafeMutablePointer<Float>, inp: PrecisionTensor, weight: Int, bias: UnsafePointer<Float>,
                            inFeatures IC: Int, outFeatures OC: Int, kernels: some ModelKernels) {
        let m = mixed!, R = acts.R
        let a = inp.operand(m.compute, scratch: m.operand, kernels: kernels)
        chunks(R, kernels) { lo, n in
            for r in lo..<(lo + n) { (out + r * OC).update(from: bias, count: OC) }
        }
        kernels.halfMatmul(m.compute, transposeA: .none, transposeB: .transposed, m: R, n: OC, k: IC, alpha: 1,
                           a: a, lda: IC, b: m.weights.pointer + weight, ldb: IC, c: out, ldc: OC, accumulate: true)
    }

    /// dinp += dout · W; dweight += doutᵀ · inp (dout rounded to the compute format, fp32
    /// accumulation into the fp32 gradients); dbias += Σ_rows dout in fp32.
    func mixedLinearBackward(dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                             dbias: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, inp: PrecisionTensor,
                             weight: Int, inFeatures IC: Int, outFeatures OC: Int, kernels: some ModelKernels) {
        let m = mixed!, R = acts.R, fmt = m.compute
        let dh = m.dout.pointer
        PrecisionTensor.split(R * OC, kernels) { lo, n in
            switch fmt {
            case .bf16: Convert.floatToBFloat16(dout + lo, Self.bf16Pointer(dh + lo), count: n)
            case .fp16: Convert.floatToFloat16(dout + lo, UnsafeMutableRawPointer(dh + lo).assumingMemoryBound(to: Float16.self), count: n)
            }
        }
        kernels.halfMatmul(fmt, transposeA: .none, transposeB: .none, m: R, n: IC, k: OC, alpha: 1,
                           a: dh, lda: OC, b: m.weights.pointer + weight, ldb: IC, c: dinp, ldc: IC, accumulate: true)
        let a = inp.operand(fmt, scratch: m.operand, kernels: kernels)
        kernels.halfMatmul(fmt, transposeA: .transposed, transposeB: .none, m: OC, n: IC, k: R, alpha: 1,
                           a: dh, lda: OC, b: a, ldb: IC, c: dweight, ldc: IC, accumulate: true)
        // columns split between threads: each bias element summed over rows in a fixed order
        let parts = max(1, min(kernels.threads, OC / 16))
        kernels.parallel(parts) { part in
            let lo = OC * part / parts, hi = OC * (part + 1) / parts
            for r in 0..<R {
                let row = dout + r * OC
                for o in lo..<hi { dbias[o] += row[o] }
            }
        }
    }

    /// dx += gelu'(x) · dout with x stored in 16 bits (bf16 or fp16), widened 16 lanes at a time.
    static func geluBackward(dx: UnsafeMutablePointer<Float>, x: UnsafePointer<UInt16>, format: StorageFormat,
                             dout: UnsafePointer<Float>, count: Int) {
        var i = 0
        let raw = UnsafeRawPointer(x)
        while i + 16 <= count {
            let v: SIMD16<Float>
            if format == .bf16 {
                let h = raw.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<UInt16>.self)
                v = unsafeBitCast(SIMD16<UInt32>(truncatingIfNeeded: h) &<< 16, to: SIMD16<Float>.self)
            } else {
                v = SIMD16<Float>(raw.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<Float16>.self))
            }
            VectorMath.store(VectorMath.load(dx + i).addingProduct(GELU.derivative(v), VectorMath.load(dout + i)), dx + i)
            i += 16
        }
        while i < count {
            let xi = format == .bf16 ? BFloat16(bitPattern: x[i]).float : Float(Float16(bitPattern: x[i]))
            dx[i] += GELU.derivative(SIMD16(repeating: xi))[0] * dout[i]
            i += 1
        }
    }

    @inline(__always)
    static func bf16Pointer(_ p: UnsafeMutablePointer<UInt16>) -> UnsafeMutablePointer<BFloat16> {
        UnsafeMutableRawPointer(p).assumingMemoryBound(to: BFloat16.self)
    }

    @inline(__always)
    func bf16(_ t: PrecisionTensor) -> UnsafePointer<BFloat16> {
        UnsafeRawPointer(t.half()).assumingMemoryBound(to: BFloat16.self)
    }
}
