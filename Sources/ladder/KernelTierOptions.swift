import ArgumentParser
import Compute
import Foundation
import Training

extension KernelTier: ExpressibleByArgument {}

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
