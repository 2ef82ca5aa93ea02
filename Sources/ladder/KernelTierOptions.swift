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
