import CComputeKernels

/// Whole-buffer precision conversions, vectorized 16 lanes at a time (zmm on AVX-512).
///
/// All take `count` elements from `source` to `destination` (no overlap). Rounding: to nearest,
/// ties to even, for Float -> BFloat16 (see `BFloat16.round`) and Float -> Float16 (IEEE, via the
/// F16C/AVX512-FP16 instructions when compiled for such a CPU); widening conversions are exact.
public enum Convert {
    /// destination[i] = BFloat16(source[i]).
    public static func floatToBFloat16(
        _ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<BFloat16>, count: Int
    ) {
        if count >= 64 && Kernels.tier >= .avx512 && cck_f32_to_bf16(source, UnsafeMutableRawPointer(destination).assumingMemoryBound(to: UInt16.self), count) != 0 {
            return
        }
        let src = UnsafeRawPointer(source), dst = UnsafeMutableRawPointer(destination)
        var i = 0
        while i + 16 <= count {
            let bits = src.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<UInt32>.self)
            // NaN lanes (|bits| > 0x7F800000) as an all-ones mask by an arithmetic shift of the
            // difference: a select written as `replacing(with:where:)` lowers to a scalar loop.
            let magnitude = SIMD16<Int32>(truncatingIfNeeded: bits & 0x7FFF_FFFF)
            let nanMask = SIMD16<UInt32>(truncatingIfNeeded: (0x7F80_0000 &- magnitude) &>> 31)
            let rounded = (bits &+ 0x7FFF &+ ((bits &>> 16) & 1)) &>> 16
            let quiet = (bits &>> 16) | 0x0040
            let out = SIMD16<UInt16>(truncatingIfNeeded: (rounded & ~nanMask) | (quiet & nanMask))
            dst.storeBytes(of: out, toByteOffset: 2 * i, as: SIMD16<UInt16>.self)
            i += 16
        }
        while i < count { destination[i] = BFloat16(source[i]); i += 1 }
    }

    /// destination[i] = source[i].float (exact).
    public static func bfloat16ToFloat(
        _ source: UnsafePointer<BFloat16>, _ destination: UnsafeMutablePointer<Float>, count: Int
    ) {
        let src = UnsafeRawPointer(source), dst = UnsafeMutableRawPointer(destination)
        var i = 0
        while i + 16 <= count {
            let h = src.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<UInt16>.self)
            let bits = SIMD16<UInt32>(truncatingIfNeeded: h) &<< 16
            dst.storeBytes(of: bits, toByteOffset: 4 * i, as: SIMD16<UInt32>.self)
            i += 16
        }
        while i < count { destination[i] = source[i].float; i += 1 }
    }

    /// destination[i] = Float16(source[i]) (IEEE round to nearest even; overflow to infinity).
    public static func floatToFloat16(
        _ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float16>, count: Int
    ) {
        if count >= 64 && Kernels.tier >= .avx512 && cck_f32_to_f16(source, UnsafeMutableRawPointer(destination).assumingMemoryBound(to: UInt16.self), count) != 0 {
            return
        }
        let src = UnsafeRawPointer(source), dst = UnsafeMutableRawPointer(destination)
        var i = 0
        while i + 16 <= count {
            let v = src.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            dst.storeBytes(of: SIMD16<Float16>(v), toByteOffset: 2 * i, as: SIMD16<Float16>.self)
            i += 16
        }
        while i < count { destination[i] = Float16(source[i]); i += 1 }
    }

    /// destination[i] = Float(source[i]) (exact).
    public static func float16ToFloat(
        _ source: UnsafePointer<Float16>, _ destination: UnsafeMutablePointer<Float>, count: Int
    ) {
        let src = UnsafeRawPointer(source), dst = UnsafeMutableRawPointer(destination)
        var i = 0
        while i + 16 <= count {
            let h = src.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<Float16>.self)
            dst.storeBytes(of: SIMD16<Float>(h), toByteOffset: 4 * i, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count { destination[i] = Float(source[i]); i += 1 }
    }
}
