/// The attention tiles (`TierKernels.Scores` / `.Accumulate`) for tiers with 16 vector registers,
/// generic over the vector type: column chunks of two vectors, 6 rows at a time (12 accumulators,
/// 2 B vectors, 1 broadcast), leftover rows one at a time. Every C element is the same FMA chain
/// over the contraction in the same order as the AVX-512 tier's 6×64 tiles, so with `SIMD8`
/// (AVX2) the results are bit-identical to that tier's.
public enum _AttentionTiles6x2<V: _KernelVector> {
    /// C[i, 0..<64] = Σ_{p<k} A[i, p] · Bt[p, 0..<64] for i < m.
    @inlinable @inline(__always)
    public static func scores(_ a: UnsafePointer<Float>, lda: Int, _ bt: UnsafePointer<Float>, ldb: Int,
                              _ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, k: Int) {
        let w = V.scalarCount
        var col = 0
        while col < 64 {
            var i = 0
            while i + 6 <= m {
                let a0 = a + i * lda
                var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
                var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
                var bp = bt + col
                for p in 0..<k {
                    let b0 = V._load(bp), b1 = V._load(bp + w)
                    var x = V(repeating: a0[p])
                    c00 = V._multiplyAdd(c00, x, b0); c01 = V._multiplyAdd(c01, x, b1)
                    x = V(repeating: a0[lda + p])
                    c10 = V._multiplyAdd(c10, x, b0); c11 = V._multiplyAdd(c11, x, b1)
                    x = V(repeating: a0[2 * lda + p])
                    c20 = V._multiplyAdd(c20, x, b0); c21 = V._multiplyAdd(c21, x, b1)
                    x = V(repeating: a0[3 * lda + p])
                    c30 = V._multiplyAdd(c30, x, b0); c31 = V._multiplyAdd(c31, x, b1)
                    x = V(repeating: a0[4 * lda + p])
                    c40 = V._multiplyAdd(c40, x, b0); c41 = V._multiplyAdd(c41, x, b1)
                    x = V(repeating: a0[5 * lda + p])
                    c50 = V._multiplyAdd(c50, x, b0); c51 = V._multiplyAdd(c51, x, b1)
                    bp += ldb
                }
                let r = c + i * ldc + col
                c00._store(r); c01._store(r + w)
                c10._store(r + ldc); c11._store(r + ldc + w)
                c20._store(r + 2 * ldc); c21._store(r + 2 * ldc + w)
                c30._store(r + 3 * ldc); c31._store(r + 3 * ldc + w)
                c40._store(r + 4 * ldc); c41._store(r + 4 * ldc + w)
                c50._store(r + 5 * ldc); c51._store(r + 5 * ldc + w)
                i += 6
            }
            while i < m {
                let a0 = a + i * lda
                var c00 = V(), c01 = V()
                var bp = bt + col
                for p in 0..<k {
                    let x = V(repeating: a0[p])
                    c00 = V._multiplyAdd(c00, x, V._load(bp)); c01 = V._multiplyAdd(c01, x, V._load(bp + w))
                    bp += ldb
                }
                let r = c + i * ldc + col
                c00._store(r); c01._store(r + w)
                i += 1
            }
            col += 2 * w
        }
    }

    /// C[i, 0..<cols] += Σ_{j<n} A(i, j) · B[j, 0..<cols] for i < m, A(i, j) = a[i*ars + j*acs].
    @inlinable @inline(__always)
    public static func accumulate(_ a: UnsafePointer<Float>, ars: Int, acs: Int, _ b: UnsafePointer<Float>,
                                  ldb: Int, _ c: UnsafeMutablePointer<Float>, ldc: Int,
                                  m: Int, n: Int, cols: Int) {
        let w = V.scalarCount
        var col = 0
        while col < cols {
            var i = 0
            while i + 6 <= m {
                let r = c + i * ldc + col
                var c00 = V._load(r), c01 = V._load(r + w)
                var c10 = V._load(r + ldc), c11 = V._load(r + ldc + w)
                var c20 = V._load(r + 2 * ldc), c21 = V._load(r + 2 * ldc + w)
                var c30 = V._load(r + 3 * ldc), c31 = V._load(r + 3 * ldc + w)
                var c40 = V._load(r + 4 * ldc), c41 = V._load(r + 4 * ldc + w)
                var c50 = V._load(r + 5 * ldc), c51 = V._load(r + 5 * ldc + w)
                var a0 = a + i * ars
                var bp = b + col
                for _ in 0..<n {
                    let b0 = V._load(bp), b1 = V._load(bp + w)
                    var x = V(repeating: a0[0])
                    c00 = V._multiplyAdd(c00, x, b0); c01 = V._multiplyAdd(c01, x, b1)
                    x = V(repeating: a0[ars])
                    c10 = V._multiplyAdd(c10, x, b0); c11 = V._multiplyAdd(c11, x, b1)
                    x = V(repeating: a0[2 * ars])
                    c20 = V._multiplyAdd(c20, x, b0); c21 = V._multiplyAdd(c21, x, b1)
                    x = V(repeating: a0[3 * ars])
                    c30 = V._multiplyAdd(c30, x, b0); c31 = V._multiplyAdd(c31, x, b1)
                    x = V(repeating: a0[4 * ars])
                    c40 = V._multiplyAdd(c40, x, b0); c41 = V._multiplyAdd(c41, x, b1)
                    x = V(repeating: a0[5 * ars])
                    c50 = V._multiplyAdd(c50, x, b0); c51 = V._multiplyAdd(c51, x, b1)
                    a0 += acs
                    bp += ldb
                }
                c00._store(r); c01._store(r + w)
                c10._store(r + ldc); c11._store(r + ldc + w)
                c20._store(r + 2 * ldc); c21._store(r + 2 * ldc + w)
                c30._store(r + 3 * ldc); c31._store(r + 3 * ldc + w)
                c40._store(r + 4 * ldc); c41._store(r + 4 * ldc + w)
                c50._store(r + 5 * ldc); c51._store(r + 5 * ldc + w)
                i += 6
            }
            while i < m {
                let r = c + i * ldc + col
                var c00 = V._load(r), c01 = V._load(r + w)
                var a0 = a + i * ars
                var bp = b + col
                for _ in 0..<n {
                    let x = V(repeating: a0[0])
                    c00 = V._multiplyAdd(c00, x, V._load(bp)); c01 = V._multiplyAdd(c01, x, V._load(bp + w))
                    a0 += acs
                    bp += ldb
                }
                c00._store(r); c01._store(r + w)
                i += 1
            }
            col += 2 * w
        }
    }
}
