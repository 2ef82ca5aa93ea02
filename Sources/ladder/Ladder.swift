import ArgumentParser
import Compute
import Jobs

@main
struct Ladder: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ladder",
        abstract: "Scaling-law experiments for language models: plan, sweep, train, store, fit.",
        discussion: """
            Runs, metrics and fits live in one SQLite database: --db PATH, else $LADDER_DB, else \
            Results/ladder.sqlite. Run `ladder help COMMAND` for a command's options.
            """,
        version: "0.1.0",
        subcommands: [Sweep.self, Plan.self, Fit.self, Compare.self, Curves.self, Train.self, RunJob.self, Import.self, Runs.self, Export.self, Report.self, Doctor.self, DataCommand.self, Bench.self]
    )

    /// Selects the kernel tier from `LADDER_ISA` before any command runs.
    static func main() {
        do { try KernelTierSetup.fromEnvironment() } catch { exit(withError: error) }
        main(NegativeValues.joined(Array(CommandLine.arguments.dropFirst())))
    }
}
