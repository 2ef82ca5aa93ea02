/// fp8 E4M3 (OCP 8-bit floating point, "FN" variant): 1 sign, 4 exponent (bias 7), 3 mantissa bits.
///
/// Values: normals `(1 + m/8) · 2^(e-7)` for exponent fields e = 1...15 (except S.1111.111),
/// subnormals `m/8 · 2^-6` (e = 0), largest finite ±448 (S.1111.110), smallest subnormal 2^-9.
/// There is no infinity; S.1111.111 is NaN.
///
/// Conversion from `Float` (the *saturating* mode used for training storage): round to nearest,
/// ties to even; finite values beyond ±448 saturate to ±448; ±infinity and NaN become NaN (so an
/// overflow upstream stays visible instead of turning into a large finite number). Conversion to
/// `Float` is exact.
@frozen
public struct FP8E4M3: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var bitPattern: UInt8

    @inlinable public init(bitPattern: UInt8) { self.bitPattern = bitPattern }

    /// Rounds `value` to the nearest E4M3 (see the type's doc for saturation and NaN).
    @inlinable public init(_ value: Float) { bitPattern = FP8E4M3.round(value) }

    /// Largest finite magnitude, 448.
    public static let greatestFiniteMagnitude: Float = 448
    /// The canonical NaN (positive sign).
    public static let nanBits: UInt8 = 0x7F

    /// The exact `Float` value.
    @inlinable public var float: Float { FP8E4M3.table[Int(bitPattern)] }

    public var isNaN: Bool { bitPattern & 0x7F == 0x7F }
    public var description: String { float.description }

    /// All 256 values, indexed by bit pattern (decoded arithmetically, once).
    public static let table: [Float] = (0..<256).map { decode(UInt8($0)) }

    /// Bit pattern -> value by the format's definition (the slow, obviously-right decoder).
    public static func decode(_ bits: UInt8) -> Float {
        let sign: Float = bits & 0x80 != 0 ? -1 : 1
        let e = Int((bits >> 3) & 0xF), m = Float(bits & 0x7)
        if e == 15 && bits & 0x7 == 7 { return .nan }
        if e == 0 { return sign * m / 8 * 0x1p-6 }
        return sign * (1 + m / 8) * Float(sign: .plus, exponent: e - 7, significand: 1)
    }

    /// Float -> E4M3 bits: round to nearest even on the binary32 bit pattern.
    ///
    /// Normal range (|x| ≥ 2^-6): add just under half an E4M3 ulp (2^19 - 1 + lsb in the binary32
    /// mantissa) and keep the top 3 mantissa bits, then rebias the exponent by 127 - 7 = 120
    /// (that is `- 120 << 3` on exponent|mantissa); anything past 0x7E saturates.
    /// Subnormal range: `|x| · 2^9` rounded to the nearest even integer is the bit pattern
    /// (8 carries into the smallest normal, 0x08, as it should).
    @inlinable @inline(__always)
    public static func round(_ value: Float) -> UInt8 {
        let bits = value.bitPattern
        let sign = UInt8(truncatingIfNeeded: bits >> 24) & 0x80
        let mag = bits & 0x7FFF_FFFF
        if mag >= 0x7F80_0000 { return sign | nanBits }          // inf or NaN
        if mag < 0x3C80_0000 {                                      // < 2^-6: subnormal or zero
            let q = (Float(bitPattern: mag) * 512).rounded(.toNearestOrEven)
            return sign | UInt8(q)
        }
        let lsb = (mag >> 20) & 1
        let r = (mag &+ 0x7FFFF &+ lsb) >> 20                      // exponent(8) | mantissa(3)
        let e4m3 = r &- (120 << 3)
        return sign | UInt8(min(e4m3, 0x7E))
    }

    /// Power-of-two per-tensor scale for a tensor whose largest magnitude is `amax`: the largest
    /// `2^e` with `amax · 2^e ≤ 448` (e clamped to -100...100; 1 when amax is 0 or not finite).
    /// A power of two keeps `stored / scale` exact in bf16 and fp32.
    public static func scale(forAbsMax amax: Float) -> Float {
        guard amax > 0 && amax.isFinite else { return 1 }
        let e = Int((Double(greatestFiniteMagnitude) / Double(amax)).exponent)  // floor(log2)
        return Float(sign: .plus, exponent: max(-100, min(100, e)), significand: 1)
    }
}

extension Convert {
    /// Largest |source[i]| (NaN if any element is NaN, infinity if any is infinite).
    public static func absMax(_ source: UnsafePointer<Float>, count: Int) -> Float {
        // Magnitude bit patterns order like the magnitudes (NaNs above infinity), so an integer
        // max finds both the largest value and any NaN.
        var acc = SIMD16<UInt32>(repeating: 0)
        var i = 0
        let raw = UnsafeRawPointer(source)
        while i + 16 <= count {
            let v = raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<UInt32>.self) & 0x7FFF_FFFF
            let greater = SIMD16<UInt32>(truncatingIfNeeded: (SIMD16<Int32>(truncatingIfNeeded: acc) &- SIMD16<Int32>(truncatingIfNeeded: v)) &>> 31)
            acc = (acc & ~greater) | (v & greater)
            i += 16
        }
        var m = acc.max()
        while i < count { m = max(m, source[i].bitPattern & 0x7FFF_FFFF); i += 1 }
        return m > 0x7F80_0000 ? .nan : Float(bitPattern: m)
    }

    /// destination[i] = FP8E4M3(source[i] · scale) (round to nearest even, saturating; see
    /// `FP8E4M3`). Sixteen lanes at a time.
    public static func floatToFP8E4M3(
        _ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<FP8E4M3>, count: Int, scale: Float
    ) {
        let src = UnsafeRawPointer(source), dst = UnsafeMutableRawPointer(destination)
        let s = SIMD16<Float>(repeating: scale)
        var i = 0
        while i + 16 <= count {
            let v = src.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self) * s
            let bits = unsafeBitCast(v, to: SIMD16<UInt32>.self)
            let sign = (bits &>> 24) & 0x80
            let mag = bits & 0x7FFF_FFFF
            // clamped first so lanes outside the subnormal range convert in range
            // Lane masks by arithmetic shifts (a `replacing(with:where:)` select lowers to a
            // scalar loop): all ones where inf/NaN, and where below the normal range.
            let m = SIMD16<Int32>(truncatingIfNeeded: mag)
            let special = SIMD16<UInt32>(truncatingIfNeeded: (0x7F7F_FFFF &- m) &>> 31)
            let subnormal = SIMD16<UInt32>(truncatingIfNeeded: (m &- 0x3C80_0000) &>> 31)
            let finite = mag & ~special
            // subnormal lanes only (others 0): |x|·2^9 < 8 converts in range
            let small = unsafeBitCast(finite & subnormal, to: SIMD16<Float>.self)
            let sub = (small * 512).rounded(.toNearestOrEven)
            let subBits = SIMD16<UInt32>(truncatingIfNeeded: SIMD16<Int32>(sub))
            let r = (finite &+ 0x7FFFF &+ ((finite &>> 20) & 1)) &>> 20
            let rebiased = r &- (120 << 3)   // meaningful on normal lanes (8...1080), masked elsewhere
            let saturate = SIMD16<UInt32>(truncatingIfNeeded: (0x7E &- SIMD16<Int32>(truncatingIfNeeded: rebiased)) &>> 31)
            let normal = (rebiased & ~saturate) | (0x7E & saturate)
            var out = (normal & ~subnormal) | (subBits & subnormal)
            out = (out & ~special) | (0x7F & special)
            dst.storeBytes(of: SIMD16<UInt8>(truncatingIfNeeded: out | sign), toByteOffset: i,
                           as: SIMD16<UInt8>.self)
            i += 16
        }
        while i < count { destination[i] = FP8E4M3(source[i] * scale); i += 1 }
    }

    /// destination[i] = source[i].float / scale (exact when `scale` is a power of two).
    public static func fp8E4M3ToFloat(
        _ source: UnsafePointer<FP8E4M3>, _ destination: UnsafeMutablePointer<Float>, count: Int, scale: Float
    ) {
        let inv = 1 / scale
        FP8E4M3.table.withUnsafeBufferPointer { table in
            for i in 0..<count { destination[i] = table[Int(source[i].bitPattern)] * inv }
        }
    }

    /// destination[i] = BFloat16(source[i].float / scale): exact for a power-of-two `scale` (an
    /// E4M3 value has at most 4 significant bits), so an fp8 tensor is computed through the bf16
    /// kernels without further rounding.
    public static func fp8E4M3ToBFloat16(
        _ source: UnsafePointer<FP8E4M3>, _ destination: UnsafeMutablePointer<BFloat16>, count: Int, scale: Float
    ) {
        let inv = 1 / scale
        var lut = [UInt16](repeating: 0, count: 256)
        for b in 0..<256 { lut[b] = BFloat16(FP8E4M3.table[b] * inv).bitPattern }
        lut.withUnsafeBufferPointer { lut in
            let dst = UnsafeMutableRawPointer(destination).assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { dst[i] = lut[Int(source[i].bitPattern)] }
        }
    }
}
