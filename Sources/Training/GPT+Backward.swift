extension GPT {
    /// Backward pass of the last forward: adds d(mean loss)/d(params) into `grads`
    /// (call `grads.zero()` between optimizer steps; accumulating micro-batches adds up).
    /// `lossScale` multiplies the gradient (1 / micro-batches for accumulation); under a mixed
    /// policy the gradient is also multiplied by the `dynamicLossScale` of the last forward.
    public func backward(kernels: some ModelKernels, lossScale: Float = 1) {
        let c = config, a = acts, R = a.R, C = c.dModel
        let p = params.pointer, g = grads.pointer
        a.dLn.zero()
        if let m = mixed {
            // the loss gradient was saved by the forward (scaled by dynamicLossScale / R)
            m.head.backward(dx: a.dLn.pointer, dhead: g + layout.head, head: m.weights.at(layout.head), lossScale: lossScale,
                            kernels: kernels, scratch: a.scratch)
        } else {
            let scale = lossScale / Float(R)
            chunks(R, kernels) { lo, n in
                CrossEntropy.backward(logitsToGradient: a.logits.pointer + lo * c.vocab, logsumexp: a.lossLSE.pointer + lo,
                                      targets: a.targets + lo, rows: n, V: c.vocab, scale: scale)
            }
            kernels.linearBackward(dinp: a.dLn.pointer, dweight: g + layout.head, dbias: nil, dout: a.logits.pointer,
                                   inp: a.lnf.pointer, weight: p + layout.head, rows: R, inFeatures: C, outFeatures: c.vocab)
        }
        a.dResid.zero()
        normBackward(dx: a.dResid.pointer, dweight: g + layout.lnfw, dbias: layout.lnfb.map { g + $0 }, dout: a.dLn.pointer,
                     x: a.resid[c.nLayer].pointer, weight: p + layout.lnfw, mean: a.lnfMean.pointer, rstd: a.lnfRstd.pointer,
                     kernels: kernels)
        let block = self.block(kernels)
        for l in stride(from: c.nLayer - 1, through: 0, by: -1) {
            try! block.backward(l, a.blocks, a.scratch, tensors(l, p), tensors(l, g), half: halfWeights(l))
        }
        Embedding.backward(dwte: g + layout.wte, dwpe: layout.wpe.map { g + $0 }, dout: a.dResid.pointer,
                           tokens: a.tokens, B: B, T: T, C: C)
    }

    /// Norm backward over rows, the same for every thread count (`TransformerBlock.normBackward`).
    func normBackward(dx: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>?,
                      dout: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                      mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, kernels: some ModelKernels) {
        block(kernels).normBackward(dx: dx, dweight: dweight, dbias: dbias, dout: dout, x: x, weight: weight, mean: mean,
                                    rstd: rstd, partial: acts.normPartial)
    }

    /// dq, dk, dv (B, NH, T, d) -> dqkv (B, T, 3C).
    func mergeQKV(dq: UnsafePointer<Float>, dk: UnsafePointer<Float>, dv: UnsafePointer<Float>,
                  into out: UnsafeMutablePointer<Float>) {
        heads.merge(dq: dq, dk: dk, dv: dv, into: out)
    }
}
