import ArgumentParser

@main
struct Ladder: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ladder",
        abstract: "Scaling-law experiments for language models: plan, sweep, train, store, fit.",
        subcommands: [DataCommand.self, Bench.self]
    )
}
