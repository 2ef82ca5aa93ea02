import Compute

/// The output head of a mixed-precision model (single-rank or a pipeline's last stage): the final
/// norm's output saved in the matmul format, the logits computed `logitRows` rows at a time in
/// fp32 with the cross-entropy loss and its gradient, and that gradient saved in the compute
/// format (scaled by the caller's `gradScale`), so the (R, V) fp32 logits never exist whole.
public final class MixedHead {
    let compute: HalfFormat
    let R: Int, C: Int, V: Int
    /// Final norm output (R, C) and the loss gradient with respect to the logits (R, V).
    let lnf, dlogits: PrecisionTensor
    /// fp32 logits of `logitRows` rows at a time.
    let logits: FloatBuffer
    let logitRows: Int

    public init(_ policy: PrecisionPolicy, R: Int, C: Int, V: Int) {
        compute = policy.compute!
        self.R = R; self.C = C; self.V = V
        lnf = PrecisionTensor(format: policy.matmulActivations, count: R * C)
        dlogits = PrecisionTensor(format: policy.outputGradients, count: R * V)
        // up to 4M floats (16 MB) of logits at a time: long enough that packing the head weights
        // once per block is cheap next to the block's matmul
        logitRows = min(R, max(128, (1 << 22) / V))
        logits = FloatBuffer(count: logitRows * V)
    }

    public var savedBytes: Int { lnf.bytes + dlogits.bytes }
    public var scratchBytes: Int { logits.bytes }

    /// Saves `normed` (the final norm's fp32 output), then per row block: logits = lnf · headᵀ,
    /// the token losses and logsumexps, and the loss gradient (softmax - onehot) · `gradScale`
    /// into `dlogits`.
    public func forward(normed: UnsafePointer<Float>, head: UnsafePointer<UInt16>, targets: UnsafePointer<Int32>,
                        losses: UnsafeMutablePointer<Float>, logsumexp: UnsafeMutablePointer<Float>, gradScale: Float,
                        block: TransformerBlock<some ModelKernels>, scratch: BlockScratch) {
        let kernels = block.kernels, V = self.V, C = self.C
        lnf.store(normed, kernels: kernels)
        let lnfOp = lnf.operand(compute, scratch: scratch.narrow!.operand, kernels: kernels)
        var r0 = 0
        while r0 < R {
            let n = min(logitRows, R - r0)
            kernels.halfMatmul(compute, transposeA: .none, transposeB: .transposed, m: n, n: V, k: C, alpha: 1,
                               a: lnfOp + r0 * C, lda: C, b: head, ldb: C, c: logits.pointer, ldc: V, accumulate: false)
            let row0 = r0, l0 = logits.pointer
            block.chunks(n) { lo, len in
                let l = l0 + lo * V
                CrossEntropy.forward(losses: losses + row0 + lo, logsumexp: logsumexp + row0 + lo, logits: l,
                                     targets: targets + row0 + lo, rows: len, V: V)
                CrossEntropy.backward(logitsToGradient: l, logsumexp: logsumexp + row0 + lo, targets: targets + row0 + lo,
                                      rows: len, V: V, scale: gradScale)
            }
            dlogits.store(logits.pointer, offset: r0 * V, count: n * V, kernels: kernels)
            r0 += n
        }
    }

    /// dx += lossScale · dlogits · head (dx is d(lnf) in fp32) and dhead += lossScale · dlogitsᵀ · lnf.
    public func backward(dx: UnsafeMutablePointer<Float>, dhead: UnsafeMutablePointer<Float>, head: UnsafePointer<UInt16>,
                         lossScale: Float, kernels: some ModelKernels, scratch: BlockScratch) {
        let dl = dlogits.half()
        kernels.halfMatmul(compute, transposeA: .none, transposeB: .none, m: R, n: C, k: V, alpha: lossScale,
                           a: dl, lda: V, b: head, ldb: C, c: dx, ldc: C, accumulate: true)
        let lnfOp = lnf.operand(compute, scratch: scratch.narrow!.operand, kernels: kernels)
        kernels.halfMatmul(compute, transposeA: .transposed, transposeB: .none, m: V, n: C, k: R, alpha: lossScale,
                           a: dl, lda: V, b: lnfOp, ldb: C, c: dhead, ldc: C, accumulate: true)
    }
}
