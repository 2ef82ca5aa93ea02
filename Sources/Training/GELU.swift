/// GELU with the tanh approximation (Hendrycks & Gimpel 2016), as GPT-2 uses it:
///
///     gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
///
/// Shapes: x, out (N) elementwise. Sixteen lanes at a time; tanh(u) = 1 - 2 / (e^{2u} + 1).
public enum GELU {
    static let k: Float = (2 / Float.pi).squareRoot()
    static let c: Float = 0.044715

    public static func forward(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            VectorMath.store(value(VectorMath.load(x + i)), out + i)
            i += 16
        }
        while i < count {
            out[i] = value(SIMD16(repeating: x[i]))[0]
            i += 1
        }
    }

    /// Adds into dx.
    public static func backward(dx: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>,
                                dout: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            let v = VectorMath.load(x + i)
            let grad = derivative(v)
            VectorMath.store(VectorMath.load(dx + i).addingProduct(grad, VectorMath.load(dout + i)), dx + i)
            i += 16
        }
        while i < count {
            dx[i] += derivative(SIMD16(repeating: x[i]))[0] * dout[i]
            i += 1
        }
    }

    @inline(__always)
    static func tanhv(_ u: SIMD16<Float>) -> SIMD16<Float> {
        let e = VectorMath.exp(2 * u)
        return 1 - 2 / (e + 1)
    }

    @inline(__always)
    static func value(_ v: SIMD16<Float>) -> SIMD16<Float> {
        let v3: SIMD16<Float> = v * v * v
        let u: SIMD16<Float> = k * (v + c * v3)
        let t = tanhv(u)
        return 0.5 * v * (1 + t)
    }

    /// d gelu / dx = 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 c x^2)
    @inline(__always)
    static func derivative(_ v: SIMD16<Float>) -> SIMD16<Float> {
        let v2: SIMD16<Float> = v * v
        let u: SIMD16<Float> = k * (v + c * v2 * v)
        let t = tanhv(u)
        let sech2: SIMD16<Float> = 1 - t * t
        let inner: SIMD16<Float> = k * (1 + 3 * c * v2)
        let left: SIMD16<Float> = 0.5 * (1 + t)
        let right: SIMD16<Float> = 0.5 * v * sech2 * inner
        return left + right
    }
}
