/// LayerNorm over the channel dimension (Ba et al. 2016), as GPT-2 uses it.
///
///     out[r, :] = (x[r, :] - mean_r) * rstd_r * weight + bias,   rstd_r = 1 / sqrt(var_r + eps)
///
/// Shapes: x, out (R, C) with R = B*T rows; weight, bias (C); mean, rstd (R) saved for backward.
public enum LayerNorm {
    public static let eps: Float = 1e-5

    public static func forward(out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
                               rstd: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>,
                               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, rows: Int, C: Int) {
        for r in 0..<rows {
            let xr = x + r * C, o = out + r * C
            let m = VectorMath.sum(xr, C) / Float(C)
            let v = VectorMath.squaredDeviation(xr, m, C) / Float(C)
            let s = 1 / (v + eps).squareRoot()
            for i in 0..<C { o[i] = (xr[i] - m) * s * weight[i] + bias[i] }
            mean[r] = m
            rstd[r] = s
        }
    }

    /// Adds into dx, dweight, dbias (backward passes accumulate).
    public static func backward(dx: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                                dbias: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, rows: Int, C: Int) {
        for r in 0..<rows {
            let d = dout + r * C, xr = x + r * C, dxr = dx + r * C
            let m = mean[r], s = rstd[r]
            var dnormMean: Float = 0, dnormNormMean: Float = 0
            for i in 0..<C {
                let norm = (xr[i] - m) * s
                let dnorm = weight[i] * d[i]
                dnormMean += dnorm
                dnormNormMean += dnorm * norm
            }
            dnormMean /= Float(C)
            dnormNormMean /= Float(C)
            for i in 0..<C {
                let norm = (xr[i] - m) * s
                let dnorm = weight[i] * d[i]
                dbias[i] += d[i]
                dweight[i] += norm * d[i]
                dxr[i] += (dnorm - dnormMean - norm * dnormNormMean) * s
            }
        }
    }
}

/// RMSNorm (Zhang & Sennrich 2019): no centering, no bias.
///
///     out[r, :] = x[r, :] * rstd_r * weight,   rstd_r = 1 / sqrt(mean(x_r^2) + eps)
///
/// Shapes: x, out (R, C); weight (C); rstd (R) saved for backward.
public enum RMSNorm {
    public static let eps: Float = 1e-5

    public static func forward(out: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
                               x: UnsafePointer<Float>, weight: UnsafePointer<Float>, rows: Int, C: Int) {
        for r in 0..<rows {
            let xr = x + r * C, o = out + r * C
            let s = 1 / (VectorMath.dot(xr, xr, C) / Float(C) + eps).squareRoot()
            for i in 0..<C { o[i] = xr[i] * s * weight[i] }
            rstd[r] = s
        }
    }

    /// Adds into dx and dweight.
    public static func backward(dx: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                                dout: UnsafePointer<Float>, x: UnsafePointer<Float>,
                                weight: UnsafePointer<Float>, rstd: UnsafePointer<Float>, rows: Int, C: Int) {
        for r in 0..<rows {
            let d = dout + r * C, xr = x + r * C, dxr = dx + r * C
            let s = rstd[r]
            var dnormNormMean: Float = 0
            for i in 0..<C { dnormNormMean += weight[i] * d[i] * xr[i] * s }
            dnormNormMean /= Float(C)
            for i in 0..<C {
                let norm = xr[i] * s
                dweight[i] += norm * d[i]
                dxr[i] += (weight[i] * d[i] - norm * dnormNormMean) * s
            }
        }
    }
}
