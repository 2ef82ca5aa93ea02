/// An instruction-set tier of the kernels, lowest first. Each tier's kernels live in their own
/// target compiled for that instruction set (`KernelsPortable`, `KernelsAVX2`, `KernelsAVX512`;
/// `vdpbf16ps` in `CComputeKernels` behind a target attribute); `Compute.Kernels` picks the
/// highest one the CPU supports, or a lower one on request.
public enum KernelTier: String, CaseIterable, Comparable, Sendable {
    /// The architecture's base (SSE2 on x86-64, NEON on arm64): 6×8 fp32 tile of 4-lane vectors.
    case portable
    /// AVX2 + FMA (Haswell, Zen 1 and later): 16 ymm registers, 6×16 fp32 tile (12 accumulators).
    case avx2
    /// AVX-512 F/BW/DQ/VL (Skylake-SP, Zen 4 and later): 32 zmm registers, 14×32 fp32 tile (28).
    case avx512
    /// `avx512` plus AVX512_BF16: bf16 GEMM on `vdpbf16ps` where it pays.
    case avx512bf16

    public static func < (a: KernelTier, b: KernelTier) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// Accepted spellings, for error messages: "portable, avx2, avx512, avx512bf16".
    public static var spellings: String { allCases.map { $0.rawValue }.joined(separator: ", ") }
}

// Codable apart, so that the kernel targets also compile as Embedded Swift (no Codable there):
// `.ci/arm64-check` builds them that way for arm64 and runs them under qemu.
#if !hasFeature(Embedded)
extension KernelTier: Codable {}
#endif
