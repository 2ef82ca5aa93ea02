import ArgumentParser
import Compute
import Foundation

extension KernelTier: ExpressibleByArgument {}

/// The kernel tier: the CPU's best unless `LADDER_ISA` (read once at start-up, for every command
/// and the `run-job` processes a sweep starts) or a bench's `--isa` asks for a lower one.
enum KernelTierSetup {
    static let variable = "LADDER_ISA"

    /// Applies `LADDER_ISA` if set; an unknown or unsupported value is an error naming it.
    static func fromEnvironment() throws {
        guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else { return }
        try Kernels.select(Kernels.parse(value, source: variable))
    }

    /// The keys every benchmark's JSON carries: the tier that ran and the CPU it ran on.
    static var jsonFields: [String: Any] { ["tier": Kernels.tier.rawValue, "cpu": Kernels.cpu.model] }

    /// What a training run's matmuls execute on, for its log: the tier and, for bf16, whether
    /// the products run on `vdpbf16ps` or in fp32 arithmetic (widened while packing) because the
    /// bf16 instruction is missing from the tier or does not beat fp32 FMA on this CPU.
    static func runLine(bf16: Bool) -> String {
        var line = "kernels: tier \(Kernels.tier.rawValue) on \(Kernels.cpu.model)"
        guard bf16 else { return line }
        let ratio = String(format: "%.2f", GEMM.bf16DotSpeedup)
        switch GEMM.automaticBF16Kernel {
        case .dotProduct:
            line += "; bf16 matmuls on vdpbf16ps (\(ratio)x the fp32 FMA rate measured on this CPU)"
        default:
            let why = Kernels.tier < .avx512bf16
                ? "vdpbf16ps is not in tier \(Kernels.tier.rawValue)"
                : "vdpbf16ps runs at \(ratio)x the fp32 FMA rate here, too slow to pay"
            line += "; bf16 matmuls in fp32 arithmetic (operands widened while packing): \(why)"
        }
        return line
    }

    /// `tier=... cpu=...` for a benchmark's table header.
    static var header: String { "tier=\(Kernels.tier.rawValue) cpu=\"\(Kernels.cpu.model)\"" }
}

/// `--isa` on the bench commands: overrides `LADDER_ISA` for this run.
struct KernelTierOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Kernel tier: portable, avx2, avx512, avx512bf16 (default: $LADDER_ISA, else the CPU's best).",
                               valueName: "tier"))
    var isa: KernelTier?

    func apply() throws {
        if let isa { try Kernels.select(isa) }
    }

    /// The arguments that pass the choice to a child `ladder` process.
    var arguments: [String] { isa.map { ["--isa", $0.rawValue] } ?? [] }
}
