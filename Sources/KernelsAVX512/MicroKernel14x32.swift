import KernelCore

/// The AVX-512 tier's fp32 micro-kernel (BLIS `skx`-style): a 14×32 tile in 28 zmm accumulators.
public enum AVX512MicroKernel14x32: FP32MicroKernel {
    public static let mr = 14, nr = 32
    /// Cache blocks (elements), tuned on Sapphire Rapids (48 KB L1d, 2 MB L2 per core): a long k
    /// block (`kc` = 512) halves the C-tile traffic per FMA, and a short row block (`mc` = 70 =
    /// 5 panels, packed A 140 KB) stays in L2 next to the streaming B panels (64 KB each);
    /// `kc × nc` packed B (4 MB) is packed once per (column block, k block) per thread.
    public static let kc = 512, mc = 70, nc = 2048
    /// Row stride (floats) of row-major packed A panels: `kc` + 16 so the 14 rows of a panel fall
    /// in different L1 sets. A literal so the kernel's 14 broadcasts address `[a + i*2112]` with
    /// constant displacements.
    public static let aRowStride = 528

    /// Register-blocked 14x32 fp32 micro-kernel: `C[14x32] (+)= alpha * Ap * Bp`.
    ///
    /// - `a`: packed A micro-panel, `kc` steps of 14 floats (k-major: `a[p*14 + i] = A[i, p]`).
    /// - `b`: packed B micro-panel, `kc` steps of 32 floats (`b[p*32 + j] = B[p, j]`), 64-byte aligned.
    /// - `c`: row-major tile with row stride `ldc`; `accumulate` adds into it, otherwise overwrites.
    /// - `prefetch`: `ceil(kc / prefetchEvery)` addresses; one is prefetched into L2 before every
    ///   `prefetchEvery` k steps (the next A block's source, see `_NextBlockPrefetch`).
    /// 28 zmm accumulators + 2 B vectors + 1 broadcast keep every FMA port busy without spills.
    @inline(__always)
    public static func kernel(
        kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, accumulate: Bool,
        prefetch: UnsafePointer<UnsafeRawPointer>, prefetchEvery: Int
    ) {
        var c0_0 = SIMD16<Float>(), c0_1 = SIMD16<Float>()
        var c1_0 = SIMD16<Float>(), c1_1 = SIMD16<Float>()
        var c2_0 = SIMD16<Float>(), c2_1 = SIMD16<Float>()
        var c3_0 = SIMD16<Float>(), c3_1 = SIMD16<Float>()
        var c4_0 = SIMD16<Float>(), c4_1 = SIMD16<Float>()
        var c5_0 = SIMD16<Float>(), c5_1 = SIMD16<Float>()
        var c6_0 = SIMD16<Float>(), c6_1 = SIMD16<Float>()
        var c7_0 = SIMD16<Float>(), c7_1 = SIMD16<Float>()
        var c8_0 = SIMD16<Float>(), c8_1 = SIMD16<Float>()
        var c9_0 = SIMD16<Float>(), c9_1 = SIMD16<Float>()
        var c10_0 = SIMD16<Float>(), c10_1 = SIMD16<Float>()
        var c11_0 = SIMD16<Float>(), c11_1 = SIMD16<Float>()
        var c12_0 = SIMD16<Float>(), c12_1 = SIMD16<Float>()
        var c13_0 = SIMD16<Float>(), c13_1 = SIMD16<Float>()
        // Pull the C tile toward L1 while the k loop runs (rows ldc apart defeat the prefetcher).
        _prefetchForWrite(c + 0 * ldc); _prefetchForWrite(c + 0 * ldc + 16)
        _prefetchForWrite(c + 1 * ldc); _prefetchForWrite(c + 1 * ldc + 16)
        _prefetchForWrite(c + 2 * ldc); _prefetchForWrite(c + 2 * ldc + 16)
        _prefetchForWrite(c + 3 * ldc); _prefetchForWrite(c + 3 * ldc + 16)
        _prefetchForWrite(c + 4 * ldc); _prefetchForWrite(c + 4 * ldc + 16)
        _prefetchForWrite(c + 5 * ldc); _prefetchForWrite(c + 5 * ldc + 16)
        _prefetchForWrite(c + 6 * ldc); _prefetchForWrite(c + 6 * ldc + 16)
        _prefetchForWrite(c + 7 * ldc); _prefetchForWrite(c + 7 * ldc + 16)
        _prefetchForWrite(c + 8 * ldc); _prefetchForWrite(c + 8 * ldc + 16)
        _prefetchForWrite(c + 9 * ldc); _prefetchForWrite(c + 9 * ldc + 16)
        _prefetchForWrite(c + 10 * ldc); _prefetchForWrite(c + 10 * ldc + 16)
        _prefetchForWrite(c + 11 * ldc); _prefetchForWrite(c + 11 * ldc + 16)
        _prefetchForWrite(c + 12 * ldc); _prefetchForWrite(c + 12 * ldc + 16)
        _prefetchForWrite(c + 13 * ldc); _prefetchForWrite(c + 13 * ldc + 16)
        var pa = a
        var pb = UnsafeRawPointer(b)
        var done = 0, slot = 0
        while done < kc {
            _llvmPrefetch(prefetch[slot], 0, 2, 1)
            let chunk = min(prefetchEvery, kc - done)
            slot += 1
            done += chunk
            for _ in 0..<chunk {
                let b0 = pb.load(as: SIMD16<Float>.self)
                let b1 = pb.load(fromByteOffset: 64, as: SIMD16<Float>.self)
                let a0 = SIMD16<Float>(repeating: pa[0])
                c0_0 = c0_0.addingProduct(a0, b0)
                c0_1 = c0_1.addingProduct(a0, b1)
                let a1 = SIMD16<Float>(repeating: pa[1])
                c1_0 = c1_0.addingProduct(a1, b0)
                c1_1 = c1_1.addingProduct(a1, b1)
                let a2 = SIMD16<Float>(repeating: pa[2])
                c2_0 = c2_0.addingProduct(a2, b0)
                c2_1 = c2_1.addingProduct(a2, b1)
                let a3 = SIMD16<Float>(repeating: pa[3])
                c3_0 = c3_0.addingProduct(a3, b0)
                c3_1 = c3_1.addingProduct(a3, b1)
                let a4 = SIMD16<Float>(repeating: pa[4])
                c4_0 = c4_0.addingProduct(a4, b0)
                c4_1 = c4_1.addingProduct(a4, b1)
                let a5 = SIMD16<Float>(repeating: pa[5])
                c5_0 = c5_0.addingProduct(a5, b0)
                c5_1 = c5_1.addingProduct(a5, b1)
                let a6 = SIMD16<Float>(repeating: pa[6])
                c6_0 = c6_0.addingProduct(a6, b0)
                c6_1 = c6_1.addingProduct(a6, b1)
                let a7 = SIMD16<Float>(repeating: pa[7])
                c7_0 = c7_0.addingProduct(a7, b0)
                c7_1 = c7_1.addingProduct(a7, b1)
                let a8 = SIMD16<Float>(repeating: pa[8])
                c8_0 = c8_0.addingProduct(a8, b0)
                c8_1 = c8_1.addingProduct(a8, b1)
                let a9 = SIMD16<Float>(repeating: pa[9])
                c9_0 = c9_0.addingProduct(a9, b0)
                c9_1 = c9_1.addingProduct(a9, b1)
                let a10 = SIMD16<Float>(repeating: pa[10])
                c10_0 = c10_0.addingProduct(a10, b0)
                c10_1 = c10_1.addingProduct(a10, b1)
                let a11 = SIMD16<Float>(repeating: pa[11])
                c11_0 = c11_0.addingProduct(a11, b0)
                c11_1 = c11_1.addingProduct(a11, b1)
                let a12 = SIMD16<Float>(repeating: pa[12])
                c12_0 = c12_0.addingProduct(a12, b0)
                c12_1 = c12_1.addingProduct(a12, b1)
                let a13 = SIMD16<Float>(repeating: pa[13])
                c13_0 = c13_0.addingProduct(a13, b0)
                c13_1 = c13_1.addingProduct(a13, b1)
                pa += 14
                pb += 128
            }
        }
        let va = SIMD16<Float>(repeating: alpha)
        if accumulate {
            _storeRowAdd(c + 0 * ldc, c0_0, c0_1, va)
            _storeRowAdd(c + 1 * ldc, c1_0, c1_1, va)
            _storeRowAdd(c + 2 * ldc, c2_0, c2_1, va)
            _storeRowAdd(c + 3 * ldc, c3_0, c3_1, va)
            _storeRowAdd(c + 4 * ldc, c4_0, c4_1, va)
            _storeRowAdd(c + 5 * ldc, c5_0, c5_1, va)
            _storeRowAdd(c + 6 * ldc, c6_0, c6_1, va)
            _storeRowAdd(c + 7 * ldc, c7_0, c7_1, va)
            _storeRowAdd(c + 8 * ldc, c8_0, c8_1, va)
            _storeRowAdd(c + 9 * ldc, c9_0, c9_1, va)
            _storeRowAdd(c + 10 * ldc, c10_0, c10_1, va)
            _storeRowAdd(c + 11 * ldc, c11_0, c11_1, va)
            _storeRowAdd(c + 12 * ldc, c12_0, c12_1, va)
            _storeRowAdd(c + 13 * ldc, c13_0, c13_1, va)
        } else {
            _storeRow(c + 0 * ldc, c0_0, c0_1, va)
            _storeRow(c + 1 * ldc, c1_0, c1_1, va)
            _storeRow(c + 2 * ldc, c2_0, c2_1, va)
            _storeRow(c + 3 * ldc, c3_0, c3_1, va)
            _storeRow(c + 4 * ldc, c4_0, c4_1, va)
            _storeRow(c + 5 * ldc, c5_0, c5_1, va)
            _storeRow(c + 6 * ldc, c6_0, c6_1, va)
            _storeRow(c + 7 * ldc, c7_0, c7_1, va)
            _storeRow(c + 8 * ldc, c8_0, c8_1, va)
            _storeRow(c + 9 * ldc, c9_0, c9_1, va)
            _storeRow(c + 10 * ldc, c10_0, c10_1, va)
            _storeRow(c + 11 * ldc, c11_0, c11_1, va)
            _storeRow(c + 12 * ldc, c12_0, c12_1, va)
            _storeRow(c + 13 * ldc, c13_0, c13_1, va)
        }
    }

    /// Register-blocked 14x32 fp32 micro-kernel: `C[14x32] (+)= alpha * Ap * Bp`.
    ///
    /// - `a`: packed A micro-panel, row-major: `a[i*aRowStride + p] = A[i, p]` (14 rows of `kc`).
    /// - `b`: packed B micro-panel, `kc` steps of 32 floats (`b[p*32 + j] = B[p, j]`), 64-byte aligned.
    /// - `c`: row-major tile with row stride `ldc`; `accumulate` adds into it, otherwise overwrites.
    /// - `prefetch`: `ceil(kc / prefetchEvery)` addresses; one is prefetched into L2 before every
    ///   `prefetchEvery` k steps (the next A block's source, see `_NextBlockPrefetch`).
    /// 28 zmm accumulators + 2 B vectors + 1 broadcast keep every FMA port busy without spills.
    @inline(__always)
    public static func kernelRowA(
        kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, accumulate: Bool,
        prefetch: UnsafePointer<UnsafeRawPointer>, prefetchEvery: Int
    ) {
        var c0_0 = SIMD16<Float>(), c0_1 = SIMD16<Float>()
        var c1_0 = SIMD16<Float>(), c1_1 = SIMD16<Float>()
        var c2_0 = SIMD16<Float>(), c2_1 = SIMD16<Float>()
        var c3_0 = SIMD16<Float>(), c3_1 = SIMD16<Float>()
        var c4_0 = SIMD16<Float>(), c4_1 = SIMD16<Float>()
        var c5_0 = SIMD16<Float>(), c5_1 = SIMD16<Float>()
        var c6_0 = SIMD16<Float>(), c6_1 = SIMD16<Float>()
        var c7_0 = SIMD16<Float>(), c7_1 = SIMD16<Float>()
        var c8_0 = SIMD16<Float>(), c8_1 = SIMD16<Float>()
        var c9_0 = SIMD16<Float>(), c9_1 = SIMD16<Float>()
        var c10_0 = SIMD16<Float>(), c10_1 = SIMD16<Float>()
        var c11_0 = SIMD16<Float>(), c11_1 = SIMD16<Float>()
        var c12_0 = SIMD16<Float>(), c12_1 = SIMD16<Float>()
        var c13_0 = SIMD16<Float>(), c13_1 = SIMD16<Float>()
        // Pull the C tile toward L1 while the k loop runs (rows ldc apart defeat the prefetcher).
        _prefetchForWrite(c + 0 * ldc); _prefetchForWrite(c + 0 * ldc + 16)
        _prefetchForWrite(c + 1 * ldc); _prefetchForWrite(c + 1 * ldc + 16)
        _prefetchForWrite(c + 2 * ldc); _prefetchForWrite(c + 2 * ldc + 16)
        _prefetchForWrite(c + 3 * ldc); _prefetchForWrite(c + 3 * ldc + 16)
        _prefetchForWrite(c + 4 * ldc); _prefetchForWrite(c + 4 * ldc + 16)
        _prefetchForWrite(c + 5 * ldc); _prefetchForWrite(c + 5 * ldc + 16)
        _prefetchForWrite(c + 6 * ldc); _prefetchForWrite(c + 6 * ldc + 16)
        _prefetchForWrite(c + 7 * ldc); _prefetchForWrite(c + 7 * ldc + 16)
        _prefetchForWrite(c + 8 * ldc); _prefetchForWrite(c + 8 * ldc + 16)
        _prefetchForWrite(c + 9 * ldc); _prefetchForWrite(c + 9 * ldc + 16)
        _prefetchForWrite(c + 10 * ldc); _prefetchForWrite(c + 10 * ldc + 16)
        _prefetchForWrite(c + 11 * ldc); _prefetchForWrite(c + 11 * ldc + 16)
        _prefetchForWrite(c + 12 * ldc); _prefetchForWrite(c + 12 * ldc + 16)
        _prefetchForWrite(c + 13 * ldc); _prefetchForWrite(c + 13 * ldc + 16)
        var pa = a
        var pb = UnsafeRawPointer(b)
        var done = 0, slot = 0
        while done < kc {
            _llvmPrefetch(prefetch[slot], 0, 2, 1)
            let chunk = min(prefetchEvery, kc - done)
            slot += 1
            done += chunk
            for _ in 0..<chunk {
                let b0 = pb.load(as: SIMD16<Float>.self)
                let b1 = pb.load(fromByteOffset: 64, as: SIMD16<Float>.self)
                let a0 = SIMD16<Float>(repeating: pa[0 * aRowStride])
                c0_0 = c0_0.addingProduct(a0, b0)
                c0_1 = c0_1.addingProduct(a0, b1)
                let a1 = SIMD16<Float>(repeating: pa[1 * aRowStride])
                c1_0 = c1_0.addingProduct(a1, b0)
                c1_1 = c1_1.addingProduct(a1, b1)
                let a2 = SIMD16<Float>(repeating: pa[2 * aRowStride])
                c2_0 = c2_0.addingProduct(a2, b0)
                c2_1 = c2_1.addingProduct(a2, b1)
                let a3 = SIMD16<Float>(repeating: pa[3 * aRowStride])
                c3_0 = c3_0.addingProduct(a3, b0)
                c3_1 = c3_1.addingProduct(a3, b1)
                let a4 = SIMD16<Float>(repeating: pa[4 * aRowStride])
                c4_0 = c4_0.addingProduct(a4, b0)
                c4_1 = c4_1.addingProduct(a4, b1)
                let a5 = SIMD16<Float>(repeating: pa[5 * aRowStride])
                c5_0 = c5_0.addingProduct(a5, b0)
                c5_1 = c5_1.addingProduct(a5, b1)
                let a6 = SIMD16<Float>(repeating: pa[6 * aRowStride])
                c6_0 = c6_0.addingProduct(a6, b0)
                c6_1 = c6_1.addingProduct(a6, b1)
                let a7 = SIMD16<Float>(repeating: pa[7 * aRowStride])
                c7_0 = c7_0.addingProduct(a7, b0)
                c7_1 = c7_1.addingProduct(a7, b1)
                let a8 = SIMD16<Float>(repeating: pa[8 * aRowStride])
                c8_0 = c8_0.addingProduct(a8, b0)
                c8_1 = c8_1.addingProduct(a8, b1)
                let a9 = SIMD16<Float>(repeating: pa[9 * aRowStride])
                c9_0 = c9_0.addingProduct(a9, b0)
                c9_1 = c9_1.addingProduct(a9, b1)
                let a10 = SIMD16<Float>(repeating: pa[10 * aRowStride])
                c10_0 = c10_0.addingProduct(a10, b0)
                c10_1 = c10_1.addingProduct(a10, b1)
                let a11 = SIMD16<Float>(repeating: pa[11 * aRowStride])
                c11_0 = c11_0.addingProduct(a11, b0)
                c11_1 = c11_1.addingProduct(a11, b1)
                let a12 = SIMD16<Float>(repeating: pa[12 * aRowStride])
                c12_0 = c12_0.addingProduct(a12, b0)
                c12_1 = c12_1.addingProduct(a12, b1)
                let a13 = SIMD16<Float>(repeating: pa[13 * aRowStride])
                c13_0 = c13_0.addingProduct(a13, b0)
                c13_1 = c13_1.addingProduct(a13, b1)
                pa += 1
                pb += 128
            }
        }
        let va = SIMD16<Float>(repeating: alpha)
        if accumulate {
            _storeRowAdd(c + 0 * ldc, c0_0, c0_1, va)
            _storeRowAdd(c + 1 * ldc, c1_0, c1_1, va)
            _storeRowAdd(c + 2 * ldc, c2_0, c2_1, va)
            _storeRowAdd(c + 3 * ldc, c3_0, c3_1, va)
            _storeRowAdd(c + 4 * ldc, c4_0, c4_1, va)
            _storeRowAdd(c + 5 * ldc, c5_0, c5_1, va)
            _storeRowAdd(c + 6 * ldc, c6_0, c6_1, va)
            _storeRowAdd(c + 7 * ldc, c7_0, c7_1, va)
            _storeRowAdd(c + 8 * ldc, c8_0, c8_1, va)
            _storeRowAdd(c + 9 * ldc, c9_0, c9_1, va)
            _storeRowAdd(c + 10 * ldc, c10_0, c10_1, va)
            _storeRowAdd(c + 11 * ldc, c11_0, c11_1, va)
            _storeRowAdd(c + 12 * ldc, c12_0, c12_1, va)
            _storeRowAdd(c + 13 * ldc, c13_0, c13_1, va)
        } else {
            _storeRow(c + 0 * ldc, c0_0, c0_1, va)
            _storeRow(c + 1 * ldc, c1_0, c1_1, va)
            _storeRow(c + 2 * ldc, c2_0, c2_1, va)
            _storeRow(c + 3 * ldc, c3_0, c3_1, va)
            _storeRow(c + 4 * ldc, c4_0, c4_1, va)
            _storeRow(c + 5 * ldc, c5_0, c5_1, va)
            _storeRow(c + 6 * ldc, c6_0, c6_1, va)
            _storeRow(c + 7 * ldc, c7_0, c7_1, va)
            _storeRow(c + 8 * ldc, c8_0, c8_1, va)
            _storeRow(c + 9 * ldc, c9_0, c9_1, va)
            _storeRow(c + 10 * ldc, c10_0, c10_1, va)
            _storeRow(c + 11 * ldc, c11_0, c11_1, va)
            _storeRow(c + 12 * ldc, c12_0, c12_1, va)
            _storeRow(c + 13 * ldc, c13_0, c13_1, va)
        }
    }
}

@inline(__always)
func _storeRow(_ c: UnsafeMutablePointer<Float>, _ v0: SIMD16<Float>, _ v1: SIMD16<Float>,
               _ alpha: SIMD16<Float>) {
    let p = UnsafeMutableRawPointer(c)
    p.storeBytes(of: v0 * alpha, as: SIMD16<Float>.self)
    p.storeBytes(of: v1 * alpha, toByteOffset: 64, as: SIMD16<Float>.self)
}

@inline(__always)
func _storeRowAdd(_ c: UnsafeMutablePointer<Float>, _ v0: SIMD16<Float>, _ v1: SIMD16<Float>,
                  _ alpha: SIMD16<Float>) {
    let p = UnsafeMutableRawPointer(c)
    let o0 = p.loadUnaligned(as: SIMD16<Float>.self)
    let o1 = p.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
    p.storeBytes(of: o0.addingProduct(alpha, v0), as: SIMD16<Float>.self)
    p.storeBytes(of: o1.addingProduct(alpha, v1), toByteOffset: 64, as: SIMD16<Float>.self)
}
