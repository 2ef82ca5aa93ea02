import Compute
import Foundation
import Training

/// The kernel tier: the CPU's best unless `LADDER_ISA` (read once at start-up, for every command
/// and the `run-job` processes a sweep starts) or a bench's `--isa` asks for a lower one.
public enum KernelTierSetup {
    public static let variable = "LADDER_ISA"

    /// Applies `LADDER_ISA` if set; an unknown or unsupported value is an error naming it.
    public static func fromEnvironment() throws {
        guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else { return }
        try Kernels.select(Kernels.parse(value, source: variable))
    }

    /// The keys every benchmark's JSON carries: the tier that ran and the CPU it ran on.
    public static var jsonFields: [String: Any] { ["tier": Kernels.tier.rawValue, "cpu": Kernels.cpu.model] }

    /// Whether bf16 matmuls pay on this CPU and tier: only on `vdpbf16ps` at more than 1.2 x the
    /// fp32 FMA rate. Elsewhere bf16 runs its matmuls widened to fp32 and only adds conversions
    /// (measured 0.87 x fp32 on Zen 4 under tier avx2), so training picks fp32 arithmetic.
    public static var bf16Pays: Bool { GEMM.automaticBF16Kernel == .dotProduct }

    /// The precision a run trains in: `requested`, except bf16 where it does not pay (then fp32).
    public static func arithmetic(for requested: TrainConfig.Precision) -> TrainConfig.Precision {
        requested == .bf16 && !bf16Pays ? .fp32 : requested
    }

    /// What a training run's matmuls execute on, for its log: the tier and, for bf16, whether it
    /// runs on `vdpbf16ps` or in fp32 arithmetic because the bf16 instruction is missing from the
    /// tier or does not beat fp32 FMA on this CPU.
    public static func runLine(requested: TrainConfig.Precision) -> String {
        var line = "kernels: tier \(Kernels.tier.rawValue) on \(Kernels.cpu.model)"
        guard requested == .bf16 else { return line }
        let ratio = String(format: "%.2f", GEMM.bf16DotSpeedup)
        if bf16Pays {
            line += "; bf16 matmuls on vdpbf16ps (\(ratio)x the fp32 FMA rate measured on this CPU)"
        } else {
            let why = Kernels.tier < .avx512bf16
                ? "vdpbf16ps is not in tier \(Kernels.tier.rawValue)"
                : "vdpbf16ps runs at \(ratio)x the fp32 FMA rate here, too slow to pay"
            line += "; bf16 requested, training in fp32 arithmetic instead: \(why)"
        }
        return line
    }

    /// `tier=... cpu=...` for a benchmark's table header.
    public static var header: String { "tier=\(Kernels.tier.rawValue) cpu=\"\(Kernels.cpu.model)\"" }
}
