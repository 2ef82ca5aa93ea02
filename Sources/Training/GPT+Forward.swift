extension GPT {
    /// Forward pass over tokens (B, T) with next-token targets (B, T); returns the mean loss in
    /// nats per token and keeps what backward needs, in the formats of `policy`.
    @discardableResult
    public func forward(tokens: UnsafePointer<Int32>, targets: UnsafePointer<Int32>,
                        kernels: some ModelKernels) -> Float {
        let c = config, a = acts, R = a.R, C = c.dModel, F = c.dFF, NH = c.nHead, d = c.headDim
        let p = params.pointer
        a.tokens.update(from: tokens, count: R)
        a.targets.update(from: targets, count: R)
        for i in 0..<R {
            precondition(tokens[i] >= 0 && Int(tokens[i]) < c.vocab, "token \(tokens[i]) outside the vocabulary of \(c.vocab)")
        }
        if policy.isMixed { return forwardMixed(tokens: tokens, targets: targets, kernels: kernels) }
        Embedding.forward(out: a.resid[0].pointer, tokens: tokens, wte: p + layout.wte,
                          wpe: layout.wpe.map { p + $0 }, B: B, T: T, C: C)
        for l in 0..<c.nLayer {
            let w = layout.blocks[l]
            let x = a.resid[l].pointer
            norm(out: a.ln1[l].pointer, mean: a.ln1Mean[l].pointer, rstd: a.ln1Rstd[l].pointer, x: x,
                 weight: p + w.ln1w, bias: w.ln1b.map { p + $0 }, kernels: kernels)
            kernels.linearForward(out: a.qkv.pointer, inp: a.ln1[l].pointer, weight: p + w.qkvw, bias: p + w.qkvb,
                                  rows: R, inFeatures: C, outFeatures: 3 * C)
            splitHeads(a.qkv.pointer, q: a.q[l].pointer, k: a.k[l].pointer, v: a.v[l].pointer)
            if let rope {
                rope.apply(a.q[l].pointer, heads: B * NH)
                rope.apply(a.k[l].pointer, heads: B * NH)
            }
            kernels.attentionForward(out: a.attO[l].pointer, lse: a.lse[l].pointer, q: a.q[l].pointer,
                                     k: a.k[l].pointer, v: a.v[l].pointer, B: B, NH: NH, T: T, d: d)
            mergeHeads(a.attO[l].pointer, into: a.attY[l].pointer)
            kernels.linearForward(out: a.resid2[l].pointer, inp: a.attY[l].pointer, weight: p + w.projw, bias: p + w.projb,
                                  rows: R, inFeatures: C, outFeatures: C)
            add(a.resid2[l].pointer, x, count: R * C, kernels: kernels)
            norm(out: a.ln2[l].pointer, mean: a.ln2Mean[l].pointer, rstd: a.ln2Rstd[l].pointer, x: a.resid2[l].pointer,
                 weight: p + w.ln2w, bias: w.ln2b.map { p + $0 }, kernels: kernels)
            kernels.linearForward(out: a.fcH[l].pointer, inp: a.ln2[l].pointer, weight: p + w.fcw, bias: p + w.fcb,
                                  rows: R, inFeatures: C, outFeatures: F)
            chunks(R * F, kernels) { lo, n in GELU.forward(out: a.fcG[l].pointer + lo, x: a.fcH[l].pointer + lo, count: n) }
            kernels.linearForward(out: a.resid[l + 1].pointer, inp: a.fcG[l].pointer, weight: p + w.fc2w, bias: p + w.fc2b,
                                  rows: R, inFeatures: F, outFeatures: C)
            add(a.resid[l + 1].pointer, a.resid2[l].pointer, count: R * C, kernels: kernels)
        }
        norm(out: a.lnf.pointer, mean: a.lnfMean.pointer, rstd: a.lnfRstd.pointer, x: a.resid[c.nLayer].pointer,
             weight: p + layout.lnfw, bias: layout.lnfb.map { p + $0 }, kernels: kernels)
        kernels.linearForward(out: a.logits.pointer, inp: a.lnf.pointer, weight: p + layout.head, bias: nil,
                              rows: R, inFeatures: C, outFeatures: c.vocab)
        chunks(R, kernels) { lo, n in
            CrossEntropy.forward(losses: a.losses.pointer + lo, logsumexp: a.lossLSE.pointer + lo,
                                 logits: a.logits.pointer + lo * c.vocab, targets: targets + lo, rows: n, V: c.vocab)
        }
        var total: Double = 0
        for i in 0..<R { total += Double(a.losses[i]) }
        return Float(total / Double(R))
    }

    /// LayerNorm or RMSNorm over rows, split between threads.
    func norm(out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
              x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, kernels: some ModelKernels) {
        let C = config.dModel
        chunks(acts.R, kernels) { lo, n in
            if let bias {
                LayerNorm.forward(out: out + lo * C, mean: mean + lo, rstd: rstd + lo, x: x + lo * C,
                                  weight: weight, bias: bias, rows: n, C: C)
            } else {
                RMSNorm.forward(out: out + lo * C, rstd: rstd + lo, x: x + lo * C, weight: weight, rows: n, C: C)
            }
        }
    }

    /// y += x elementwise.
    func add(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int, kernels: some ModelKernels) {
        chunks(count, kernels) { lo, n in
            for i in lo..<(lo + n) { y[i] += x[i] }
        }
    }

    /// Splits 0..<count into one contiguous chunk per thread and runs body(start, length).
    func chunks(_ count: Int, _ kernels: some ModelKernels, _ body: (Int, Int) -> Void) {
        let parts = max(1, min(kernels.threads, count))
        kernels.parallel(parts) { part in
            let lo = count * part / parts, hi = count * (part + 1) / parts
            if hi > lo { body(lo, hi - lo) }
        }
    }

    /// (B, T, 3C) -> q, k, v (B, NH, T, d).
    var heads: HeadLayout { HeadLayout(B: B, T: T, NH: config.nHead, d: config.headDim) }

    /// (B, T, 3C) -> q, k, v (B, NH, T, d).
    func splitHeads(_ qkv: UnsafePointer<Float>, q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>,
                    v: UnsafeMutablePointer<Float>) {
        heads.split(qkv, q: q, k: k, v: v)
    }

    /// (B, NH, T, d) -> (B, T, C).
    /// (B, NH, T, d) -> (B, T, C).
    func mergeHeads(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) { heads.merge(x, into: out) }

    /// (B, T, C) -> (B, NH, T, d).
    /// (B, T, C) -> (B, NH, T, d).
    func splitOne(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) { heads.split(x, into: out) }
}
