/// Element types GEMM can read and widen to fp32 while packing.
public protocol GEMMInput: BitwiseCopyable {
    /// The exact fp32 value.
    var _widened: Float { get }
    /// 16 consecutive elements widened to fp32 (unaligned load).
    static func _load16(_ p: UnsafePointer<Self>) -> SIMD16<Float>
}

extension Float: GEMMInput {
    @inlinable @inline(__always) public var _widened: Float { self }
    @inlinable @inline(__always)
    public static func _load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }
}

extension Float16: GEMMInput {
    @inlinable @inline(__always) public var _widened: Float { Float(self) }
    @inlinable @inline(__always)
    public static func _load16(_ p: UnsafePointer<Float16>) -> SIMD16<Float> {
        SIMD16<Float>(UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float16>.self))
    }
}

extension BFloat16: GEMMInput {
    @inlinable @inline(__always) public var _widened: Float { float }
    @inlinable @inline(__always)
    public static func _load16(_ p: UnsafePointer<BFloat16>) -> SIMD16<Float> {
        let h = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<UInt16>.self)
        return unsafeBitCast(SIMD16<UInt32>(truncatingIfNeeded: h) &<< 16, to: SIMD16<Float>.self)
    }
}

/// The two operands of one GEMM call with their storage conventions (see `GEMM`).
@frozen
public struct _Operands<E: GEMMInput> {
    public let a: UnsafePointer<E>, lda: Int, transposeA: Transpose
    public let b: UnsafePointer<E>, ldb: Int, transposeB: Transpose

    @inlinable
    public init(a: UnsafePointer<E>, lda: Int, transposeA: Transpose,
                b: UnsafePointer<E>, ldb: Int, transposeB: Transpose) {
        self.a = a; self.lda = lda; self.transposeA = transposeA
        self.b = b; self.ldb = ldb; self.transposeB = transposeB
    }

    /// Packs rows `i0 ..< i0+rows` of op(A) = Aᵀ (A stored `k × m`) as k-major `mr`-row panels:
    /// panel q at `dst + q*mr*kc`, `dst[q*mr*kc + p*mr + r] = op(A)[i0 + q*mr + r, p0 + p]`,
    /// rows past `rows` zero.
    @inlinable @inline(__always)
    public func packABlock(i0: Int, rows: Int, p0: Int, kc: Int, mr: Int, dst: UnsafeMutablePointer<Float>) {
        precondition(transposeA == .transposed)
        // op(A)[i, p] = a[p*lda + i]: walk k outermost so each stored row of A is read as one
        // contiguous run of `rows` elements (a page per k step, not a page per k per panel).
        // Full panels whose 16-lane load stays inside the block are copied with one vector
        // load and one store; the store's mr..<16 spill lands in the slots of the following k
        // steps of the same panel, written later (so the last steps, whose spill would leave the
        // panel, use scalars).
        let panels = (rows + mr - 1) / mr
        // k steps of software prefetch: rows lda apart defeat the hardware prefetcher. Into L2,
        // not L1: with lda a multiple of 4 KB the 16 rows ahead share L1 sets (more than its 12
        // ways) and would evict each other (measured: +1.7% on TN 4096x256x1024, one thread).
        let ahead = 16
        for p in 0..<kc {
            let src = a + (p0 + p) * lda + i0
            if p + ahead < kc {
                let next = UnsafeRawPointer(src + ahead * lda)
                var byte = 0
                while byte < rows * MemoryLayout<E>.stride {
                    _llvmPrefetch(next + byte, 0, 2, 1)
                    byte += 64
                }
            }
            let vectorOK = mr <= 16 && p * mr + 16 <= kc * mr
            for q in 0..<panels {
                let out = dst + q * mr * kc + p * mr
                let lo = q * mr, n = min(mr, rows - lo)
                if vectorOK && lo + 16 <= rows {
                    UnsafeMutableRawPointer(out).storeBytes(of: E._load16(src + lo),
                                                            as: SIMD16<Float>.self)
                } else if vectorOK && mr == 14 && lo >= 2 && lo + 14 <= rows {
                    // The block's last full panel: load the 16 elements ending at its end and
                    // shift them down two lanes (one valignd), instead of 14 scalar copies.
                    let w = E._load16(src + lo - 2)
                    let v = SIMD16<Float>(w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9],
                                          w[10], w[11], w[12], w[13], w[14], w[15], 0, 0)
                    UnsafeMutableRawPointer(out).storeBytes(of: v, as: SIMD16<Float>.self)
                } else {
                    for r in 0..<n { out[r] = src[lo + r]._widened }
                    for r in n..<mr { out[r] = 0 }
                }
            }
        }
    }

    /// Packs rows `i0 ..< i0+rows` of A stored `m × k` (no transpose) as row-major `mr`-row panels:
    /// panel q at `dst + q*mr*stride`, `dst[q*mr*stride + r*stride + p] = A[i0 + q*mr + r, p0 + p]`;
    /// rows past `rows` are zero. A straight copy of contiguous row pieces (no transpose).
    @inlinable @inline(__always)
    public func packARowMajor(i0: Int, rows: Int, p0: Int, kc: Int, mr: Int, stride: Int,
                       dst: UnsafeMutablePointer<Float>) {
        let panels = (rows + mr - 1) / mr
        precondition(transposeA == .none)
        for r in 0..<panels * mr {
            let out = dst + r * stride
            if r >= rows { out.update(repeating: 0, count: kc); continue }
            let src = a + (i0 + r) * lda + p0
            var p = 0
            while p + 16 <= kc {
                UnsafeMutableRawPointer(out + p).storeBytes(of: E._load16(src + p), as: SIMD16<Float>.self)
                p += 16
            }
            while p < kc { out[p] = src[p]._widened; p += 1 }
        }
    }

    /// Packs columns `j0 ..< j0+cols` (cols ≤ nr) and k range `p0 ..< p0+kc` of op(B), widened
    /// to fp32, as `dst[p*nr + j] = op(B)[p0+p, j0+j]`; columns ≥ `cols` are zero. Full panels of
    /// a width that is a multiple of 16 (the AVX-512 tier's 32, the AVX2 tier's 16) are copied
    /// 16 lanes at a time.
    @inlinable @inline(__always)
    public func packB(j0: Int, cols: Int, p0: Int, kc: Int, nr: Int, dst: UnsafeMutablePointer<Float>) {
        let vectorPanel = cols == nr && nr % 16 == 0
        if transposeB == .none {
            // op(B)[p, j] = b[p*ldb + j]: contiguous nr-wide rows.
            if vectorPanel {
                let out = UnsafeMutableRawPointer(dst)
                for p in 0..<kc {
                    let src = b + (p0 + p) * ldb + j0
                    var j = 0
                    while j < nr {
                        out.storeBytes(of: E._load16(src + j), toByteOffset: (p * nr + j) * 4,
                                       as: SIMD16<Float>.self)
                        j += 16
                    }
                }
            } else {
                for p in 0..<kc {
                    let src = b + (p0 + p) * ldb + j0
                    let out = dst + p * nr
                    for j in 0..<cols { out[j] = src[j]._widened }
                    for j in cols..<nr { out[j] = 0 }
                }
            }
        } else if vectorPanel {
            // op(B)[p, j] = b[j*ldb + p]: 16-row slices, 16 k at a time, transposed in registers.
            let src = b + j0 * ldb + p0
            var p = 0
            while p + 16 <= kc {
                let out = UnsafeMutableRawPointer(dst + p * nr)
                var j = 0
                while j < nr {
                    _transposeBlock16(src + j * ldb + p, ld: ldb, rows: 16, out + 4 * j, stride: 4 * nr)
                    j += 16
                }
                p += 16
            }
            while p < kc {
                for j in 0..<nr { dst[p * nr + j] = src[j * ldb + p]._widened }
                p += 1
            }
        } else {
            // Partial panel: read each stored row contiguously, write with stride nr.
            for j in 0..<cols {
                let src = b + (j0 + j) * ldb + p0
                for p in 0..<kc { dst[p * nr + j] = src[p]._widened }
            }
            if cols < nr {
                for p in 0..<kc { for j in cols..<nr { dst[p * nr + j] = 0 } }
            }
        }
    }
}
