import Training

extension ShardedGPT {
    /// Forward of one micro-batch into activation slot `slot`. `tokens` and `targets` are full
    /// (B, seqLen) rows; this rank takes its positions. The first stage embeds `tokens`; later
    /// stages find their input in `input(slot)`. The last stage returns the mean loss over the
    /// B x seqLen tokens (the same on every rank of the tensor and context groups) and reads
    /// `targets`; other stages return nil and leave their output in `output(slot)`.
    func forward(slot: Int = 0, tokens: UnsafePointer<Int32>?, targets: UnsafePointer<Int32>?,
                 kernels: some ModelKernels) throws -> Float? {
        let c = config, C = c.dModel, a = slots[slot]
        if isFirst, let tokens {
            gatherRows(tokens, into: a.tokens)
            Embedding.forward(out: a.resid[0].pointer, tokens: a.tokens, wte: p(layout.wte), wpe: layout.wpe.map { p($0) },
                              B: B, T: T, C: C, positions: positions)
        }
        halfWeights?.refresh(from: params.pointer, kernels: kernels)
        let block = self.block(kernels)
        for (i, l) in layers.enumerated() { try block.forward(i, a.blocks, s, tensors(l, p), half: half(l)) }
        guard isLast, let targets else { return nil }
        gatherRows(targets, into: a.targets)
        let (losses, lossLSE, targetRows) = (a.losses!.pointer, a.lossLSE!.pointer, UnsafePointer(a.targets))
        // mixed: the final norm's output goes to scratch, and the head saves it in its own format
        let lnf = a.head == nil ? a.lnf!.pointer : s.dLn.pointer
        block.norm(out: lnf, mean: a.lnfMean!.pointer, rstd: a.lnfRstd!.pointer, x: a.resid[layers.count].pointer,
                   weight: p(layout.lnfw), bias: layout.lnfb.map { p($0) })
        if let head = a.head, let halfWeights {
            head.forward(normed: lnf, head: halfWeights.at(localOffset[layout.head]!), targets: targetRows, losses: losses,
                         logsumexp: lossLSE, gradScale: dynamicLossScale / Float(B * seqLen), block: block, scratch: s)
        } else {
            kernels.linearForward(out: a.logits!.pointer, inp: lnf, weight: p(layout.head), bias: nil,
                                  rows: R, inFeatures: C, outFeatures: c.vocab)
            let logits = a.logits!.pointer
            block.chunks(R) { lo, n in
                CrossEntropy.forward(losses: losses + lo, logsumexp: lossLSE + lo, logits: logits + lo * c.vocab,
                                     targets: targetRows + lo, rows: n, V: c.vocab)
            }
        }
        var total: Double = 0
        for i in 0..<R { total += Double(a.losses![i]) }
        var sum = Float(total)
        if let context { sum = try context.sum(sum) }
        return sum / Float(B * seqLen)
    }

    /// The sum of the token losses of the first `rows` of the B sequences of the last forward of
    /// slot 0 (this rank's positions of each; last stage only).
    func countedLossSum(rows: Int) -> Double {
        let losses = slots[0].losses!.pointer
        var total: Double = 0
        for r in 0..<(rows * T) { total += Double(losses[r]) }
        return total
    }

    /// The mean loss of one micro-batch through every block (no pipeline).
    func loss(tokens: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, kernels: some ModelKernels) throws -> Float {
        precondition(isFirst && isLast, "loss(tokens:targets:) runs the whole model; a pipeline stage uses forward(slot:)")
        return try forward(tokens: tokens, targets: targets, kernels: kernels)!
    }

    /// Backward of slot `slot`: adds the parameter gradients of `lossScale` x the mean loss. A
    /// non-last stage expects d(output) in `residualGradient`; every stage leaves d(input) there.
    func backward(slot: Int = 0, lossScale: Float, kernels: some ModelKernels) throws {
        let c = config, C = c.dModel, a = slots[slot]
        let block = self.block(kernels)
        if isLast {
            s.dLn.zero()
            if let head = a.head, let halfWeights {
                // the loss gradient was saved by the forward (scaled by dynamicLossScale / (B seqLen))
                head.backward(dx: s.dLn.pointer, dhead: g(layout.head), head: halfWeights.at(localOffset[layout.head]!),
                              lossScale: lossScale, kernels: kernels, scratch: s)
            } else {
                let (logits, lossLSE, targets) = (a.logits!.pointer, a.lossLSE!.pointer, a.targets)
                let scale = lossScale / Float(B * seqLen)
                block.chunks(R) { lo, n in
                    CrossEntropy.backward(logitsToGradient: logits + lo * c.vocab, logsumexp: lossLSE + lo, targets: targets + lo,
                                          rows: n, V: c.vocab, scale: scale)
                }
                kernels.linearBackward(dinp: s.dLn.pointer, dweight: g(layout.head), dbias: nil, dout: a.logits!.pointer,
                                       inp: a.lnf!.pointer, weight: p(layout.head), rows: R, inFeatures: C, outFeatures: c.vocab)
            }
            s.dResid.zero()
            block.normBackward(dx: s.dResid.pointer, dweight: g(layout.lnfw), dbias: layout.lnfb.map { g($0) },
                               dout: s.dLn.pointer, x: a.resid[layers.count].pointer, weight: p(layout.lnfw),
                               mean: a.lnfMean!.pointer, rstd: a.lnfRstd!.pointer, partial: s.normPartial)
        }
        for (i, l) in layers.enumerated().reversed() {
            try block.backward(i, a.blocks, s, tensors(l, p), tensors(l, g), half: half(l))
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

    /// The blocks of this rank (its heads and MLP units; its tensor group and ring, if any).
    func block<K: ModelKernels>(_ kernels: K) -> TransformerBlock<K> {
        TransformerBlock(kernels: kernels, B: B, T: T, C: config.dModel, heads: NHl, headDim: config.headDim, hidden: Fl,
                         rope: rope, group: tp > 1 ? self : nil, ring: ring)
    }

    /// Block `l`'s matmul weights (this rank's shards) as the mixed-precision matmuls read them.
    func half(_ l: Int) -> BlockHalfWeights? {
        halfWeights?.block(layout.blocks[l]) { self.localOffset[$0]! }
    }

    /// Block `l`'s tensors (this rank's shards) in the buffer `at` maps offsets into.
    func tensors(_ l: Int, _ at: (Int) -> UnsafeMutablePointer<Float>) -> BlockTensors {
        BlockTensors(layout.blocks[l], at: at)
    }
}

extension ShardedGPT: TensorParallelGroup {}
