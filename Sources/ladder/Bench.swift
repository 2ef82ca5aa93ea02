import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks with machine-readable output (--json).",
        subcommands: [BenchTokenizer.self, BenchData.self]
    )
}
