import ArgumentParser

/// `ladder bench ...`: performance measurements (not tests) printed as tables or JSON lines.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure kernel and trainer speed.",
        subcommands: [BenchGemm.self, BenchAttention.self, BenchTrain.self, BenchFit.self, BenchTokenizer.self, BenchData.self]
    )
}
