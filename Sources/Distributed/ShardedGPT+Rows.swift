import Training

// Row-wise pieces of the sharded model (single-threaded per rank; GEMM and attention use the kernels).
extension ShardedGPT {
    /// y = y + bias (per row) + residual.
    func addBiasAndResidual(_ y: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, residual: UnsafePointer<Float>) {
        let C = config.dModel
        for r in 0..<R {
            let row = y + r * C, res = residual + r * C
            for i in 0..<C { row[i] = (row[i] + bias[i]) + res[i] }
        }
    }

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

    /// (B, T, 3Cl) -> q, k, v (B, NHl, T, d).
    var heads: HeadLayout { HeadLayout(B: B, T: T, NH: NHl, d: config.headDim) }

    /// (B, T, 3Cl) -> q, k, v (B, NHl, T, d).
    func splitHeads(_ qkv: UnsafePointer<Float>, q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>,
                    v: UnsafeMutablePointer<Float>) {
        heads.split(qkv, q: q, k: k, v: v)
    }

    /// (B, NHl, T, d) -> (B, T, Cl).
    /// (B, NHl, T, d) -> (B, T, Cl).
    func mergeHeads(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) { heads.merge(x, into: out) }

    /// (B, T, Cl) -> (B, NHl, T, d).
    /// (B, T, Cl) -> (B, NHl, T, d).
    func splitOne(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) { heads.split(x, into: out) }

    /// dq, dk, dv (B, NHl, T, d) -> dqkv (B, T, 3Cl).
    /// dq, dk, dv (B, NHl, T, d) -> dqkv (B, T, 3Cl).
    func mergeQKV(dq: UnsafePointer<Float>, dk: UnsafePointer<Float>, dv: UnsafePointer<Float>,
                  into out: UnsafeMutablePointer<Float>) {
        heads.merge(dq: dq, dk: dk, dv: dv, into: out)
    }
}
