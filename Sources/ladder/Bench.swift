import ArgumentParser

/// `ladder bench ...`: timed benchmarks that print JSON (speed goals live here, not in tests).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run timed benchmarks.",
        subcommands: [BenchFit.self]
    )
}
