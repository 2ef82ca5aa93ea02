import Training

/// What one micro-batch's forward through a stage saves for its backward.
final class StageActivations {
    let resid: [FloatBuffer]
    let ln1, ln1Mean, ln1Rstd, q, k, v, attO, lse, attY, resid2, ln2, ln2Mean, ln2Rstd, fcH, fcG: [FloatBuffer]
    let lnf, lnfMean, lnfRstd, logits, losses, lossLSE: FloatBuffer?
    let tokens: UnsafeMutablePointer<Int32>
    let targets: UnsafeMutablePointer<Int32>

    /// `tp` > 1: the attention and MLP tensors hold this rank's 1/tp of the heads and hidden units.
    init(_ c: GPTConfig, layers n: Int, B: Int, T: Int, isLast: Bool, tp: Int = 1) {
        let R = B * T, C = c.dModel, F = c.dFF, Cl = C / tp, Fl = F / tp
        func many(_ count: Int) -> [FloatBuffer] { (0..<n).map { _ in FloatBuffer(count: count) } }
        resid = (0...n).map { _ in FloatBuffer(count: R * C) }
        ln1 = many(R * C); ln1Mean = many(R); ln1Rstd = many(R)
        q = many(R * Cl); k = many(R * Cl); v = many(R * Cl)
        attO = many(R * Cl); lse = many(B * c.nHead / tp * T); attY = many(R * Cl); resid2 = many(R * C)
        ln2 = many(R * C); ln2Mean = many(R); ln2Rstd = many(R); fcH = many(R * Fl); fcG = many(R * Fl)
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
    init(_ c: GPTConfig, R: Int, tp: Int = 1) {
        let C = c.dModel, Cl = C / tp, Fl = c.dFF / tp
        qkv = FloatBuffer(count: R * 3 * Cl); dqkv = FloatBuffer(count: R * 3 * Cl)
        dq = FloatBuffer(count: R * Cl); dk = FloatBuffer(count: R * Cl); dv = FloatBuffer(count: R * Cl)
        dAttO = FloatBuffer(count: R * Cl); dAttY = FloatBuffer(count: R * Cl)
        dResid = FloatBuffer(count: R * C); dLn = FloatBuffer(count: R * C)
        dFcH = FloatBuffer(count: R * Fl); dFcG = FloatBuffer(count: R * Fl)
    }

    var bytes: Int { [qkv, dqkv, dq, dk, dv, dAttO, dAttY, dResid, dLn, dFcH, dFcG].reduce(0) { $0 + $1.bytes } }
}
