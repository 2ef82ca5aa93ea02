import ArgumentParser

/// `ladder bench ...`: kernel benchmarks (speed and memory; not tests).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark kernels: median time and memory, --json for one JSON object per line.",
        subcommands: [BenchAttention.self]
    )
}
