extension GPT {
    /// Forward pass over tokens (B, T) with next-token targets (B, T); returns the mean loss in
    /// nats per token and keeps what backward needs, in the formats of `policy`.
    @discardableResult
    public func forward(tokens: UnsafePointer<Int32>, targets: UnsafePointer<Int32>,
                        kernels: some ModelKernels) -> Float {
        let c = config, a = acts, R = a.R, C = c.dModel
        let p = params.pointer
        a.tokens.update(from: tokens, count: R)
        a.targets.update(from: targets, count: R)
        for i in 0..<R {
            precondition(tokens[i] >= 0 && Int(tokens[i]) < c.vocab, "token \(tokens[i]) outside the vocabulary of \(c.vocab)")
        }
        Embedding.forward(out: a.resid[0].pointer, tokens: tokens, wte: p + layout.wte,
                          wpe: layout.wpe.map { p + $0 }, B: B, T: T, C: C)
        mixed?.weights.refresh(from: p, kernels: kernels)
        let block = self.block(kernels)
        // without a tensor-parallel group or ring attention nothing in a block throws
        for l in 0..<c.nLayer { try! block.forward(l, a.blocks, a.scratch, tensors(l, p), half: halfWeights(l)) }
        // mixed: the final norm's output goes to scratch, and the head saves it in its own format
        let lnf = mixed == nil ? a.lnf.pointer : a.dLn.pointer
        norm(out: lnf, mean: a.lnfMean.pointer, rstd: a.lnfRstd.pointer, x: a.resid[c.nLayer].pointer,
             weight: p + layout.lnfw, bias: layout.lnfb.map { p + $0 }, kernels: kernels)
        if let m = mixed {
            m.head.forward(normed: lnf, head: m.weights.at(layout.head), targets: targets, losses: a.losses.pointer,
                           logsumexp: a.lossLSE.pointer, gradScale: dynamicLossScale / Float(R), block: block,
                           scratch: a.scratch)
        } else {
            kernels.linearForward(out: a.logits.pointer, inp: lnf, weight: p + layout.head, bias: nil,
                                  rows: R, inFeatures: C, outFeatures: c.vocab)
            chunks(R, kernels) { lo, n in
                CrossEntropy.forward(losses: a.losses.pointer + lo, logsumexp: a.lossLSE.pointer + lo,
                                     logits: a.logits.pointer + lo * c.vocab, targets: targets + lo, rows: n, V: c.vocab)
            }
        }
        var total: Double = 0
        for i in 0..<R { total += Double(a.losses[i]) }
        return Float(total / Double(R))
    }

    /// The blocks of this model (all heads and MLP units, no group) on `kernels`.
    func block<K: ModelKernels>(_ kernels: K) -> TransformerBlock<K> {
        TransformerBlock(kernels: kernels, B: B, T: T, C: config.dModel, heads: config.nHead, headDim: config.headDim,
                         hidden: config.dFF, rope: rope)
    }

    /// Block `l`'s matmul weights as the mixed-precision matmuls read them (nil under fp32).
    func halfWeights(_ l: Int) -> BlockHalfWeights? { mixed?.weights.block(layout.blocks[l]) }

    /// Block `l`'s tensors in the parameter-shaped buffer `buffer` (parameters or gradients).
    func tensors(_ l: Int, _ buffer: UnsafeMutablePointer<Float>) -> BlockTensors {
        .init(layout.blocks[l]) { buffer + $0 }
    }

    /// LayerNorm or RMSNorm over rows, split between threads.
    func norm(out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
              x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, kernels: some ModelKernels) {
        block(kernels).norm(out: out, mean: mean, rstd: rstd, x: x, weight: weight, bias: bias)
    }

    /// y += x elementwise.
    func add(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int, kernels: some ModelKernels) {
        chunks(count, kernels) { lo, n in
            for i in lo..<(lo + n) { y[i] += x[i] }
        }
    }

    /// Splits 0..<count into one contiguous chunk per thread and runs body(start, length).
    func chunks(_ count: Int, _ kernels: some ModelKernels, _ body: (Int, Int) -> Void) {
        block(kernels).chunks(count, body)
    }

    var heads: HeadLayout { HeadLayout(B: B, T: T, NH: config.nHead, d: config.headDim) }

    /// (B, T, 3C) -> q, k, v (B, NH, T, d).
    func splitHeads(_ qkv: UnsafePointer<Float>, q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>,
                    v: UnsafeMutablePointer<Float>) {
        heads.split(qkv, q: q, k: k, v: v)
    }

    /// (B, NH, T, d) -> (B, T, C).
    func mergeHeads(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) { heads.merge(x, into: out) }

    /// (B, T, C) -> (B, NH, T, d).
    func splitOne(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) { heads.split(x, into: out) }
}
