import CComputeKernels

/// Which inner kernel a bf16 GEMM uses. All give fp32 accumulation and fp32 output.
public enum BF16Kernel: Sendable, Hashable, CaseIterable {
    /// `dotProduct` when the active kernel tier is `avx512bf16` *and* the CPU runs `vdpbf16ps`
    /// faster than fp32 FMA (measured once per process by a ~0.1 ms calibration,
    /// `GEMM.bf16DotSpeedup` > 1.2), else `widening`. Some cores (e.g. Sapphire Rapids) issue
    /// `vdpbf16ps` at half the fp32 FLOP rate.
    case automatic
    /// `vdpbf16ps` (C micro-kernel, two bf16 products per fp32 lane per instruction). Note that the
    /// instruction flushes subnormal inputs/outputs to zero. Falls back to `portable` on a CPU or tier
    /// without AVX512_BF16.
    case dotProduct
    /// bf16 widened to fp32 while packing, then the fp32 SIMD16 micro-kernel (exact products).
    case widening
    /// The portable C micro-kernel on the same packed pairs as `dotProduct` (any CPU); slow,
    /// kept as the reference fallback and to test that path on CPUs that have the feature.
    case portable
}

extension GEMM {
    /// Whether this CPU executes `vdpbf16ps` (AVX512F + AVX512_BF16), detected at run time.
    public static let hasBF16DotProduct: Bool = cck_cpu_has_avx512bf16() != 0

    /// FLOP-rate ratio of `vdpbf16ps` over fp32 FMA measured once on this CPU (0 without
    /// AVX512_BF16): ~2 where the bf16 dot product runs at full rate.
    public static let bf16DotSpeedup: Double = cck_bf16_dot_speedup()

    /// The kernel `.automatic` resolves to on this CPU under the active kernel tier.
    public static var automaticBF16Kernel: BF16Kernel {
        dotProductEnabled && bf16DotSpeedup > 1.2 ? .dotProduct : .widening
    }

    /// Whether `vdpbf16ps` may run: the CPU has it and the active tier is `avx512bf16`.
    static var dotProductEnabled: Bool { hasBF16DotProduct && Kernels.tier >= .avx512bf16 }

    /// bf16 GEMM with fp32 accumulation and fp32 output: `C (+)= alpha · op(A) · op(B)`, A and B
    /// in bf16, C in fp32. Shapes, strides and `accumulate` as in the fp32 `multiply`.
    /// Deterministic across thread counts for a given `kernel`.
    public static func multiply(
        transposeA: Transpose = .none, transposeB: Transpose = .none,
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<BFloat16>, lda: Int,
        b: UnsafePointer<BFloat16>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        accumulate: Bool = false, kernel: BF16Kernel = .automatic, pool: ThreadPool = .default
    ) {
        _checkShapes(transposeA, transposeB, m, n, k, lda, ldb, ldc)
        if m == 0 || n == 0 { return }
        if k == 0 { _scaleOnly(m: m, n: n, c: c, ldc: ldc, accumulate: accumulate); return }
        let source = _Operands(a: a, lda: lda, transposeA: transposeA,
                               b: b, ldb: ldb, transposeB: transposeB)
        var resolved = kernel == .automatic ? automaticBF16Kernel : kernel
        if resolved == .dotProduct && !dotProductEnabled { resolved = .portable }
        if resolved == .widening {
            let kernels = Kernels.active
            _runBlocked(kernels, kernels.gemmBFloat16, source, m: m, n: n, k: k, alpha: alpha, c: c,
                        ldc: ldc, accumulate: accumulate, pool: pool)
            return
        }
        let useAVX = resolved == .dotProduct
        let plan = _Partition(m: m, n: n, k: k, threads: pool.threadCount,
                              mr: _BF16GEMM.mr, nr: _BF16GEMM.nr)
        pool.parallelFor(plan.parts) { part in
            let (rows, cols) = plan.ranges(part)
            if rows.isEmpty || cols.isEmpty { return }
            let ws = _GEMMWorkspace.current
            let pa = UnsafeMutableRawPointer(ws.packedA.pointer).assumingMemoryBound(to: UInt32.self)
            let pb = UnsafeMutableRawPointer(ws.packedB.pointer).assumingMemoryBound(to: UInt32.self)
            _BF16GEMM.blocked(source: source, rows: rows, cols: cols, k: k, alpha: alpha,
                              c: c, ldc: ldc, accumulate: accumulate, useAVX: useAVX,
                              packedA: pa, packedB: pb, tile: ws.tile.pointer)
        }
    }
}

/// Blocking and packing of the pair-interleaved bf16 path (`vdpbf16ps` and its portable twin).
enum _BF16GEMM {
    /// Register tile (from the C header), k block (bf16 elements, even), row and column blocks.
    /// `kc × nr` bf16 of packed B = 32 KB stays in L1d.
    static let mr = Int(CCK_BF16_MR), nr = Int(CCK_BF16_NR), kc = 512, mc = 14 * 20, nc = 4096

    @inline(__always)
    static func kernel(_ useAVX: Bool, _ kc2: Int, _ a: UnsafePointer<UInt32>,
                       _ b: UnsafePointer<UInt32>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
                       _ alpha: Float, _ accumulate: Bool) {
        let a16 = UnsafeRawPointer(a).assumingMemoryBound(to: UInt16.self)
        let b16 = UnsafeRawPointer(b).assumingMemoryBound(to: UInt16.self)
        if useAVX {
            cck_bf16_kernel_avx512(kc2, a16, b16, c, ldc, alpha, accumulate ? 1 : 0)
        } else {
            cck_bf16_kernel_portable(kc2, a16, b16, c, ldc, alpha, accumulate ? 1 : 0)
        }
    }

    static func blocked(
        source s: _Operands<BFloat16>, rows: Range<Int>, cols: Range<Int>, k: Int, alpha: Float,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, useAVX: Bool,
        packedA: UnsafeMutablePointer<UInt32>, packedB: UnsafeMutablePointer<UInt32>,
        tile: UnsafeMutablePointer<Float>
    ) {
        var jc = cols.lowerBound
        while jc < cols.upperBound {
            let ncur = min(nc, cols.upperBound - jc)
            var pc = 0
            while pc < k {
                let kcur = min(kc, k - pc), kc2 = (kcur + 1) / 2
                let acc = accumulate || pc > 0
                packBlock(s, isA: false, start: jc, count: ncur, p0: pc, kc: kcur, useAVX: useAVX,
                          dst: packedB)
                var ic = rows.lowerBound
                while ic < rows.upperBound {
                    let mcur = min(mc, rows.upperBound - ic)
                    packBlock(s, isA: true, start: ic, count: mcur, p0: pc, kc: kcur, useAVX: useAVX,
                              dst: packedA)
                    var jp = 0
                    while jp < ncur {
                        let nrEff = min(nr, ncur - jp)
                        var ip = 0
                        while ip < mcur {
                            let mrEff = min(mr, mcur - ip)
                            let cp = c + (ic + ip) * ldc + jc + jp
                            if mrEff == mr && nrEff == nr {
                                kernel(useAVX, kc2, packedA + ip * kc2, packedB + jp * kc2, cp, ldc,
                                       alpha, acc)
                            } else {
                                kernel(useAVX, kc2, packedA + ip * kc2, packedB + jp * kc2, tile, nr,
                                       1, false)
                                for r in 0..<mrEff {
                                    let src = tile + r * nr, dst = cp + r * ldc
                                    for j in 0..<nrEff {
                                        dst[j] = acc ? dst[j] + alpha * src[j] : alpha * src[j]
                                    }
                                }
                            }
                            ip += mr
                        }
                        jp += nr
                    }
                    ic += mcur
                }
                pc += kcur
            }
            jc += ncur
        }
    }

    /// A block's panels of op(A) (`isA`: rows `start..<start+count`, width `mr`) or of op(B)
    /// (columns, width `nr`), panel t at `dst + t * width * ceil(kc/2)`, as the kernel reads them.
    @inline(__always)
    static func packBlock(_ s: _Operands<BFloat16>, isA: Bool, start: Int, count: Int, p0: Int, kc: Int,
                          useAVX: Bool, dst: UnsafeMutablePointer<UInt32>) {
        if useAVX {
            if isA {
                packPanelsAVX512(s.a, ld: s.lda, kMajor: s.transposeA == .transposed, start: start,
                                 count: count, p0: p0, kc: kc, width: mr, dst: dst)
            } else {
                packPanelsAVX512(s.b, ld: s.ldb, kMajor: s.transposeB == .none, start: start,
                                 count: count, p0: p0, kc: kc, width: nr, dst: dst)
            }
            return
        }
        let width = isA ? mr : nr, kc2 = (kc + 1) / 2
        var t = 0
        while t < count {
            let live = min(width, count - t)
            if isA {
                packA(s, i0: start + t, rows: live, p0: p0, kc: kc, dst: dst + t * kc2)
            } else {
                packB(s, j0: start + t, cols: live, p0: p0, kc: kc, dst: dst + t * kc2)
            }
            t += width
        }
    }

    /// A block's panels as `packA` (width `mr`, rows `start..<start+count` of op(A)) or `packB`
    /// (width `nr`, columns of op(B)) lay them out, panel t at `dst + t * width * ceil(kc/2)`, by
    /// the AVX-512 packers of `CComputeKernels` (16 x 16 register transposes, masked 16-lane
    /// interleaves): the `vdpbf16ps` path only, whose tier guarantees AVX-512 F/BW/VL. `kMajor`:
    /// k runs down the stored matrix's rows (A^T, B), else along them (A, B^T). The Swift packers
    /// below, compiled for the package's baseline, are the portable path.
    @inline(__always)
    static func packPanelsAVX512(_ x: UnsafePointer<BFloat16>, ld: Int, kMajor: Bool, start: Int,
                                 count: Int, p0: Int, kc: Int, width: Int,
                                 dst: UnsafeMutablePointer<UInt32>) {
        let src = UnsafeRawPointer(x).assumingMemoryBound(to: UInt16.self)
        if kMajor {
            // one pass over the row pairs for all panels (per-panel passes read strided lines)
            cck_bf16_pack_pair_panels(src + p0 * ld + start, ld, kc, count, width, dst)
            return
        }
        var t = 0
        while t < count {
            cck_bf16_pack_rows(src + (start + t) * ld + p0, ld, kc, min(width, count - t), width,
                               dst + t * ((kc + 1) / 2))
            t += width
        }
    }

    /// `dst[p*mr + i]` = the pair (op(A)[i0+i, p0+2p], op(A)[i0+i, p0+2p+1]) as one UInt32 (low
    /// half first); zero past `rows` or `kc`.
    @inline(__always)
    static func packA(_ s: _Operands<BFloat16>, i0: Int, rows: Int, p0: Int, kc: Int,
                      dst: UnsafeMutablePointer<UInt32>) {
        let pairs = kc / 2, kc2 = (kc + 1) / 2
        let raw = UnsafeRawPointer(s.a)
        if s.transposeA == .none && rows == mr && mr <= 16 && s.lda % 2 == 0 && (i0 * s.lda + p0) % 2 == 0 {
            // Rows are runs of k-pairs (4-byte units): 16 pairs of the mr rows at a time are one
            // 16×16 transpose of 32-bit lanes; each pair step's mr lanes is one (overlapping,
            // in-order) 16-lane store, its spill overwritten by the next step or landing in slack.
            let src = (raw + 2 * (i0 * s.lda + p0)).assumingMemoryBound(to: Float.self)
            var p = 0
            while p + 16 <= pairs {
                _transposeBlock16(src + p, ld: s.lda / 2, rows: mr,
                                  UnsafeMutableRawPointer(dst + p * mr), stride: 4 * mr)
                p += 16
            }
            for r in 0..<mr {
                let rowOffset = ((i0 + r) * s.lda + p0) * 2
                for q in p..<pairs {
                    dst[q * mr + r] = raw.loadUnaligned(fromByteOffset: rowOffset + 4 * q, as: UInt32.self)
                }
                if kc2 > pairs {
                    dst[pairs * mr + r] = UInt32(s.a[(i0 + r) * s.lda + p0 + kc - 1].bitPattern)
                }
            }
            return
        } else if s.transposeA == .none {
            for r in 0..<rows {
                let rowOffset = ((i0 + r) * s.lda + p0) * 2
                for p in 0..<pairs {
                    dst[p * mr + r] = raw.loadUnaligned(fromByteOffset: rowOffset + 4 * p, as: UInt32.self)
                }
                if kc2 > pairs {
                    dst[pairs * mr + r] = UInt32(s.a[(i0 + r) * s.lda + p0 + kc - 1].bitPattern)
                }
            }
        } else {
            for p in 0..<kc2 {
                let row0 = s.a + (p0 + 2 * p) * s.lda + i0
                let hasHigh = 2 * p + 1 < kc
                let out = dst + p * mr
                for r in 0..<rows {
                    let hi = hasHigh ? UInt32(row0[s.lda + r].bitPattern) << 16 : 0
                    out[r] = UInt32(row0[r].bitPattern) | hi
                }
            }
        }
        if rows < mr {
            for p in 0..<kc2 { for r in rows..<mr { dst[p * mr + r] = 0 } }
        }
    }

    /// `dst[p*nr + j]` = the pair (op(B)[p0+2p, j0+j], op(B)[p0+2p+1, j0+j]) as one UInt32; zero
    /// past `cols` or `kc`.
    @inline(__always)
    static func packB(_ s: _Operands<BFloat16>, j0: Int, cols: Int, p0: Int, kc: Int,
                      dst: UnsafeMutablePointer<UInt32>) {
        let pairs = kc / 2, kc2 = (kc + 1) / 2
        if s.transposeB == .none {
            for p in 0..<kc2 {
                let row0 = s.b + (p0 + 2 * p) * s.ldb + j0
                let hasHigh = 2 * p + 1 < kc
                let out = dst + p * nr
                if cols == 32 && hasHigh {
                    let r0 = UnsafeRawPointer(row0), r1 = UnsafeRawPointer(row0 + s.ldb)
                    let o = UnsafeMutableRawPointer(out)
                    for half in 0..<2 {
                        let lo = SIMD16<UInt32>(truncatingIfNeeded:
                            r0.loadUnaligned(fromByteOffset: 32 * half, as: SIMD16<UInt16>.self))
                        let hi = SIMD16<UInt32>(truncatingIfNeeded:
                            r1.loadUnaligned(fromByteOffset: 32 * half, as: SIMD16<UInt16>.self))
                        o.storeBytes(of: lo | (hi &<< 16), toByteOffset: 64 * half,
                                     as: SIMD16<UInt32>.self)
                    }
                } else {
                    for j in 0..<cols {
                        let hi = hasHigh ? UInt32(row0[s.ldb + j].bitPattern) << 16 : 0
                        out[j] = UInt32(row0[j].bitPattern) | hi
                    }
                    for j in cols..<nr { out[j] = 0 }
                }
            }
        } else {
            let raw = UnsafeRawPointer(s.b)
            for j in 0..<cols {
                let rowOffset = ((j0 + j) * s.ldb + p0) * 2
                for p in 0..<pairs {
                    dst[p * nr + j] = raw.loadUnaligned(fromByteOffset: rowOffset + 4 * p, as: UInt32.self)
                }
                if kc2 > pairs {
                    dst[pairs * nr + j] = UInt32(s.b[(j0 + j) * s.ldb + p0 + kc - 1].bitPattern)
                }
            }
            if cols < nr {
                for p in 0..<kc2 { for j in cols..<nr { dst[p * nr + j] = 0 } }
            }
        }
    }
}
