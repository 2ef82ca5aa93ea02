import KernelCore

/// The AVX2 + FMA tier (compiled with `-target-cpu haswell`): register blocking for 16 ymm
/// registers, 6×16 fp32 micro-kernel (12 accumulators) and 6×16 attention tiles.
public enum AVX2Kernels {
    public static let table = TierKernels(tier: .avx2, sixByTwo: AVX2MicroKernel6x16.self)
}

/// 6×16 fp32 micro-kernel in ymm registers (the BLIS/OpenBLAS Haswell blocking). Cache blocks:
/// the kc × 16 B micro-panel (24 KB at kc = 384) stays in a 32 KB L1d while the 6-row A panels
/// stream past it; the mc × kc A block (96 rows, 154 KB) stays in L2 (512 KB on Zen 3, 1 MB on
/// Zen 4). kc = 384 measured ahead of 256 and 192 (and mc = 96 of 72, 144, 288) on Zen 4, one
/// thread, by a few % within a noisy machine's spread.
public enum AVX2MicroKernel6x16: _MicroKernel6x2Tier {
    public typealias Vector = SIMD8<Float>
    public static let mr = 6, nr = 16, kc = 384, mc = 96, nc = 2048
    /// `kc` + 16 floats: the 6 rows of a row-major A panel fall in different L1 sets.
    public static let aRowStride = 400
}
