/// In-register 16x16 transpose: on return `r_j[i]` holds the input `r_i[j]`.
///
/// Four rounds of "perfect unshuffle": pairs (r_2i, r_2i+1) concatenated, even lanes to row i,
/// odd lanes to row i+8. Each round rotates one bit from the column index into the row index, so
/// after log2(16) rounds rows and columns are swapped. LLVM lowers each half to one `vpermt2ps`
/// (64 shuffles for 256 elements).
@inlinable @inline(__always)
public func _transpose16x16(
    _ r0: inout SIMD16<Float>,
    _ r1: inout SIMD16<Float>,
    _ r2: inout SIMD16<Float>,
    _ r3: inout SIMD16<Float>,
    _ r4: inout SIMD16<Float>,
    _ r5: inout SIMD16<Float>,
    _ r6: inout SIMD16<Float>,
    _ r7: inout SIMD16<Float>,
    _ r8: inout SIMD16<Float>,
    _ r9: inout SIMD16<Float>,
    _ r10: inout SIMD16<Float>,
    _ r11: inout SIMD16<Float>,
    _ r12: inout SIMD16<Float>,
    _ r13: inout SIMD16<Float>,
    _ r14: inout SIMD16<Float>,
    _ r15: inout SIMD16<Float>
) {
    for _ in 0..<4 {
        let c0 = SIMD32<Float>(lowHalf: r0, highHalf: r1)
        let c1 = SIMD32<Float>(lowHalf: r2, highHalf: r3)
        let c2 = SIMD32<Float>(lowHalf: r4, highHalf: r5)
        let c3 = SIMD32<Float>(lowHalf: r6, highHalf: r7)
        let c4 = SIMD32<Float>(lowHalf: r8, highHalf: r9)
        let c5 = SIMD32<Float>(lowHalf: r10, highHalf: r11)
        let c6 = SIMD32<Float>(lowHalf: r12, highHalf: r13)
        let c7 = SIMD32<Float>(lowHalf: r14, highHalf: r15)
        r0 = c0.evenHalf
        r1 = c1.evenHalf
        r2 = c2.evenHalf
        r3 = c3.evenHalf
        r4 = c4.evenHalf
        r5 = c5.evenHalf
        r6 = c6.evenHalf
        r7 = c7.evenHalf
        r8 = c0.oddHalf
        r9 = c1.oddHalf
        r10 = c2.oddHalf
        r11 = c3.oddHalf
        r12 = c4.oddHalf
        r13 = c5.oddHalf
        r14 = c6.oddHalf
        r15 = c7.oddHalf
    }
}

/// Transposes a 16 (rows) x 16 (k) block read from `src` (row stride `ld` elements; rows at or
/// beyond `rows` read as zero) and stores output row q (= the 16 input rows at k offset q) as 16
/// floats at `dst + q * stride` bytes, q = 0...15 in increasing order. With `stride` < 64 the
/// stores overlap and each one's extra lanes are overwritten by the next (the last one writes
/// 64 - stride bytes past row 15: callers keep slack there).
@inlinable @inline(__always)
public func _transposeBlock16<E: GEMMInput>(_ src: UnsafePointer<E>, ld: Int, rows: Int,
                                     _ dst: UnsafeMutableRawPointer, stride: Int) {
    var r0 = 0 < rows ? E._load16(src + 0 * ld) : SIMD16<Float>()
    var r1 = 1 < rows ? E._load16(src + 1 * ld) : SIMD16<Float>()
    var r2 = 2 < rows ? E._load16(src + 2 * ld) : SIMD16<Float>()
    var r3 = 3 < rows ? E._load16(src + 3 * ld) : SIMD16<Float>()
    var r4 = 4 < rows ? E._load16(src + 4 * ld) : SIMD16<Float>()
    var r5 = 5 < rows ? E._load16(src + 5 * ld) : SIMD16<Float>()
    var r6 = 6 < rows ? E._load16(src + 6 * ld) : SIMD16<Float>()
    var r7 = 7 < rows ? E._load16(src + 7 * ld) : SIMD16<Float>()
    var r8 = 8 < rows ? E._load16(src + 8 * ld) : SIMD16<Float>()
    var r9 = 9 < rows ? E._load16(src + 9 * ld) : SIMD16<Float>()
    var r10 = 10 < rows ? E._load16(src + 10 * ld) : SIMD16<Float>()
    var r11 = 11 < rows ? E._load16(src + 11 * ld) : SIMD16<Float>()
    var r12 = 12 < rows ? E._load16(src + 12 * ld) : SIMD16<Float>()
    var r13 = 13 < rows ? E._load16(src + 13 * ld) : SIMD16<Float>()
    var r14 = 14 < rows ? E._load16(src + 14 * ld) : SIMD16<Float>()
    var r15 = 15 < rows ? E._load16(src + 15 * ld) : SIMD16<Float>()
    _transpose16x16(&r0, &r1, &r2, &r3, &r4, &r5, &r6, &r7, &r8, &r9, &r10, &r11, &r12, &r13, &r14, &r15)
    dst.storeBytes(of: r0, toByteOffset: 0 * stride, as: SIMD16<Float>.self)
    dst.storeBytes(of: r1, toByteOffset: 1 * stride, as: SIMD16<Float>.self)
    dst.storeBytes(of: r2, toByteOffset: 2 * stride, as: SIMD16<Float>.self)
    dst.storeBytes(of: r3, toByteOffset: 3 * stride, as: SIMD16<Float>.self)
    dst.storeBytes(of: r4, toByteOffset: 4 * stride, as: SIMD16<Float>.self)
    dst.storeBytes(of: r5, toByteOffset: 5 * stride, as: SIMD16<Float>.self)
    dst.storeBytes(of: r6, toByteOffset: 6 * stride, as: SIMD16<Float>.self)
    dst.storeBytes(of: r7, toByteOffset: 7 * stride, as: SIMD16<Float>.self)
    dst.storeBytes(of: r8, toByteOffset: 8 * stride, as: SIMD16<Float>.self)
    dst.storeBytes(of: r9, toByteOffset: 9 * stride, as: SIMD16<Float>.self)
    dst.storeBytes(of: r10, toByteOffset: 10 * stride, as: SIMD16<Float>.self)
    dst.storeBytes(of: r11, toByteOffset: 11 * stride, as: SIMD16<Float>.self)
    dst.storeBytes(of: r12, toByteOffset: 12 * stride, as: SIMD16<Float>.self)
    dst.storeBytes(of: r13, toByteOffset: 13 * stride, as: SIMD16<Float>.self)
    dst.storeBytes(of: r14, toByteOffset: 14 * stride, as: SIMD16<Float>.self)
    dst.storeBytes(of: r15, toByteOffset: 15 * stride, as: SIMD16<Float>.self)
}
