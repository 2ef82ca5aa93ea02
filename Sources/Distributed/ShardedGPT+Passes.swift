import Training

extension ShardedGPT {
    /// Forward of one micro-batch into activation slot `slot`. `tokens` and `targets` are full
    /// (B, seqLen) rows; this rank takes its positions. The first stage embeds `tokens`; later
    /// stages find their input in `input(slot)`. The last stage returns the mean loss over the
    /// B x seqLen tokens (the same on every rank of the tensor and context groups) and reads
    /// `targets`; other stages return nil and leave their output in `output(slot)`.
    func forward(slot: Int = 0, tokens: UnsafePointer<Int32>?, targets: UnsafePointer<Int32>?,
                 kernels: some ModelKernels) throws -> Float? {
        let c = config, C = c.dModel, d = c.headDim, a = slots[slot]
        if isFirst, let tokens {
            gatherRows(tokens, into: a.tokens)
            Embedding.forward(out: a.resid[0].pointer, tokens: a.tokens, wte: p(layout.wte), wpe: layout.wpe.map { p($0) },
                              B: B, T: T, C: C, positions: positions)
        }
        for (i, l) in layers.enumerated() {
            let w = layout.blocks[l]
            norm(out: a.ln1[i].pointer, mean: a.ln1Mean[i].pointer, rstd: a.ln1Rstd[i].pointer, x: a.resid[i].pointer,
                 weight: p(w.ln1w), bias: w.ln1b.map { p($0) })
            kernels.linearForward(out: s.qkv.pointer, inp: a.ln1[i].pointer, weight: p(w.qkvw), bias: p(w.qkvb),
                                  rows: R, inFeatures: C, outFeatures: 3 * Cl)
            splitHeads(s.qkv.pointer, q: a.q[i].pointer, k: a.k[i].pointer, v: a.v[i].pointer)
            if let rope {
                rope.apply(a.q[i].pointer, heads: B * NHl)
                rope.apply(a.k[i].pointer, heads: B * NHl)
            }
            if let ring {
                try ring.forward(out: a.attO[i].pointer, lse: a.lse[i].pointer, q: a.q[i].pointer, k: a.k[i].pointer,
                                 v: a.v[i].pointer, kernels: kernels)
            } else {
                kernels.attentionForward(out: a.attO[i].pointer, lse: a.lse[i].pointer, q: a.q[i].pointer, k: a.k[i].pointer,
                                         v: a.v[i].pointer, B: B, NH: NHl, T: T, d: d)
            }
            mergeHeads(a.attO[i].pointer, into: a.attY[i].pointer)
            kernels.linearForward(out: a.resid2[i].pointer, inp: a.attY[i].pointer, weight: p(w.projw), bias: nil,
                                  rows: R, inFeatures: Cl, outFeatures: C)
            try allReduce(a.resid2[i].pointer, count: R * C)
            addBiasAndResidual(a.resid2[i].pointer, bias: p(w.projb), residual: a.resid[i].pointer)
            norm(out: a.ln2[i].pointer, mean: a.ln2Mean[i].pointer, rstd: a.ln2Rstd[i].pointer, x: a.resid2[i].pointer,
                 weight: p(w.ln2w), bias: w.ln2b.map { p($0) })
            kernels.linearForward(out: a.fcH[i].pointer, inp: a.ln2[i].pointer, weight: p(w.fcw), bias: p(w.fcb),
                                  rows: R, inFeatures: C, outFeatures: Fl)
            GELU.forward(out: a.fcG[i].pointer, x: a.fcH[i].pointer, count: R * Fl)
            kernels.linearForward(out: a.resid[i + 1].pointer, inp: a.fcG[i].pointer, weight: p(w.fc2w), bias: nil,
                                  rows: R, inFeatures: Fl, outFeatures: C)
            try allReduce(a.resid[i + 1].pointer, count: R * C)
            addBiasAndResidual(a.resid[i + 1].pointer, bias: p(w.fc2b), residual: a.resid2[i].pointer)
        }
        guard isLast, let targets else { return nil }
        gatherRows(targets, into: a.targets)
        norm(out: a.lnf!.pointer, mean: a.lnfMean!.pointer, rstd: a.lnfRstd!.pointer, x: a.resid[layers.count].pointer,
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

    /// The mean loss of one micro-batch through every block (no pipeline).
    func loss(tokens: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, kernels: some ModelKernels) throws -> Float {
        precondition(isFirst && isLast, "loss(tokens:targets:) runs the whole model; a pipeline stage uses forward(slot:)")
        return try forward(tokens: tokens, targets: targets, kernels: kernels)!
    }

    /// Backward of slot `slot`: adds the parameter gradients of `lossScale` x the mean loss. A
    /// non-last stage expects d(output) in `residualGradient`; every stage leaves d(input) there.
    func backward(slot: Int = 0, lossScale: Float, kernels: some ModelKernels) throws {
        let c = config, C = c.dModel, d = c.headDim, a = slots[slot]
        if isLast {
            CrossEntropy.backward(logitsToGradient: a.logits!.pointer, logsumexp: a.lossLSE!.pointer, targets: a.targets,
                                  rows: R, V: c.vocab, scale: lossScale / Float(B * seqLen))
            s.dLn.zero()
            kernels.linearBackward(dinp: s.dLn.pointer, dweight: g(layout.head), dbias: nil, dout: a.logits!.pointer,
                                   inp: a.lnf!.pointer, weight: p(layout.head), rows: R, inFeatures: C, outFeatures: c.vocab)
            s.dResid.zero()
            normBackward(dx: s.dResid.pointer, dweight: g(layout.lnfw), dbias: layout.lnfb.map { g($0) }, dout: s.dLn.pointer,
                         x: a.resid[layers.count].pointer, weight: p(layout.lnfw), mean: a.lnfMean!.pointer,
                         rstd: a.lnfRstd!.pointer)
        }
        for (i, l) in layers.enumerated().reversed() {
            let w = layout.blocks[l]
            s.dFcG.zero()
            kernels.linearBackward(dinp: s.dFcG.pointer, dweight: g(w.fc2w), dbias: g(w.fc2b), dout: s.dResid.pointer,
                                   inp: a.fcG[i].pointer, weight: p(w.fc2w), rows: R, inFeatures: Fl, outFeatures: C)
            s.dFcH.zero()
            GELU.backward(dx: s.dFcH.pointer, x: a.fcH[i].pointer, dout: s.dFcG.pointer, count: R * Fl)
            s.dLn.zero()
            kernels.linearBackward(dinp: s.dLn.pointer, dweight: g(w.fcw), dbias: g(w.fcb), dout: s.dFcH.pointer,
                                   inp: a.ln2[i].pointer, weight: p(w.fcw), rows: R, inFeatures: C, outFeatures: Fl)
            try allReduce(s.dLn.pointer, count: R * C)
            normBackward(dx: s.dResid.pointer, dweight: g(w.ln2w), dbias: w.ln2b.map { g($0) }, dout: s.dLn.pointer,
                         x: a.resid2[i].pointer, weight: p(w.ln2w), mean: a.ln2Mean[i].pointer, rstd: a.ln2Rstd[i].pointer)
            s.dAttY.zero()
            kernels.linearBackward(dinp: s.dAttY.pointer, dweight: g(w.projw), dbias: g(w.projb), dout: s.dResid.pointer,
                                   inp: a.attY[i].pointer, weight: p(w.projw), rows: R, inFeatures: Cl, outFeatures: C)
            splitOne(s.dAttY.pointer, into: s.dAttO.pointer)
            if let ring {
                try ring.backward(dq: s.dq.pointer, dk: s.dk.pointer, dv: s.dv.pointer, dout: s.dAttO.pointer,
                                  q: a.q[i].pointer, k: a.k[i].pointer, v: a.v[i].pointer, out: a.attO[i].pointer,
                                  lse: a.lse[i].pointer, kernels: kernels)
            } else {
                kernels.attentionBackward(dq: s.dq.pointer, dk: s.dk.pointer, dv: s.dv.pointer, dout: s.dAttO.pointer,
                                          q: a.q[i].pointer, k: a.k[i].pointer, v: a.v[i].pointer, out: a.attO[i].pointer,
                                          lse: a.lse[i].pointer, B: B, NH: NHl, T: T, d: d)
            }
            if let rope {
                rope.apply(s.dq.pointer, heads: B * NHl, inverse: true)
                rope.apply(s.dk.pointer, heads: B * NHl, inverse: true)
            }
            mergeQKV(dq: s.dq.pointer, dk: s.dk.pointer, dv: s.dv.pointer, into: s.dqkv.pointer)
            s.dLn.zero()
            kernels.linearBackward(dinp: s.dLn.pointer, dweight: g(w.qkvw), dbias: g(w.qkvb), dout: s.dqkv.pointer,
                                   inp: a.ln1[i].pointer, weight: p(w.qkvw), rows: R, inFeatures: C, outFeatures: 3 * Cl)
            try allReduce(s.dLn.pointer, count: R * C)
            normBackward(dx: s.dResid.pointer, dweight: g(w.ln1w), dbias: w.ln1b.map { g($0) }, dout: s.dLn.pointer,
                         x: a.resid[i].pointer, weight: p(w.ln1w), mean: a.ln1Mean[i].pointer, rstd: a.ln1Rstd[i].pointer)
        }
        if isFirst {
            Embedding.backward(dwte: g(layout.wte), dwpe: layout.wpe.map { g($0) }, dout: s.dResid.pointer,
                               tokens: a.tokens, B: B, T: T, C: C, positions: positions)
        }
    }

    /// This rank's rows (its positions of each of the B sequences) of full (B, seqLen) ids.
    func gatherRows(_ full: UnsafePointer<Int32>, into local: UnsafeMutablePointer<Int32>) {
        for b in 0..<B {
            for (t, position) in positions.enumerated() { local[b * T + t] = full[b * seqLen + position] }
        }
    }
}
