import Training

/// The layers one pipeline stage owns, and their forward and backward passes for one
/// micro-batch shape (B, T): the same computation as `GPT`'s, restricted to
/// blocks `layers`, with the embedding on the first stage and the final norm, head and loss on
/// the last.
///
/// Parameters: the stage holds the contiguous range `owned` of the single-rank parameter layout
/// (first stage: embeddings and its blocks; last stage: its blocks, ln_f, an untied head). A tied
/// head makes the last stage also hold a copy of the token embedding (`tiedCopy`), whose gradient
/// is summed with the first stage's (as Megatron-LM's embedding group does).
final class PipelineStage {
    let config: GPTConfig
    let layout: ParameterLayout
    let layers: Range<Int>
    let isFirst: Bool
    let isLast: Bool
    let B: Int, T: Int, R: Int
    /// The global parameter range this stage owns and updates.
    let owned: Range<Int>
    let params: FloatBuffer
    let grads: FloatBuffer
    /// Last stage of a tied model: the token embedding used as the head.
    let tiedCopy: FloatBuffer?
    let tiedGrad: FloatBuffer?
    let rope: RoPE?
    let slots: [StageActivations]
    let s: StageScratch

    init(config c: GPTConfig, layers: Range<Int>, isFirst: Bool, isLast: Bool, B: Int, T: Int, inFlight: Int,
         initial: UnsafePointer<Float>) {
        config = c
        layout = ParameterLayout(c)
        self.layers = layers
        self.isFirst = isFirst
        self.isLast = isLast
        self.B = B; self.T = T; R = B * T
        let lo = isFirst ? 0 : layout.blocks[layers.lowerBound].ln1w
        let hi = isLast ? layout.count : layout.blocks[layers.upperBound].ln1w
        owned = lo..<hi
        params = FloatBuffer(count: hi - lo)
        params.pointer.update(from: initial + lo, count: hi - lo)
        grads = FloatBuffer(count: hi - lo)
        if isLast && !isFirst && c.tiedHead {
            tiedCopy = FloatBuffer(count: c.vocab * c.dModel)
            tiedCopy!.pointer.update(from: initial + layout.wte, count: c.vocab * c.dModel)
            tiedGrad = FloatBuffer(count: c.vocab * c.dModel)
        } else {
            tiedCopy = nil
            tiedGrad = nil
        }
        rope = c.position == .rope ? RoPE(T: T, headDim: c.headDim) : nil
        slots = (0..<inFlight).map { _ in StageActivations(c, layers: layers.count, B: B, T: T, isLast: isLast) }
        s = StageScratch(c, R: B * T)
    }

    /// Pointer to global parameter offset `o` (owned, or the tied head copy).
    func p(_ o: Int) -> UnsafeMutablePointer<Float> { params.pointer + (o - owned.lowerBound) }
    func g(_ o: Int) -> UnsafeMutablePointer<Float> { grads.pointer + (o - owned.lowerBound) }
    var headWeight: UnsafeMutablePointer<Float> { tiedCopy?.pointer ?? p(layout.head) }
    var headGrad: UnsafeMutablePointer<Float> { tiedGrad?.pointer ?? g(layout.head) }

    /// Bytes of parameters and gradients this stage holds.
    var parameterBytes: Int { params.bytes + (tiedCopy?.bytes ?? 0) }
    /// Activations of the micro-batches in flight plus backward scratch.
    var activationBytes: Int { slots.reduce(0) { $0 + $1.bytes } + s.bytes }
    var gradientBytes: Int { grads.bytes + (tiedGrad?.bytes ?? 0) }

    func zeroGrads() {
        grads.zero()
        tiedGrad?.zero()
    }

    /// Forward of one micro-batch into activation slot `slot`. The first stage reads `tokens`;
    /// later stages find their input already in `slots[slot].resid[0]`. The last stage returns the
    /// mean loss (and reads `targets`); others return nil and leave their output in
    /// `output(slot)`.
    func forward(slot: Int, tokens: UnsafePointer<Int32>?, targets: UnsafePointer<Int32>?, kernels: some ModelKernels) -> Float? {
        let c = config, a = slots[slot], C = c.dModel, F = c.dFF, NH = c.nHead, d = c.headDim
        if isFirst, let tokens {
            a.tokens.update(from: tokens, count: R)
            Embedding.forward(out: a.resid[0].pointer, tokens: tokens, wte: p(layout.wte), wpe: layout.wpe.map { p($0) },
                              B: B, T: T, C: C)
        }
        for (i, l) in layers.enumerated() {
            let w = layout.blocks[l]
            norm(out: a.ln1[i].pointer, mean: a.ln1Mean[i].pointer, rstd: a.ln1Rstd[i].pointer, x: a.resid[i].pointer,
                 weight: p(w.ln1w), bias: w.ln1b.map { p($0) })
            kernels.linearForward(out: s.qkv.pointer, inp: a.ln1[i].pointer, weight: p(w.qkvw), bias: p(w.qkvb),
                                  rows: R, inFeatures: C, outFeatures: 3 * C)
            splitHeads(s.qkv.pointer, q: a.q[i].pointer, k: a.k[i].pointer, v: a.v[i].pointer)
            if let rope {
                rope.apply(a.q[i].pointer, heads: B * NH)
                rope.apply(a.k[i].pointer, heads: B * NH)
            }
            kernels.attentionForward(out: a.attO[i].pointer, lse: a.lse[i].pointer, q: a.q[i].pointer,
                                     k: a.k[i].pointer, v: a.v[i].pointer, B: B, NH: NH, T: T, d: d)
            mergeHeads(a.attO[i].pointer, into: a.attY[i].pointer)
            kernels.linearForward(out: a.resid2[i].pointer, inp: a.attY[i].pointer, weight: p(w.projw), bias: p(w.projb),
                                  rows: R, inFeatures: C, outFeatures: C)
            add(a.resid2[i].pointer, a.resid[i].pointer, R * C)
            norm(out: a.ln2[i].pointer, mean: a.ln2Mean[i].pointer, rstd: a.ln2Rstd[i].pointer, x: a.resid2[i].pointer,
                 weight: p(w.ln2w), bias: w.ln2b.map { p($0) })
            kernels.linearForward(out: a.fcH[i].pointer, inp: a.ln2[i].pointer, weight: p(w.fcw), bias: p(w.fcb),
                                  rows: R, inFeatures: C, outFeatures: F)
            GELU.forward(out: a.fcG[i].pointer, x: a.fcH[i].pointer, count: R * F)
            kernels.linearForward(out: a.resid[i + 1].pointer, inp: a.fcG[i].pointer, weight: p(w.fc2w), bias: p(w.fc2b),
                                  rows: R, inFeatures: F, outFeatures: C)
            add(a.resid[i + 1].pointer, a.resid2[i].pointer, R * C)
        }
        guard isLast, let targets else { return nil }
        let top = a.resid[layers.count].pointer
        norm(out: a.lnf!.pointer, mean: a.lnfMean!.pointer, rstd: a.lnfRstd!.pointer, x: top,
             weight: p(layout.lnfw), bias: layout.lnfb.map { p($0) })
        kernels.linearForward(out: a.logits!.pointer, inp: a.lnf!.pointer, weight: headWeight, bias: nil,
                              rows: R, inFeatures: C, outFeatures: c.vocab)
        a.targets.update(from: targets, count: R)
        CrossEntropy.forward(losses: a.losses!.pointer, logsumexp: a.lossLSE!.pointer, logits: a.logits!.pointer,
                             targets: targets, rows: R, V: c.vocab)
        var total: Double = 0
        for i in 0..<R { total += Double(a.losses![i]) }
        return Float(total / Double(R))
    }

    /// The input buffer of slot `slot` (where a later stage receives activations).
    func input(_ slot: Int) -> UnsafeMutablePointer<Float> { slots[slot].resid[0].pointer }
    /// The output of slot `slot` (what a non-last stage sends on).
    func output(_ slot: Int) -> UnsafeMutablePointer<Float> { slots[slot].resid[layers.count].pointer }
    /// d(output): a non-last stage receives it here before `backward`; after `backward` it holds
    /// d(input), which a non-first stage sends back.
    var residualGradient: UnsafeMutablePointer<Float> { s.dResid.pointer }

    /// Backward of slot `slot`: adds parameter gradients of `lossScale` x mean loss.
    func backward(slot: Int, lossScale: Float, kernels: some ModelKernels) {
        let c = config, a = slots[slot], C = c.dModel, F = c.dFF, NH = c.nHead, d = c.headDim
        if isLast {
            CrossEntropy.backward(logitsToGradient: a.logits!.pointer, logsumexp: a.lossLSE!.pointer, targets: a.targets,
                                  rows: R, V: c.vocab, scale: lossScale / Float(R))
            s.dLn.zero()
            kernels.linearBackward(dinp: s.dLn.pointer, dweight: headGrad, dbias: nil, dout: a.logits!.pointer,
                                   inp: a.lnf!.pointer, weight: headWeight, rows: R, inFeatures: C, outFeatures: c.vocab)
            s.dResid.zero()
            normBackward(dx: s.dResid.pointer, dweight: g(layout.lnfw), dbias: layout.lnfb.map { g($0) }, dout: s.dLn.pointer,
                         x: a.resid[layers.count].pointer, weight: p(layout.lnfw), mean: a.lnfMean!.pointer, rstd: a.lnfRstd!.pointer)
        }
        for (i, l) in layers.enumerated().reversed() {
            let w = layout.blocks[l]
            s.dFcG.zero()
            kernels.linearBackward(dinp: s.dFcG.pointer, dweight: g(w.fc2w), dbias: g(w.fc2b), dout: s.dResid.pointer,
                                   inp: a.fcG[i].pointer, weight: p(w.fc2w), rows: R, inFeatures: F, outFeatures: C)
            s.dFcH.zero()
            GELU.backward(dx: s.dFcH.pointer, x: a.fcH[i].pointer, dout: s.dFcG.pointer, count: R * F)
            s.dLn.zero()
            kernels.linearBackward(dinp: s.dLn.pointer, dweight: g(w.fcw), dbias: g(w.fcb), dout: s.dFcH.pointer,
                                   inp: a.ln2[i].pointer, weight: p(w.fcw), rows: R, inFeatures: C, outFeatures: F)
            normBackward(dx: s.dResid.pointer, dweight: g(w.ln2w), dbias: w.ln2b.map { g($0) }, dout: s.dLn.pointer,
                         x: a.resid2[i].pointer, weight: p(w.ln2w), mean: a.ln2Mean[i].pointer, rstd: a.ln2Rstd[i].pointer)
            s.dAttY.zero()
            kernels.linearBackward(dinp: s.dAttY.pointer, dweight: g(w.projw), dbias: g(w.projb), dout: s.dResid.pointer,
                                   inp: a.attY[i].pointer, weight: p(w.projw), rows: R, inFeatures: C, outFeatures: C)
            splitOne(s.dAttY.pointer, into: s.dAttO.pointer)
            kernels.attentionBackward(dq: s.dq.pointer, dk: s.dk.pointer, dv: s.dv.pointer, dout: s.dAttO.pointer,
                                      q: a.q[i].pointer, k: a.k[i].pointer, v: a.v[i].pointer, out: a.attO[i].pointer,
                                      lse: a.lse[i].pointer, B: B, NH: NH, T: T, d: d)
            if let rope {
                rope.apply(s.dq.pointer, heads: B * NH, inverse: true)
                rope.apply(s.dk.pointer, heads: B * NH, inverse: true)
            }
            mergeQKV(dq: s.dq.pointer, dk: s.dk.pointer, dv: s.dv.pointer, into: s.dqkv.pointer)
            s.dLn.zero()
            kernels.linearBackward(dinp: s.dLn.pointer, dweight: g(w.qkvw), dbias: g(w.qkvb), dout: s.dqkv.pointer,
                                   inp: a.ln1[i].pointer, weight: p(w.qkvw), rows: R, inFeatures: C, outFeatures: 3 * C)
            normBackward(dx: s.dResid.pointer, dweight: g(w.ln1w), dbias: w.ln1b.map { g($0) }, dout: s.dLn.pointer,
                         x: a.resid[i].pointer, weight: p(w.ln1w), mean: a.ln1Mean[i].pointer, rstd: a.ln1Rstd[i].pointer)
        }
        if isFirst {
            Embedding.backward(dwte: g(layout.wte), dwpe: layout.wpe.map { g($0) }, dout: s.dResid.pointer,
                               tokens: a.tokens, B: B, T: T, C: C)
        }
    }

    // MARK: row-wise pieces (single-threaded per stage; GEMM and attention use the kernels)

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

    func add(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int) {
        for i in 0..<n { y[i] += x[i] }
    }

    /// (B, T, 3C) -> q, k, v (B, NH, T, d).
    func splitHeads(_ qkv: UnsafePointer<Float>, q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>,
                    v: UnsafeMutablePointer<Float>) {
        let C = config.dModel, NH = config.nHead, d = config.headDim
        for b in 0..<B {
            for t in 0..<T {
                let row = qkv + (b * T + t) * 3 * C
                for h in 0..<NH {
                    let dst = ((b * NH + h) * T + t) * d
                    (q + dst).update(from: row + h * d, count: d)
                    (k + dst).update(from: row + C + h * d, count: d)
                    (v + dst).update(from: row + 2 * C + h * d, count: d)
                }
            }
        }
    }

    /// (B, NH, T, d) -> (B, T, C).
    func mergeHeads(_ heads: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let C = config.dModel, NH = config.nHead, d = config.headDim
        for b in 0..<B {
            for t in 0..<T {
                for h in 0..<NH {
                    (out + (b * T + t) * C + h * d).update(from: heads + ((b * NH + h) * T + t) * d, count: d)
                }
            }
        }
    }

    /// (B, T, C) -> (B, NH, T, d).
    func splitOne(_ x: UnsafePointer<Float>, into heads: UnsafeMutablePointer<Float>) {
        let C = config.dModel, NH = config.nHead, d = config.headDim
        for b in 0..<B {
            for t in 0..<T {
                for h in 0..<NH {
                    (heads + ((b * NH + h) * T + t) * d).update(from: x + (b * T + t) * C + h * d, count: d)
                }
            }
        }
    }

    /// dq, dk, dv (B, NH, T, d) -> dqkv (B, T, 3C).
    func mergeQKV(dq: UnsafePointer<Float>, dk: UnsafePointer<Float>, dv: UnsafePointer<Float>,
                  into out: UnsafeMutablePointer<Float>) {
        let C = config.dModel, NH = config.nHead, d = config.headDim
        for b in 0..<B {
            for t in 0..<T {
                let row = out + (b * T + t) * 3 * C
                for h in 0..<NH {
                    let src = ((b * NH + h) * T + t) * d
                    (row + h * d).update(from: dq + src, count: d)
                    (row + C + h * d).update(from: dk + src, count: d)
                    (row + 2 * C + h * d).update(from: dv + src, count: d)
                }
            }
        }
    }
}

/// What one micro-batch's forward through a stage saves for its backward.
final class StageActivations {
    let resid: [FloatBuffer]
    let ln1, ln1Mean, ln1Rstd, q, k, v, attO, lse, attY, resid2, ln2, ln2Mean, ln2Rstd, fcH, fcG: [FloatBuffer]
    let lnf, lnfMean, lnfRstd, logits, losses, lossLSE: FloatBuffer?
    let tokens: UnsafeMutablePointer<Int32>
    let targets: UnsafeMutablePointer<Int32>

    init(_ c: GPTConfig, layers n: Int, B: Int, T: Int, isLast: Bool) {
        let R = B * T, C = c.dModel, F = c.dFF
        func many(_ count: Int) -> [FloatBuffer] { (0..<n).map { _ in FloatBuffer(count: count) } }
        resid = (0...n).map { _ in FloatBuffer(count: R * C) }
        ln1 = many(R * C); ln1Mean = many(R); ln1Rstd = many(R)
        q = many(R * C); k = many(R * C); v = many(R * C)
        attO = many(R * C); lse = many(B * c.nHead * T); attY = many(R * C); resid2 = many(R * C)
        ln2 = many(R * C); ln2Mean = many(R); ln2Rstd = many(R); fcH = many(R * F); fcG = many(R * F)
        lnf = isLast ? FloatBuffer(count: R * C) : nil
        lnfMean = isLast ? FloatBuffer(count: R) : nil
        lnfRstd = isLast ? FloatBuffer(count: R) : nil
        logits = isLast ? FloatBuffer(count: R * c.vocab) : nil
        losses = isLast ? FloatBuffer(count: R) : nil
        lossLSE = isLast ? FloatBuffer(count: R) : nil
        tokens = .allocate(capacity: R); tokens.initialize(repeating: 0, count: R)
        targets = .allocate(capacity: R); targets.initialize(repeating: 0, count: R)
    }

    deinit {
        tokens.deallocate()
        targets.deallocate()
    }

    /// Bytes of the saved activations (the token ids not counted).
    var bytes: Int {
        let perLayer = [ln1, ln1Mean, ln1Rstd, q, k, v, attO, lse, attY, resid2, ln2, ln2Mean, ln2Rstd, fcH, fcG]
        let head = [lnf, lnfMean, lnfRstd, logits, losses, lossLSE].compactMap { $0 }
        return (resid + perLayer.flatMap { $0 } + head).reduce(0) { $0 + $1.bytes }
    }
}

/// Backward scratch shared by the micro-batches of a stage.
final class StageScratch {
    let qkv, dqkv, dq, dk, dv, dAttO, dAttY, dResid, dLn, dFcH, dFcG: FloatBuffer
    init(_ c: GPTConfig, R: Int) {
        let C = c.dModel, F = c.dFF
        qkv = FloatBuffer(count: R * 3 * C); dqkv = FloatBuffer(count: R * 3 * C)
        dq = FloatBuffer(count: R * C); dk = FloatBuffer(count: R * C); dv = FloatBuffer(count: R * C)
        dAttO = FloatBuffer(count: R * C); dAttY = FloatBuffer(count: R * C)
        dResid = FloatBuffer(count: R * C); dLn = FloatBuffer(count: R * C)
        dFcH = FloatBuffer(count: R * F); dFcG = FloatBuffer(count: R * F)
    }

    var bytes: Int { [qkv, dqkv, dq, dk, dv, dAttO, dAttY, dResid, dLn, dFcH, dFcG].reduce(0) { $0 + $1.bytes } }
}
