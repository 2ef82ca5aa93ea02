import Training

/// What one micro-batch's forward through a stage saves for its backward: its blocks'
/// (`BlockActivations`, at the rank's tensor-parallel widths) and, on the last stage, the final
/// norm's, the logits' and the loss's (under a mixed policy the final norm's output and the loss
/// gradient live in a `MixedHead`, and the fp32 `lnf` and `logits` are empty).
final class StageActivations {
    let blocks: BlockActivations
    var resid: [FloatBuffer] { blocks.resid }
    let lnf, lnfMean, lnfRstd, logits, losses, lossLSE: FloatBuffer?
    /// The mixed-precision head (last stage, mixed policy).
    let head: MixedHead?
    let tokens: UnsafeMutablePointer<Int32>
    let targets: UnsafeMutablePointer<Int32>

    /// `tp` > 1: the attention and MLP tensors hold this rank's 1/tp of the heads and hidden units.
    init(_ c: GPTConfig, layers n: Int, B: Int, T: Int, isLast: Bool, tp: Int = 1,
         policy: PrecisionPolicy = PrecisionPolicy(.fp32)) {
        let R = B * T, C = c.dModel, full = policy.isMixed ? 0 : 1
        blocks = BlockActivations(layers: n, B: B, T: T, C: C, Cl: C / tp, Fl: c.dFF / tp, heads: c.nHead / tp, policy: policy)
        head = isLast && policy.isMixed ? MixedHead(policy, R: R, C: C, V: c.vocab) : nil
        lnf = isLast ? FloatBuffer(count: full * R * C) : nil
        lnfMean = isLast ? FloatBuffer(count: R) : nil
        lnfRstd = isLast ? FloatBuffer(count: R) : nil
        logits = isLast ? FloatBuffer(count: full * R * c.vocab) : nil
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
        blocks.bytes + [lnf, lnfMean, lnfRstd, logits, losses, lossLSE].compactMap { $0 }.reduce(0) { $0 + $1.bytes }
            + (head.map { $0.savedBytes + $0.scratchBytes } ?? 0)
    }
}
