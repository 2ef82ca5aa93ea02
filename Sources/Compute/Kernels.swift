import CComputeKernels
import KernelsAVX2
import KernelsAVX512
import KernelsPortable

/// The one place that knows which kernel tiers exist and which one runs (BLIS's context):
/// filled once from CPUID, the highest tier the CPU supports unless the executable selects a
/// lower one (`LADDER_ISA`, `--isa`). GEMM (fp32, bf16, fp16), the attention tiles and the bf16
/// kernel choice all read `active`/`tier` here; the code above them never changes.
public enum Kernels {
    /// Bytes of GEMM packing workspace each thread that runs a GEMM holds from its first GEMM
    /// until it exits (allocated by `AlignedBuffer`, rounded as it rounds).
    public static var gemmWorkspaceBytesPerThread: Int {
        let c = _GEMMWorkspace.counts
        return [c.a, c.b, c.tile].reduce(0) { $0 + ($1 * 4 + 63) / 64 * 64 }
    }

    /// The running CPU: model and the tiers it supports (lowest first).
    public static let cpu = CPUInfo.detect()

    /// The highest tier this CPU supports.
    public static var best: KernelTier { cpu.tiers.last! }

    /// The selected tier. Written only by `select` (at start-up, or by tests between calls).
    public static var tier: KernelTier { _tier }
    nonisolated(unsafe) private static var _tier: KernelTier = best

    /// The selected tier's kernel table (`avx512bf16` uses the AVX-512 fp32 kernels).
    @inline(__always)
    public static var active: TierKernels { table(for: _tier) }

    /// Makes `tier` the active one for the whole process; throws if the CPU cannot run it.
    /// Call it while no kernel is running (start-up, between tests).
    public static func select(_ tier: KernelTier) throws {
        guard cpu.tiers.contains(tier) else { throw KernelTierError.unsupported(tier, cpu) }
        _tier = tier
    }

    /// `select(tier)` for the duration of `body`, then the previous tier again.
    public static func with<R>(_ tier: KernelTier, _ body: () throws -> R) throws -> R {
        let previous = _tier
        try select(tier)
        defer { _tier = previous }
        return try body()
    }

    /// Runs `body` once under every tier this CPU supports, lowest first (tests, benchmarks),
    /// then restores the selected tier.
    public static func forEachAvailable(_ body: (KernelTier) throws -> Void) rethrows {
        let previous = _tier
        defer { _tier = previous }
        for tier in cpu.tiers {
            _tier = tier
            try body(tier)
        }
    }

    /// Parses a tier name as `LADDER_ISA` and `--isa` spell it.
    public static func parse(_ name: String, source: String) throws -> KernelTier {
        guard let tier = KernelTier(rawValue: name.lowercased()) else {
            throw KernelTierError.unknown(name, source: source)
        }
        return tier
    }

    /// The fp32 kernel table of `tier`.
    @inline(__always)
    public static func table(for tier: KernelTier) -> TierKernels {
        switch tier {
        case .portable: return PortableKernels.table
        case .avx2: return AVX2Kernels.table
        case .avx512, .avx512bf16: return AVX512Kernels.table
        }
    }

    /// Every compiled-in table (for sizing per-thread buffers).
    static var tables: [TierKernels] { [PortableKernels.table, AVX2Kernels.table, AVX512Kernels.table] }
}

/// What `Kernels` knows about the running CPU.
public struct CPUInfo: Sendable, Codable, Equatable {
    /// Brand string with family and model, e.g. "AMD EPYC (family 25, model 17)".
    public let model: String
    /// Supported tiers, lowest first (`portable` always).
    public let tiers: [KernelTier]

    static func detect() -> CPUInfo {
        var buffer = [CChar](repeating: 0, count: 128)
        cck_cpu_model(&buffer, Int(buffer.count))
        let bits = cck_cpu_tiers()
        var tiers: [KernelTier] = [.portable]
        if bits & CCK_TIER_AVX2 != 0 { tiers.append(.avx2) }
        if bits & CCK_TIER_AVX512 != 0 { tiers.append(.avx512) }
        if bits & CCK_TIER_AVX512BF16 != 0 { tiers.append(.avx512bf16) }
        return CPUInfo(model: String(cString: buffer), tiers: tiers)
    }
}

public enum KernelTierError: Error, CustomStringConvertible, Equatable {
    case unknown(String, source: String)
    case unsupported(KernelTier, CPUInfo)

    public var description: String {
        switch self {
        case let .unknown(name, source):
            return "\(source): unknown kernel tier '\(name)'; valid: \(KernelTier.spellings)"
        case let .unsupported(tier, cpu):
            return "kernel tier \(tier.rawValue) needs instructions this CPU (\(cpu.model)) lacks; "
                + "it supports: \(cpu.tiers.map(\.rawValue).joined(separator: ", "))"
        }
    }
}
