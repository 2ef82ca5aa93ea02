/// Small SIMD helpers for the row-wise layers (reductions need explicit vectors: the compiler
/// does not reassociate floating-point sums on its own).
enum VectorMath {
    /// sum(x[0..<n])
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD16<Float>()
        var i = 0
        while i + 16 <= n {
            acc += UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            i += 16
        }
        var s = acc.sum()
        while i < n { s += x[i]; i += 1 }
        return s
    }

    /// sum(x[i] * y[i])
    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD16<Float>()
        var i = 0
        while i + 16 <= n {
            let a = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            let b = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD16<Float>.self)
            acc.addProduct(a, b)
            i += 16
        }
        var s = acc.sum()
        while i < n { s += x[i] * y[i]; i += 1 }
        return s
    }

    /// sum((x[i] - c)^2)
    @inline(__always)
    static func squaredDeviation(_ x: UnsafePointer<Float>, _ c: Float, _ n: Int) -> Float {
        var acc = SIMD16<Float>()
        let cv = SIMD16<Float>(repeating: c)
        var i = 0
        while i + 16 <= n {
            let d = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self) - cv
            acc.addProduct(d, d)
            i += 16
        }
        var s = acc.sum()
        while i < n { let d = x[i] - c; s += d * d; i += 1 }
        return s
    }
}

extension SIMD16 where Scalar == Float {
    @inline(__always)
    mutating func addProduct(_ a: SIMD16<Float>, _ b: SIMD16<Float>) {
        self = self.addingProduct(a, b)
    }
}

extension VectorMath {
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always)
    static func load(_ p: UnsafeMutablePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always)
    static func store(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
    }

    /// e^x lane-wise, relative error ~1e-7; 0 below about -87, +inf-free (clamped) above 88.
    ///
    /// e^x = 2^(x log2 e) = 2^n 2^f with n = round(x log2 e), |f| <= 1/2; 2^f by a degree-7
    /// polynomial, 2^n built in the exponent bits (the 1.5 * 2^23 rounding trick).
    @inline(__always)
    static func exp(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let y = x * 1.4426950408889634
        let xc = pointwiseMin(pointwiseMax(y, SIMD16(repeating: -127)), SIMD16(repeating: 127))
        let magic = SIMD16<Float>(repeating: 12582912)
        let t = xc + magic
        let n = t - magic
        let f = xc - n
        var p = SIMD16<Float>(repeating: 1.525273380405984e-05)
        p = SIMD16(repeating: 1.540353039338161e-04).addingProduct(p, f)
        p = SIMD16(repeating: 1.3333558146428443e-03).addingProduct(p, f)
        p = SIMD16(repeating: 9.618129107628477e-03).addingProduct(p, f)
        p = SIMD16(repeating: 5.550410866482158e-02).addingProduct(p, f)
        p = SIMD16(repeating: 0.2402265069591007).addingProduct(p, f)
        p = SIMD16(repeating: 0.6931471805599453).addingProduct(p, f)
        p = SIMD16(repeating: 1).addingProduct(p, f)
        let bits = (unsafeBitCast(t, to: SIMD16<UInt32>.self) &+ 127) &<< 23
        return p * unsafeBitCast(bits, to: SIMD16<Float>.self)
    }
}
