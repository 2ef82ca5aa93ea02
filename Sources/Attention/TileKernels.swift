import Compute

// The register-blocked products shared by the flash and the naive fp32 kernels, from the active
// kernel tier (`Kernels.active`: 6×64 zmm tiles on AVX-512, 6×16 ymm tiles on AVX2). Every C
// element is the same FMA chain in every tier with FMA, so AVX-512 and AVX2 agree bit for bit.

/// C[i, 0..<64] = sum_{p < k} A[i, p] * Bt[p, 0..<64] for i < m: a row block of scores against a
/// 64-column block of keys given transposed.
///
/// - a: row i at `a + i * lda`, k floats read.
/// - bt: row p at `bt + p * ldb`, 64 floats read.
/// - c: row i at `c + i * ldc`, 64 floats written.
@inline(__always)
func tileScores(_ a: UnsafePointer<Float>, lda: Int, _ bt: UnsafePointer<Float>, ldb: Int,
                _ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, k: Int) {
    Kernels.active.attentionScores(a, lda, bt, ldb, c, ldc, m, k)
}

/// C[i, 0..<cols] += sum_{j < n} A(i, j) * B[j, 0..<cols] for i < m, where A(i, j) = a[i * ars + j * acs]
/// (so A may be read transposed) and `cols` is a multiple of 16.
///
/// - b: row j at `b + j * ldb`, `cols` floats read.
/// - c: row i at `c + i * ldc`, `cols` floats read and written.
@inline(__always)
func tileAccumulate(_ a: UnsafePointer<Float>, ars: Int, acs: Int, _ b: UnsafePointer<Float>, ldb: Int,
                    _ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, n: Int, cols: Int) {
    Kernels.active.attentionAccumulate(a, ars, acs, b, ldb, c, ldc, m, n, cols)
}
