/// The fp32 vector a generic tier kernel is written in (`SIMD8<Float>` for AVX2's ymm registers,
/// `SIMD4<Float>` for the portable tier's xmm/NEON registers).
public protocol _KernelVector: SIMD where Scalar == Float {
    /// `acc + a·b`: one fused multiply-add where the tier's instruction set has it.
    static func _multiplyAdd(_ acc: Self, _ a: Self, _ b: Self) -> Self
}

extension _KernelVector {
    @inlinable @inline(__always)
    static func _load(_ p: UnsafePointer<Float>) -> Self {
        UnsafeRawPointer(p).loadUnaligned(as: Self.self)
    }

    @inlinable @inline(__always)
    func _store(_ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: self, as: Self.self)
    }
}

extension SIMD8: _KernelVector where Scalar == Float {
    /// `vfmadd` on ymm (the AVX2 tier is compiled for Haswell, which has FMA).
    @inlinable @inline(__always)
    public static func _multiplyAdd(_ acc: Self, _ a: Self, _ b: Self) -> Self { acc.addingProduct(a, b) }
}

extension SIMD4: _KernelVector where Scalar == Float {
    /// On arm64 one NEON `fmla`; on x86-64's base (SSE2, no FMA) a multiply and an add, since a
    /// fused multiply-add there would be a library call per lane.
    @inlinable @inline(__always)
    public static func _multiplyAdd(_ acc: Self, _ a: Self, _ b: Self) -> Self {
        #if arch(x86_64)
        return acc + a * b
        #else
        return acc.addingProduct(a, b)
        #endif
    }
}
