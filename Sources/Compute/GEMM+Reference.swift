extension GEMM {
    /// Naive reference GEMM with Double accumulation, for tests: same contract as `multiply`
    /// (`C (+)= alpha · op(A) · op(B)`, row-major, leading dimensions), inputs fp32 or bf16.
    /// `C[i, j] = Float(alpha · Σ_p op(A)[i,p] op(B)[p,j] (+ C[i, j]))`, the sum in Double.
    public static func reference<E: GEMMInput>(
        transposeA: Transpose = .none, transposeB: Transpose = .none,
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<E>, lda: Int,
        b: UnsafePointer<E>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        accumulate: Bool = false
    ) {
        _checkShapes(transposeA, transposeB, m, n, k, lda, ldb, ldc)
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let x = transposeA == .none ? a[i * lda + p] : a[p * lda + i]
                    let y = transposeB == .none ? b[p * ldb + j] : b[j * ldb + p]
                    sum += Double(x._widened) * Double(y._widened)
                }
                let scaled = Double(alpha) * sum
                c[i * ldc + j] = Float(accumulate ? Double(c[i * ldc + j]) + scaled : scaled)
            }
        }
    }
}
