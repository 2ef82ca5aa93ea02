/// A 6 × (2 vectors) fp32 micro-kernel generic over the vector type: 12 accumulators + 2 B
/// vectors + 1 broadcast = 15 of 16 registers (BLIS/OpenBLAS Haswell register blocking: 6×16 with
/// ymm; 6×8 with 4-lane vectors). Contract as `FP32MicroKernel.kernel`, with A read at
/// `a[p*kStride + i*rowStride]` (k-major panels: kStride = 6, rowStride = 1; row-major panels:
/// kStride = 1, rowStride = aRowStride).
public enum _MicroKernel6x2<V: _KernelVector> {
    public static var mr: Int { 6 }
    public static var nr: Int { 2 * V.scalarCount }

    @inlinable @inline(__always)
    public static func run(
        kc: Int, a: UnsafePointer<Float>, kStride: Int, rowStride: Int, b: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, accumulate: Bool,
        prefetch: UnsafePointer<UnsafeRawPointer>, prefetchEvery: Int
    ) {
        let w = V.scalarCount
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
        var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
        for r in 0..<6 { _prefetchForWrite(c + r * ldc) }
        let r1 = rowStride, r2 = 2 * rowStride, r3 = 3 * rowStride, r4 = 4 * rowStride, r5 = 5 * rowStride
        var pa = a, pb = b
        var done = 0, slot = 0
        while done < kc {
            _llvmPrefetch(prefetch[slot], 0, 2, 1)
            let chunk = min(prefetchEvery, kc - done)
            slot += 1
            done += chunk
            for _ in 0..<chunk {
                let b0 = V._load(pb), b1 = V._load(pb + w)
                var x = V(repeating: pa[0])
                c00 = V._multiplyAdd(c00, x, b0); c01 = V._multiplyAdd(c01, x, b1)
                x = V(repeating: pa[r1])
                c10 = V._multiplyAdd(c10, x, b0); c11 = V._multiplyAdd(c11, x, b1)
                x = V(repeating: pa[r2])
                c20 = V._multiplyAdd(c20, x, b0); c21 = V._multiplyAdd(c21, x, b1)
                x = V(repeating: pa[r3])
                c30 = V._multiplyAdd(c30, x, b0); c31 = V._multiplyAdd(c31, x, b1)
                x = V(repeating: pa[r4])
                c40 = V._multiplyAdd(c40, x, b0); c41 = V._multiplyAdd(c41, x, b1)
                x = V(repeating: pa[r5])
                c50 = V._multiplyAdd(c50, x, b0); c51 = V._multiplyAdd(c51, x, b1)
                pa += kStride
                pb += 2 * w
            }
        }
        let va = V(repeating: alpha)
        store(c + 0 * ldc, c00, c01, va, accumulate)
        store(c + 1 * ldc, c10, c11, va, accumulate)
        store(c + 2 * ldc, c20, c21, va, accumulate)
        store(c + 3 * ldc, c30, c31, va, accumulate)
        store(c + 4 * ldc, c40, c41, va, accumulate)
        store(c + 5 * ldc, c50, c51, va, accumulate)
    }

    /// One row of the tile: `alpha·t`, or `fma(alpha, t, C)` when accumulating.
    @inlinable @inline(__always)
    static func store(_ row: UnsafeMutablePointer<Float>, _ v0: V, _ v1: V, _ alpha: V, _ accumulate: Bool) {
        let w = V.scalarCount
        if accumulate {
            V._multiplyAdd(V._load(row), alpha, v0)._store(row)
            V._multiplyAdd(V._load(row + w), alpha, v1)._store(row + w)
        } else {
            (alpha * v0)._store(row)
            (alpha * v1)._store(row + w)
        }
    }
}

/// A tier whose fp32 micro-kernel is `_MicroKernel6x2<Vector>` (mr = 6, nr = 2 lanes of Vector):
/// the tier declares its vector and cache blocks, the kernels come from here.
public protocol _MicroKernel6x2Tier: FP32MicroKernel {
    associatedtype Vector: _KernelVector
}

extension _MicroKernel6x2Tier {
    @inlinable @inline(__always)
    public static func kernel(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                              c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, accumulate: Bool,
                              prefetch: UnsafePointer<UnsafeRawPointer>, prefetchEvery: Int) {
        _MicroKernel6x2<Vector>.run(
            kc: kc, a: a, kStride: 6, rowStride: 1, b: b, c: c, ldc: ldc, alpha: alpha,
            accumulate: accumulate, prefetch: prefetch, prefetchEvery: prefetchEvery)
    }

    @inlinable @inline(__always)
    public static func kernelRowA(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                  c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, accumulate: Bool,
                                  prefetch: UnsafePointer<UnsafeRawPointer>, prefetchEvery: Int) {
        _MicroKernel6x2<Vector>.run(
            kc: kc, a: a, kStride: 1, rowStride: aRowStride, b: b, c: c, ldc: ldc, alpha: alpha,
            accumulate: accumulate, prefetch: prefetch, prefetchEvery: prefetchEvery)
    }
}

extension TierKernels {
    /// The table of a 16-register tier: `_MicroKernel6x2Tier` GEMM and `_AttentionTiles6x2` tiles
    /// in the same vector type.
    @inlinable @inline(__always)
    public init<K: _MicroKernel6x2Tier>(tier: KernelTier, sixByTwo: K.Type) {
        self.init(
            tier: tier, microKernel: K.self,
            attentionScores: { _AttentionTiles6x2<K.Vector>.scores($0, lda: $1, $2, ldb: $3, $4, ldc: $5, m: $6, k: $7) },
            attentionAccumulate: {
                _AttentionTiles6x2<K.Vector>.accumulate($0, ars: $1, acs: $2, $3, ldb: $4, $5, ldc: $6,
                                                        m: $7, n: $8, cols: $9)
            })
    }
}
