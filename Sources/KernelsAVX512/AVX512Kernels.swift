import KernelCore

/// The AVX-512 tier (compiled with `-target-cpu skylake-avx512`): the 14×32 fp32 micro-kernel
/// and the 6×64 attention tiles, both in 32 zmm registers.
public enum AVX512Kernels {
    public static let table = TierKernels(
        tier: .avx512, microKernel: AVX512MicroKernel14x32.self,
        attentionScores: { tileScores($0, lda: $1, $2, ldb: $3, $4, ldc: $5, m: $6, k: $7) },
        attentionAccumulate: { tileAccumulate($0, ars: $1, acs: $2, $3, ldb: $4, $5, ldc: $6, m: $7, n: $8, cols: $9) })
}
