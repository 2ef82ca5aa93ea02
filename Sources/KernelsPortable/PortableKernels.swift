import KernelCore

/// The portable tier (compiled for the architecture's base: SSE2 on x86-64, NEON on arm64):
/// 6×8 fp32 micro-kernel and 6×8 attention tiles in 4-lane vectors (12 accumulators, fits 16
/// registers). On x86-64 its multiply-adds are unfused (see `SIMD4._multiplyAdd`).
public enum PortableKernels {
    public static let table = TierKernels(tier: .portable, sixByTwo: PortableMicroKernel6x8.self)
}

/// 6×8 fp32 micro-kernel in 4-lane vectors; cache blocks as the AVX2 tier's (B micro-panel
/// 8 KB in L1d, A block in L2).
public enum PortableMicroKernel6x8: _MicroKernel6x2Tier {
    public typealias Vector = SIMD4<Float>
    public static let mr = 6, nr = 8, kc = 256, mc = 144, nc = 2048
    public static let aRowStride = 272
}
