extension GPT {
    /// Backward pass of the last forward: adds d(mean loss)/d(params) into `grads`
    /// (call `grads.zero()` between optimizer steps; accumulating micro-batches adds up).
    /// `lossScale` multiplies the gradient (1 / micro-batches for accumulation); under a mixed
    /// policy the gradient is also multiplied by the `dynamicLossScale` of the last forward.
    public func backward(kernels: some ModelKernels, lossScale: Float = 1) {
        if policy.isMixed { backwardMixed(kernels: kernels, lossScale: lossScale); return }
        let c = config, a = acts, R = a.R, C = c.dModel, F = c.dFF, NH = c.nHead, d = c.headDim
        let p = params.pointer, g = grads.pointer
        let scale = lossScale / Float(R)
        chunks(R, kernels) { lo, n in
            CrossEntropy.backward(logitsToGradient: a.logits.pointer + lo * c.vocab, logsumexp: a.lossLSE.pointer + lo,
                                  targets: a.targets + lo, rows: n, V: c.vocab, scale: scale)
        }
        a.dLn.zero()
        kernels.linearBackward(dinp: a.dLn.pointer, dweight: g + layout.head, dbias: nil, dout: a.logits.pointer,
                               inp: a.lnf.pointer, weight: p + layout.head, rows: R, inFeatures: C, outFeatures: c.vocab)
        a.dResid.zero()
        normBackward(dx: a.dResid.pointer, dweight: g + layout.lnfw, dbias: layout.lnfb.map { g + $0 }, dout: a.dLn.pointer,
                     x: a.resid[c.nLayer].pointer, weight: p + layout.lnfw, mean: a.lnfMean.pointer, rstd: a.lnfRstd.pointer,
                     kernels: kernels)
        for l in stride(from: c.nLayer - 1, through: 0, by: -1) {
            let w = layout.blocks[l]
            // MLP: dResid is d(resid[l+1]) and, through the residual, d(resid2).
            a.dFcG.zero()
            kernels.linearBackward(dinp: a.dFcG.pointer, dweight: g + w.fc2w, dbias: g + w.fc2b, dout: a.dResid.pointer,
                                   inp: a.fcG[l].pointer, weight: p + w.fc2w, rows: R, inFeatures: F, outFeatures: C)
            a.dFcH.zero()
            chunks(R * F, kernels) { lo, n in
                GELU.backward(dx: a.dFcH.pointer + lo, x: a.fcH[l].pointer + lo, dout: a.dFcG.pointer + lo, count: n)
            }
            a.dLn.zero()
            kernels.linearBackward(dinp: a.dLn.pointer, dweight: g + w.fcw, dbias: g + w.fcb, dout: a.dFcH.pointer,
                                   inp: a.ln2[l].pointer, weight: p + w.fcw, rows: R, inFeatures: C, outFeatures: F)
            normBackward(dx: a.dResid.pointer, dweight: g + w.ln2w, dbias: w.ln2b.map { g + $0 }, dout: a.dLn.pointer,
                         x: a.resid2[l].pointer, weight: p + w.ln2w, mean: a.ln2Mean[l].pointer, rstd: a.ln2Rstd[l].pointer,
                         kernels: kernels)
            // Attention: dResid is now d(resid2), and through the residual d(resid[l]).
            a.dAttY.zero()
            kernels.linearBackward(dinp: a.dAttY.pointer, dweight: g + w.projw, dbias: g + w.projb, dout: a.dResid.pointer,
                                   inp: a.attY[l].pointer, weight: p + w.projw, rows: R, inFeatures: C, outFeatures: C)
            splitOne(a.dAttY.pointer, into: a.dAttO.pointer)
            kernels.attentionBackward(dq: a.dq.pointer, dk: a.dk.pointer, dv: a.dv.pointer, dout: a.dAttO.pointer,
                                      q: a.q[l].pointer, k: a.k[l].pointer, v: a.v[l].pointer, out: a.attO[l].pointer,
                                      lse: a.lse[l].pointer, B: B, NH: NH, T: T, d: d)
            if let rope {
                rope.apply(a.dq.pointer, heads: B * NH, inverse: true)
                rope.apply(a.dk.pointer, heads: B * NH, inverse: true)
            }
            mergeQKV(dq: a.dq.pointer, dk: a.dk.pointer, dv: a.dv.pointer, into: a.dqkv.pointer)
            a.dLn.zero()
            kernels.linearBackward(dinp: a.dLn.pointer, dweight: g + w.qkvw, dbias: g + w.qkvb, dout: a.dqkv.pointer,
                                   inp: a.ln1[l].pointer, weight: p + w.qkvw, rows: R, inFeatures: C, outFeatures: 3 * C)
            normBackward(dx: a.dResid.pointer, dweight: g + w.ln1w, dbias: w.ln1b.map { g + $0 }, dout: a.dLn.pointer,
                         x: a.resid[l].pointer, weight: p + w.ln1w, mean: a.ln1Mean[l].pointer, rstd: a.ln1Rstd[l].pointer,
                         kernels: kernels)
        }
        Embedding.backward(dwte: g + layout.wte, dwpe: layout.wpe.map { g + $0 }, dout: a.dResid.pointer,
                           tokens: a.tokens, B: B, T: T, C: C)
    }

    /// Norm backward over rows. Weight gradients are summed per fixed block of rows, then the
    /// blocks in order, so the result is the same for every thread count.
    func normBackward(dx: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>?,
                      dout: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                      mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, kernels: some ModelKernels) {
        let C = config.dModel, R = acts.R, rowsPerBlock = Activations.normBlockRows
        let blocks = (R + rowsPerBlock - 1) / rowsPerBlock
        let partial = acts.normPartial.pointer
        partial.update(repeating: 0, count: blocks * 2 * C)
        chunks(blocks, kernels) { first, count in
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
            for i in 0..<C { dweight[i] += dw[i] }
            if let dbias { for i in 0..<C { dbias[i] += dw[C + i] } }
        }
    }

    /// dq, dk, dv (B, NH, T, d) -> dqkv (B, T, 3C).
    /// dq, dk, dv (B, NH, T, d) -> dqkv (B, T, 3C).
    func mergeQKV(dq: UnsafePointer<Float>, dk: UnsafePointer<Float>, dv: UnsafePointer<Float>,
                  into out: UnsafeMutablePointer<Float>) {
        heads.merge(dq: dq, dk: dk, dv: dv, into: out)
    }
}
