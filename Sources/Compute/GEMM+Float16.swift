extension GEMM {
    /// fp16 GEMM with fp32 accumulation and fp32 output: `C (+)= alpha · op(A) · op(B)`, A and B
    /// in IEEE binary16, C in fp32. Operands are widened (exactly) to fp32 while packing and run
    /// through the fp32 micro-kernel, so every product is exact and sums are fp32 FMA chains.
    /// Shapes, strides, `accumulate` and determinism as in the fp32 `multiply`.
    public static func multiply(
        transposeA: Transpose = .none, transposeB: Transpose = .none,
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float16>, lda: Int,
        b: UnsafePointer<Float16>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        accumulate: Bool = false, pool: ThreadPool = .default
    ) {
        _checkShapes(transposeA, transposeB, m, n, k, lda, ldb, ldc)
        if m == 0 || n == 0 { return }
        if k == 0 { _scaleOnly(m: m, n: n, c: c, ldc: ldc, accumulate: accumulate); return }
        let source = _Operands(a: a, lda: lda, transposeA: transposeA, b: b, ldb: ldb, transposeB: transposeB)
        let kernels = Kernels.active
        _runBlocked(kernels, kernels.gemmFloat16, source, m: m, n: n, k: k, alpha: alpha, c: c, ldc: ldc,
                    accumulate: accumulate, pool: pool)
    }
}
