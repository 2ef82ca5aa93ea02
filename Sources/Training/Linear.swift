/// A fully connected layer with the weight stored (OC, IC), as in PyTorch and llm.c:
///
///     out (R, OC) = inp (R, IC) · weightᵀ + bias
///
/// backward adds  dinp += dout · weight,  dweight += doutᵀ · inp,  dbias += Σ_rows dout.
/// These are the reference loops; `Model` runs the same maths through `Compute.GEMM`.
public enum LinearReference {
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                               rows R: Int, inFeatures IC: Int, outFeatures OC: Int) {
        for r in 0..<R {
            for o in 0..<OC {
                var s: Double = bias.map { Double($0[o]) } ?? 0
                for i in 0..<IC { s += Double(inp[r * IC + i]) * Double(weight[o * IC + i]) }
                out[r * OC + o] = Float(s)
            }
        }
    }

    public static func backward(dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                                dbias: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>,
                                inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                rows R: Int, inFeatures IC: Int, outFeatures OC: Int) {
        for r in 0..<R {
            for i in 0..<IC {
                var s: Double = 0
                for o in 0..<OC { s += Double(dout[r * OC + o]) * Double(weight[o * IC + i]) }
                dinp[r * IC + i] += Float(s)
            }
        }
        for o in 0..<OC {
            for i in 0..<IC {
                var s: Double = 0
                for r in 0..<R { s += Double(dout[r * OC + o]) * Double(inp[r * IC + i]) }
                dweight[o * IC + i] += Float(s)
            }
            if let dbias {
                var s: Double = 0
                for r in 0..<R { s += Double(dout[r * OC + o]) }
                dbias[o] += Float(s)
            }
        }
    }
}
