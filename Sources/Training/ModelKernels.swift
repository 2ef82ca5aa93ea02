/// The two heavy operations of a transformer, behind a protocol so the model runs the same code
/// over the reference loops (for gradient checks) or the fast kernels (for training).
public protocol ModelKernels {
    /// out (R, OC) = inp (R, IC) · weightᵀ + bias
    func linearForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                       weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, rows: Int, inFeatures: Int, outFeatures: Int)
    /// dinp += dout · weight; dweight += doutᵀ · inp; dbias += Σ_rows dout.
    func linearBackward(dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                        dbias: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>,
                        weight: UnsafePointer<Float>, rows: Int, inFeatures: Int, outFeatures: Int)
    /// Causal attention over (B, NH, T, d); writes out and the row logsumexp.
    func attentionForward(out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>,
                          q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                          B: Int, NH: Int, T: Int, d: Int)
    /// Writes dq, dk, dv.
    func attentionBackward(dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
                           dout: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                           v: UnsafePointer<Float>, out: UnsafePointer<Float>, lse: UnsafePointer<Float>,
                           B: Int, NH: Int, T: Int, d: Int)
    /// Runs body(part) for part in 0..<parts, possibly in parallel; parts touch disjoint data.
    func parallel(_ parts: Int, _ body: (Int) -> Void)
    /// How many parts `parallel` runs at once.
    var threads: Int { get }
}

/// Double-accumulating loops, single-threaded: slow and exact enough for finite differences.
public struct ReferenceKernels: ModelKernels {
    public init() {}
    public var threads: Int { 1 }
    public func parallel(_ parts: Int, _ body: (Int) -> Void) { for p in 0..<parts { body(p) } }

    public func linearForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                              bias: UnsafePointer<Float>?, rows: Int, inFeatures: Int, outFeatures: Int) {
        LinearReference.forward(out: out, inp: inp, weight: weight, bias: bias, rows: rows,
                                inFeatures: inFeatures, outFeatures: outFeatures)
    }

    public func linearBackward(dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                               dbias: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>,
                               weight: UnsafePointer<Float>, rows: Int, inFeatures: Int, outFeatures: Int) {
        LinearReference.backward(dinp: dinp, dweight: dweight, dbias: dbias, dout: dout, inp: inp, weight: weight,
                                 rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
    }

    public func attentionForward(out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>,
                                 q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                 B: Int, NH: Int, T: Int, d: Int) {
        AttentionReference.forward(out: out, lse: lse, q: q, k: k, v: v, B: B, NH: NH, T: T, d: d)
    }

    public func attentionBackward(dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
                                  dout: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                  v: UnsafePointer<Float>, out: UnsafePointer<Float>, lse: UnsafePointer<Float>,
                                  B: Int, NH: Int, T: Int, d: Int) {
        AttentionReference.backward(dq: dq, dk: dk, dv: dv, dout: dout, q: q, k: k, v: v, out: out, lse: lse,
                                    B: B, NH: NH, T: T, d: d)
    }
}
