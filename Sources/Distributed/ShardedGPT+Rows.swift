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
    func splitHeads(_ qkv: UnsafePointer<Float>, q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>,
                    v: UnsafeMutablePointer<Float>) {
        let d = config.headDim
        for b in 0..<B {
            for t in 0..<T {
                let row = qkv + (b * T + t) * 3 * Cl
                for h in 0..<NHl {
                    let dst = ((b * NHl + h) * T + t) * d
                    (q + dst).update(from: row + h * d, count: d)
                    (k + dst).update(from: row + Cl + h * d, count: d)
                    (v + dst).update(from: row + 2 * Cl + h * d, count: d)
                }
            }
        }
    }

    /// (B, NHl, T, d) -> (B, T, Cl).
    func mergeHeads(_ heads: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let d = config.headDim
        for b in 0..<B {
            for t in 0..<T {
                for h in 0..<NHl {
                    (out + (b * T + t) * Cl + h * d).update(from: heads + ((b * NHl + h) * T + t) * d, count: d)
                }
            }
        }
    }

    /// (B, T, Cl) -> (B, NHl, T, d).
    func splitOne(_ x: UnsafePointer<Float>, into heads: UnsafeMutablePointer<Float>) {
        let d = config.headDim
        for b in 0..<B {
            for t in 0..<T {
                for h in 0..<NHl {
                    (heads + ((b * NHl + h) * T + t) * d).update(from: x + (b * T + t) * Cl + h * d, count: d)
                }
            }
        }
    }

    /// dq, dk, dv (B, NHl, T, d) -> dqkv (B, T, 3Cl).
    func mergeQKV(dq: UnsafePointer<Float>, dk: UnsafePointer<Float>, dv: UnsafePointer<Float>,
                  into out: UnsafeMutablePointer<Float>) {
        let d = config.headDim
        for b in 0..<B {
            for t in 0..<T {
                let row = out + (b * T + t) * 3 * Cl
                for h in 0..<NHl {
                    let src = ((b * NHl + h) * T + t) * d
                    (row + h * d).update(from: dq + src, count: d)
                    (row + Cl + h * d).update(from: dk + src, count: d)
                    (row + 2 * Cl + h * d).update(from: dv + src, count: d)
                }
            }
        }
    }
}
