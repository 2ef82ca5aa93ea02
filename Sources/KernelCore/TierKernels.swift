/// One tier's kernels as a table of entry points (BLIS's context object): the blocked GEMM for
/// each input type over one thread's block of C, the attention tiles, and the sizes the callers
/// need (register tile for the thread partition, per-thread packing space). Built once by each
/// tier target (`AVX2Kernels.table`, ...) from its own specializations; `Compute.Kernels`
/// holds the active one.
public struct TierKernels: Sendable {
    /// `_blockedFP32` over rows × cols of C for one input type (see `BlockedFP32.swift`).
    public typealias Blocked<E: GEMMInput> = @Sendable (
        _ source: _Operands<E>, _ rows: Range<Int>, _ cols: Range<Int>, _ k: Int, _ alpha: Float,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool,
        _ packedA: UnsafeMutablePointer<Float>, _ packedB: UnsafeMutablePointer<Float>,
        _ tile: UnsafeMutablePointer<Float>) -> Void

    /// `C[i, 0..<64] = Σ_{p<k} A[i, p] · Bt[p, 0..<64]` for i < m (attention scores of a row block
    /// against 64 keys given transposed): a row i at `a + i*lda`, Bt row p at `bt + p*ldb`.
    public typealias Scores = @Sendable (
        _ a: UnsafePointer<Float>, _ lda: Int, _ bt: UnsafePointer<Float>, _ ldb: Int,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ m: Int, _ k: Int) -> Void

    /// `C[i, 0..<cols] += Σ_{j<n} A(i, j) · B[j, 0..<cols]` for i < m, `A(i, j) = a[i*ars + j*acs]`,
    /// `cols` a multiple of 16.
    public typealias Accumulate = @Sendable (
        _ a: UnsafePointer<Float>, _ ars: Int, _ acs: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ m: Int, _ n: Int, _ cols: Int) -> Void

    public let tier: KernelTier
    /// The fp32 micro-kernel's register tile (units of the static thread partition).
    public let mr: Int, nr: Int
    /// Per-thread packing space (floats) the blocked GEMM needs.
    public let packedAFloats: Int, packedBFloats: Int, tileFloats: Int
    public let gemmFloat: Blocked<Float>
    public let gemmBFloat16: Blocked<BFloat16>
    public let gemmFloat16: Blocked<Float16>
    public let attentionScores: Scores
    public let attentionAccumulate: Accumulate

    /// The table of a tier whose GEMM runs micro-kernel `K`. `@inline(__always)`, so the closures
    /// (and `_blockedFP32` specialized on `K`) are compiled in the calling tier target, with its
    /// instruction set.
    @inlinable @inline(__always)
    public init<K: FP32MicroKernel>(tier: KernelTier, microKernel: K.Type,
                                    attentionScores: @escaping Scores,
                                    attentionAccumulate: @escaping Accumulate) {
        self.tier = tier
        mr = K.mr; nr = K.nr
        packedAFloats = K.packedAFloats; packedBFloats = K.packedBFloats; tileFloats = K.tileFloats
        gemmFloat = { _blockedFP32(source: $0, rows: $1, cols: $2, k: $3, alpha: $4, c: $5, ldc: $6,
                                   accumulate: $7, packedA: $8, packedB: $9, tile: $10, kernel: K.self) }
        gemmBFloat16 = { _blockedFP32(source: $0, rows: $1, cols: $2, k: $3, alpha: $4, c: $5, ldc: $6,
                                      accumulate: $7, packedA: $8, packedB: $9, tile: $10, kernel: K.self) }
        gemmFloat16 = { _blockedFP32(source: $0, rows: $1, cols: $2, k: $3, alpha: $4, c: $5, ldc: $6,
                                     accumulate: $7, packedA: $8, packedB: $9, tile: $10, kernel: K.self) }
        self.attentionScores = attentionScores
        self.attentionAccumulate = attentionAccumulate
    }
}
